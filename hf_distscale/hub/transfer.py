"""Push staged repos to the Hub and pull repos back; every failure is one clear line.

A push stages the repo tree (`hf_distscale.hub.staging`) in a folder kept
under HF_HOME, then uploads it with `HfApi.upload_folder`. In huggingface_hub
2.x that is the large-folder upload (the former `upload_large_folder`):
streamed, split over several commits, and resumable; a rerun skips files
already committed, so pushing again after more seeds finished uploads only
the new ones. The token comes from HF_TOKEN or `hf auth login`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from huggingface_hub import HfApi, constants, get_token, snapshot_download
from huggingface_hub.errors import RepositoryNotFoundError

from hf_distscale.hub.errors import LOGIN, endpoint, hub_errors, no_such_path
from hf_distscale.hub.reading import (
    is_population_repo,
    population_repo_identity,
    population_repo_seeds,
    read_results,
)
from hf_distscale.hub.staging import (
    check_same_population,
    population_identity,
    stage_dataset,
    stage_population,
    stage_results,
)

REPO_TYPES = ("model", "dataset")


def staging_dir(repo_type: str, repo_id: str) -> Path:
    """Where a push stages `repo_id`: kept between pushes so reruns restage only what changed."""
    return Path(constants.HF_HOME) / "hf_distscale" / "staging" / f"{repo_type}s" / repo_id


def push_folder(folder: str | Path, repo_id: str, repo_type: str = "model", private: bool = False,
                revision: str | None = None) -> str:
    """Create `repo_id` if needed and upload `folder` into it (resumable); returns the repo URL."""
    folder = Path(folder)
    if not folder.is_dir():
        raise no_such_path(str(folder))
    _require_token(repo_type, repo_id)
    api = HfApi()
    with hub_errors(repo_id, repo_type, "push"):
        url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, repo_type=repo_type, branch=revision, exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=folder, repo_type=repo_type, revision=revision,
                          ignore_patterns=[".cache/*", "*.tmp-*"],
                          commit_message=f"Upload {folder.name} with hf-distscale")
    return str(url)


def push_space(folder: str | Path, space_id: str, private: bool = False,
               commit_message: str = "Upload with hf-distscale") -> str:
    """Create the static Space `space_id` if needed and upload `folder` into it; returns the Space URL."""
    api = HfApi()
    with hub_errors(space_id, "space", "push"):
        url = api.create_repo(space_id, repo_type="space", space_sdk="static", private=private, exist_ok=True)
        api.upload_folder(repo_id=space_id, folder_path=folder, repo_type="space", commit_message=commit_message)
    return str(url)


def push_population(population_dir: str | Path, repo_id: str, private: bool = False,
                    revision: str | None = None, results: str | Path | None = None,
                    dataset_repo: str | None = None, staged: str | Path | None = None) -> str:
    """Stage and push a population folder as one model repo; refuses a repo holding another population."""
    population_dir = Path(population_dir)
    identity = population_identity(population_dir)
    _require_token("model", repo_id)
    if is_population_repo(repo_id, revision):
        names = population_repo_seeds(repo_id, revision)["population"].unique()
        check_same_population(population_repo_identity(repo_id, revision), names[0] if len(names) else None,
                              identity, population_dir.name, f"model repo {repo_id!r}")
    table = read_results(results) if results is not None else None
    folder = stage_population(population_dir, staged or staging_dir("model", repo_id), repo_id,
                              table, dataset_repo)
    return push_folder(folder, repo_id, "model", private, revision)


def push_dataset(dataset_dir: str | Path, repo_id: str, private: bool = False,
                 revision: str | None = None, staged: str | Path | None = None) -> str:
    """Stage and push a dataset folder (`hf-distscale dataset build`) as one dataset repo."""
    folder = stage_dataset(dataset_dir, staged or staging_dir("dataset", repo_id))
    return push_folder(folder, repo_id, "dataset", private, revision)


def push_results(results: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
                 dataset_repo: str | None = None, staged: str | Path | None = None) -> str:
    """Stage and push a results table into a results repo, keeping the repo's other populations."""
    table = read_results(results)
    _require_token("dataset", repo_id)
    with hub_errors(repo_id, "dataset", "push"):
        exists = HfApi().file_exists(repo_id, "README.md", repo_type="dataset", revision=revision)
    if exists:
        remote = read_results(repo_id, revision)
        kept = remote[~remote["population"].isin(table["population"].unique())]
        table = pd.concat([kept, table], ignore_index=True) if not kept.empty else table
    folder = stage_results(table, staged or staging_dir("dataset", repo_id), repo_id, dataset_repo)
    return push_folder(folder, repo_id, "dataset", private, revision)


def repo_type_of(repo_id: str, revision: str | None = None) -> str:
    """"model" or "dataset": the first type under which `repo_id` exists."""
    api = HfApi()
    for repo_type in REPO_TYPES:
        with hub_errors(repo_id, repo_type):
            try:
                api.repo_info(repo_id, repo_type=repo_type, revision=revision or "main")
                return repo_type
            except RepositoryNotFoundError:
                continue
    raise ValueError(
        f"no model or dataset repo {repo_id!r} on {endpoint()} (404), or it is private; check the id, "
        f"or {LOGIN} with a token that can read it"
    )


def pull_folder(repo_id: str, out_dir: str | Path | None = None, repo_type: str | None = None,
                revision: str | None = None) -> Path:
    """Download a whole repo into `out_dir` (or the cache); a population pulls as a population folder."""
    repo_type = repo_type or repo_type_of(repo_id, revision)
    with hub_errors(repo_id, repo_type):
        return Path(snapshot_download(repo_id, repo_type=repo_type, revision=revision,
                                      local_dir=out_dir))


def _require_token(repo_type: str, repo_id: str) -> None:
    """Fail before any upload work when neither HF_TOKEN nor `hf auth login` gives a token."""
    if get_token() is None:
        raise ValueError(f"no Hugging Face token to push {repo_type} repo {repo_id!r}; {LOGIN}")
