"""The population layout: a folder of standard model folders, locally and as a Hub repo.

Locally (what `train` and `reinit` write):

    <population>/population.json          identity: preset, task, training, family, precision
    <population>/<scale>/seed-XXXX/       config.json, model.safetensors, tokenizer files,
                                          train_log.jsonl, seed_record.json (written last:
                                          the seed is finished), checkpoint/ while training

The three Hub repo layouts built from it:

- Population -> one model repo: the population folder without unfinished
  seeds or checkpoints, plus `seeds.parquet` (one row per finished seed) and a
  model card:

      population.json   seeds.parquet   README.md
      <scale>/seed-XXXX/   config.json, model.safetensors, tokenizer files, seed_record.json, ...

  A seed loads with `from_pretrained(repo_id, subfolder="<scale>/seed-XXXX")`.
- Dataset -> one dataset repo: the folder `hf-distscale dataset build` writes.
- Results -> one dataset repo, one config per population:

      README.md   <population>/results.parquet

A seed evaluated from the Hub is named `hf://<repo_id>/<subfolder>[@<revision>]`
in the results table's `model_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hf_distscale.formats.identity import IDENTITY_COLUMNS  # re-exported: the seed record holds them
from hf_distscale.formats.versions import load_json

POPULATION_FILE = "population.json"
SEED_RECORD = "seed_record.json"
SEEDS_INDEX = "seeds.parquet"
RESULTS_FILE = "results.parquet"
CHECKPOINT_DIR = "checkpoint"
SEED_URI_PREFIX = "hf://"
# The seed-record field holding {file name: SHA-256} of every other file of the seed folder.
FILE_HASHES = "sha256"

# Seed-record fields beyond the identity that the index keeps (absent ones become NaN).
RUN_COLUMNS = ("num_parameters_non_embedding", "steps", "stop_reason", "in_distribution_em",
               "final_train_loss")


def seed_subfolder(scale: str, seed: int) -> str:
    """`l2/seed-0003`: where a seed lives inside its population folder or repo."""
    return f"{scale}/seed-{int(seed):04d}"


def read_seed_record(folder: str | Path) -> dict:
    """The `seed_record.json` of a finished seed folder (version-checked)."""
    return load_json(Path(folder) / SEED_RECORD, "seed_record")


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seed_file_hashes(folder: str | Path) -> dict[str, str]:
    """{file name: SHA-256} of every file of a seed folder but its record: the record's `sha256`
    field, written with it, so `verify` can tell a seed folder copied whole from one that was
    altered, truncated or mixed with another seed's files since."""
    return {path.name: sha256(path) for path in sorted(Path(folder).iterdir())
            if path.is_file() and path.name != SEED_RECORD}


def read_identity(population_dir: str | Path) -> dict:
    """The `population.json` of a population folder (version-checked)."""
    return load_json(Path(population_dir) / POPULATION_FILE, "population")


def finished_seeds(population_dir: Path) -> list[Path]:
    """Seed folders holding `seed_record.json` (written last: the seed is finished)."""
    return sorted(record.parent for record in Path(population_dir).glob(f"*/seed-*/{SEED_RECORD}"))


def seeds_index(population_dir: str | Path) -> pd.DataFrame:
    """One row per finished seed: `subfolder`, the identity columns, then the run summary."""
    population_dir = Path(population_dir)
    rows = []
    for folder in finished_seeds(population_dir):
        record = read_seed_record(folder)
        rows.append({
            "subfolder": folder.relative_to(population_dir).as_posix(),
            **{key: record[key] for key in IDENTITY_COLUMNS},
            **{key: record.get(key, float("nan")) for key in RUN_COLUMNS},
        })
    import pandas as pd  # only the index needs it; the layout's names are read at CLI start

    index = pd.DataFrame(rows, columns=["subfolder", *IDENTITY_COLUMNS, *RUN_COLUMNS])
    return index.sort_values(["scale_index", "seed"], ignore_index=True)


def seed_uri(repo_id: str, subfolder: str, revision: str | None = None) -> str:
    """`hf://org/name/l2/seed-0003`, with `@revision` unless it is the main branch."""
    suffix = f"@{revision}" if revision and revision != "main" else ""
    return f"{SEED_URI_PREFIX}{repo_id}/{subfolder}{suffix}"


def parse_seed_uri(uri: str) -> tuple[str, str, str | None]:
    """(repo_id, subfolder, revision) of a `seed_uri`; subfolder "" for a model that is a whole
    repo (`hf://org/name[@rev]`, as `lm-eval` and `ingest` name Hub models)."""
    path, _, revision = uri.removeprefix(SEED_URI_PREFIX).partition("@")
    org, name, subfolder = (path.split("/", 2) + [""])[:3]
    return f"{org}/{name}", subfolder, revision or None
