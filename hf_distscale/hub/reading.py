"""Reading by repo id: population repos seed by seed, model repos, and results repos as one table.

A population repo is read through its root files (`population.json`,
`seeds.parquet`); each seed is downloaded only when it is needed, with
`snapshot_download(allow_patterns=["<subfolder>/*"])`, never the whole repo.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from huggingface_hub import DatasetCard, HfApi, constants, hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError

from hf_distscale.formats.results import conform, read_parquet
from hf_distscale.hub.errors import check_results_source, hub_errors
from hf_distscale.formats.versions import load_json
from hf_distscale.formats.population import POPULATION_FILE, RESULTS_FILE, SEEDS_INDEX


def is_population_repo(repo_id: str, revision: str | None = None) -> bool:
    """True when the model repo has a `population.json` at its root (False for unknown repos).

    Under HF_HUB_OFFLINE=1 the answer comes from the cached snapshot; a repo
    that is not cached is a one-line error saying how to fetch it."""
    with hub_errors(repo_id):
        if constants.HF_HUB_OFFLINE:  # what the online read fetched: the root's JSON files
            folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=["*.json"]))
            return (folder / POPULATION_FILE).is_file()
        return HfApi().file_exists(repo_id, POPULATION_FILE, revision=revision)


def population_repo_identity(repo_id: str, revision: str | None = None) -> dict:
    """The repo's `population.json`: preset, task, training, family, precision."""
    with hub_errors(repo_id):
        return load_json(hf_hub_download(repo_id, POPULATION_FILE, revision=revision), "population")


def population_repo_seeds(repo_id: str, revision: str | None = None) -> pd.DataFrame:
    """The repo's `seeds.parquet`: one row per finished seed (subfolder, identity, run summary)."""
    with hub_errors(repo_id):
        return pd.read_parquet(hf_hub_download(repo_id, SEEDS_INDEX, revision=revision))


def download_seed(repo_id: str, subfolder: str, revision: str | None = None) -> Path:
    """Download one seed folder of a population repo; returns the local seed folder."""
    with hub_errors(repo_id):
        root = Path(snapshot_download(repo_id, revision=revision, allow_patterns=[f"{subfolder}/*"]))
    folder = root / subfolder
    if not (folder / "config.json").is_file():
        raise ValueError(
            f"model repo {repo_id!r} has no seed folder {subfolder}/ (with config.json) although its "
            f"{SEEDS_INDEX} lists it; push the population again with `hf-distscale hub push population`"
        )
    return folder


def download_model(repo_id: str, revision: str | None = None, weights: bool = True) -> Path:
    """Download a plain model repo's configs and tokenizer files; returns the local folder.

    With `weights`, also one weights format (safetensors when the repo has
    them, else `.bin`), not every file of the repo.
    """
    patterns = ["*.json", "*.model", "*.txt", "*.tiktoken"]
    with hub_errors(repo_id):
        if weights and constants.HF_HUB_OFFLINE:  # no listing offline: the cached safetensors
            patterns.append("*.safetensors")
        elif weights:
            files = HfApi().list_repo_files(repo_id, revision=revision or "main")
            patterns.append("*.safetensors" if any(f.endswith(".safetensors") for f in files) else "*.bin")
        return Path(snapshot_download(repo_id, revision=revision or "main", allow_patterns=patterns))


def dataset_card_data(path: str) -> dict:
    """The YAML header of a dataset's card (`README.md`): a local folder's, else the Hub repo's;
    {} when there is none."""
    if Path(path).is_dir():
        card = Path(path) / "README.md"
        return DatasetCard.load(card).data.to_dict() if card.is_file() else {}
    with hub_errors(path, "dataset"):
        try:
            card = hf_hub_download(path, "README.md", repo_type="dataset")
        except EntryNotFoundError:
            return {}
    return DatasetCard.load(card).data.to_dict()



def read_results(source: str | Path, revision: str | None = None, unique: bool = True) -> pd.DataFrame:
    """A results table from a local Parquet file or a results repo id (`REPO_ID` or `REPO_ID:CONFIG`).

    A repo is read from its Parquet files (one config per population; all of
    them without `:CONFIG`), and the table is checked against the results schema
    (`unique` False lets a result identity repeat, for `verify`).
    """
    check_results_source(source)
    source = str(source)
    path = Path(source).expanduser()
    if path.is_file():
        return read_parquet(path, unique=unique)
    repo_id, _, config = source.partition(":")
    pattern = f"{config}/*.parquet" if config else f"*/{RESULTS_FILE}"
    with hub_errors(repo_id, "dataset"):
        root = Path(snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                           allow_patterns=[pattern]))
    files = sorted(root.glob(pattern))
    if not files:
        raise ValueError(
            f"dataset repo {repo_id!r} has no results{f' config {config!r}' if config else ''}; give "
            f"REPO_ID or REPO_ID:POPULATION of a repo pushed with `hf-distscale hub push results`"
        )
    return conform(pd.concat([read_parquet(file, f"results: {source} ({file.relative_to(root).as_posix()})",
                                           unique=unique) for file in files], ignore_index=True),
                   f"results: {source}", unique=unique)
