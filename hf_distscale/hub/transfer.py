"""Thin wrappers over huggingface_hub that turn Hub failures into one clear error.

Uploads use `upload_large_folder`: resumable and split over many commits,
which is what a population of hundreds of seed folders needs.
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError


def push_folder(folder: str | Path, repo_id: str, repo_type: str = "model", private: bool = False) -> str:
    """Create `repo_id` if needed and upload `folder` into it; returns the repo URL."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"push: {folder} is not a folder; build or train it first")
    api = HfApi()
    try:
        url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        api.upload_large_folder(repo_id=repo_id, folder_path=folder, repo_type=repo_type)
    except (HfHubHTTPError, OSError) as err:
        raise ValueError(
            f"push: could not upload {folder} to {repo_type} repo {repo_id!r} ({err}); "
            "check `hf auth login` and the network"
        ) from err
    return str(url)


def pull_folder(repo_id: str, repo_type: str = "model", revision: str | None = None) -> Path:
    """Download a repo snapshot and return its local folder."""
    try:
        return Path(snapshot_download(repo_id, repo_type=repo_type, revision=revision))
    except RepositoryNotFoundError as err:
        raise ValueError(
            f"pull: {repo_type} repo {repo_id!r} does not exist or is private; check the id "
            "and your token"
        ) from err
    except (HfHubHTTPError, OSError) as err:
        raise ValueError(f"pull: could not download {repo_type} repo {repo_id!r} ({err})") from err
