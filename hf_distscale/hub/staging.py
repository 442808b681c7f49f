"""Staging: write the exact tree of a Hub repo into a local folder, with no network.

Staging is kept apart from uploading so the tree can be checked (and served
by a test server) before anything is pushed. It is incremental: files that did
not change are left untouched (seed files are hard links to the population's
own files where the filesystem allows), so restaging after more seeds finished
touches only the new files, and a resumed upload skips the rest. Files that
no longer belong to the repo are removed; `.cache/` (huggingface_hub's local
state) is kept.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pandas as pd
from huggingface_hub import DatasetCard

from hf_distscale.formats.outputs import DATASET, MANIFEST, require_finished, write_file
from hf_distscale.formats.results import conform, read_parquet
from hf_distscale.hub.cards import population_card, results_card
from hf_distscale.hub.errors import no_such_path
from hf_distscale.formats.population import (
    POPULATION_FILE,
    RESULTS_FILE,
    SEEDS_INDEX,
    finished_seeds,
    read_identity,
    seeds_index,
)

UPLOAD_CACHE = ".cache"
# Seed files that stay local: resume state of an unfinished run.
LOCAL_ONLY = ("checkpoint",)


def stage_population(population_dir: str | Path, out_dir: str | Path, repo_id: str,
                     results: pd.DataFrame | None = None, dataset_repo: str | None = None) -> Path:
    """Stage a population folder as its model repo (see `hf_distscale.formats.population`).

    Only finished seeds are staged. `results` (a results table) adds a summary
    to the card, `dataset_repo` names the training data in its metadata. A
    staged folder holding a population with another identity is refused.
    """
    population_dir = Path(population_dir).expanduser()
    identity = population_identity(population_dir)
    out_dir = Path(out_dir)
    staged_identity = out_dir / POPULATION_FILE
    if staged_identity.is_file():
        check_same_population(read_identity(out_dir), None, identity,
                              population_dir.name, str(out_dir))
    seeds = seeds_index(population_dir)
    if seeds.empty:
        raise ValueError(f"{population_dir} holds no finished seed; train it first with `hf-distscale train`")
    files: dict[str, Path | bytes] = {
        POPULATION_FILE: (population_dir / POPULATION_FILE).read_bytes(),  # a copy: never a link
        SEEDS_INDEX: _parquet(seeds),
    }
    for folder in finished_seeds(population_dir):
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and relative.parts[0] not in LOCAL_ONLY:
                files[path.relative_to(population_dir).as_posix()] = path
    card = population_card(repo_id, population_dir.name, identity, seeds, results, dataset_repo)
    files["README.md"] = str(card).encode()
    return sync_tree(files, out_dir)


def population_identity(population_dir: Path) -> dict:
    """The `population.json` of a population folder; a clear error for anything else."""
    population_dir = _existing(population_dir)
    path = population_dir / POPULATION_FILE
    if not path.is_file():
        raise ValueError(
            f"{population_dir} has no {POPULATION_FILE}, so it is not a population folder; give the "
            f"folder `hf-distscale train` wrote (OUT/<population>)"
        )
    return read_identity(population_dir)


def check_same_population(existing: dict | None, existing_name: str | None, identity: dict, name: str,
                          where: str) -> None:
    """Refuse to mix two populations in one repo, as training refuses to mix them in one folder."""
    if existing is None:
        return
    differ = sorted(k for k in set(existing) | set(identity) if existing.get(k) != identity.get(k))
    if existing_name not in (None, name):
        differ.insert(0, f"name ({existing_name!r})")
    if differ:
        raise ValueError(
            f"{where} holds a population made with a different {', '.join(differ)} than {name!r}; "
            f"a repo holds one population: push it to a new repo id"
        )


def stage_dataset(dataset_dir: str | Path, out_dir: str | Path) -> Path:
    """Stage a dataset folder (`hf-distscale dataset build`) as its dataset repo, file for file.

    Only a finished dataset is staged: its manifest (written last) is there; it is not uploaded.
    """
    dataset_dir = require_finished(_existing(dataset_dir), DATASET, "build it with `hf-distscale dataset build`")
    card = dataset_dir / "README.md"
    if not card.is_file() or not DatasetCard.load(card).data.get("configs"):
        raise ValueError(
            f"{dataset_dir} has no dataset card with `configs:`; build it with `hf-distscale dataset build`"
        )
    files = {path.relative_to(dataset_dir).as_posix(): path for path in sorted(dataset_dir.rglob("*"))
             if path.is_file() and path.name != MANIFEST
             and UPLOAD_CACHE not in path.relative_to(dataset_dir).parts}
    return sync_tree(files, Path(out_dir))


def stage_results(results: str | Path | pd.DataFrame, out_dir: str | Path, repo_id: str,
                  dataset_repo: str | None = None) -> Path:
    """Stage a results table as its dataset repo: `<population>/results.parquet` per population."""
    if not isinstance(results, pd.DataFrame):
        path = _existing(results, "file")
        results = read_parquet(path)
    table = conform(results, "results")
    if table.empty:
        raise ValueError("results: the table has no rows; evaluate a population first with `hf-distscale eval`")
    configs = {str(name): rows.reset_index(drop=True) for name, rows in table.groupby("population")}
    files: dict[str, Path | bytes] = {f"{name}/{RESULTS_FILE}": _parquet(rows) for name, rows in configs.items()}
    files["README.md"] = str(results_card(repo_id, configs, dataset_repo)).encode()
    return sync_tree(files, Path(out_dir))


def stage_all(out_dir: str | Path, population_dir: str | Path, dataset_dir: str | Path,
              results_path: str | Path, user: str = "USER") -> dict[str, tuple[Path, str]]:
    """Stage the population, dataset and results repos under `out_dir/hub/`.

    Returns {"population" | "dataset" | "results": (staged folder, the command that pushes it)},
    with repo ids under the placeholder namespace `user`.
    """
    hub_dir = Path(out_dir) / "hub"
    population_dir = Path(population_dir)
    repos = {"population": f"{user}/{population_dir.name}", "dataset": f"{user}/hf-distscale-counting",
             "results": f"{user}/hf-distscale-results"}
    results = read_parquet(results_path)
    staged = {
        "population": stage_population(population_dir, hub_dir / "population", repos["population"],
                                       results, repos["dataset"]),
        "dataset": stage_dataset(dataset_dir, hub_dir / "dataset"),
        "results": stage_results(results, hub_dir / "results", repos["results"], repos["dataset"]),
    }
    extra = {"population": f" --results {results_path} --dataset-repo {repos['dataset']}",
             "dataset": "", "results": f" --dataset-repo {repos['dataset']}"}
    sources = {"population": population_dir, "dataset": dataset_dir, "results": results_path}
    return {kind: (staged[kind], f"hf-distscale hub push {kind} {sources[kind]} {repos[kind]}{extra[kind]}")
            for kind in staged}


def sync_tree(files: dict[str, Path | bytes], out_dir: Path) -> Path:
    """Make `out_dir` hold exactly `files` (repo path -> source file or contents); returns it.

    Unchanged files keep their inode and mtime; `.cache/` is left alone.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for relative, source in files.items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            if not target.is_file() or target.read_bytes() != source:
                write_file(target, source)
        elif not (target.exists() and _same_file(source, target)):
            write_file(target, lambda partial: _link_or_copy(source, partial))
    for path in sorted(out_dir.rglob("*"), reverse=True):
        relative = path.relative_to(out_dir)
        if relative.parts[0] == UPLOAD_CACHE:
            continue
        if path.is_file() and relative.as_posix() not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return out_dir


def _existing(path: str | Path, what: str = "folder") -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise no_such_path(str(path), what)
    return path


def _parquet(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _same_file(source: Path, target: Path) -> bool:
    if os.path.samefile(source, target):
        return True
    a, b = source.stat(), target.stat()
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)

