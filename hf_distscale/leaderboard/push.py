"""Upload a built leaderboard folder as a static Hugging Face Space."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi

from hf_distscale.hub.errors import hub_errors
from hf_distscale.leaderboard.build import MANIFEST, is_leaderboard


def push_leaderboard(folder: str | Path, space_id: str, private: bool = False) -> str:
    """Create the static Space `space_id` if needed, upload `folder` into it; return the Space URL."""
    folder = Path(folder)
    if not is_leaderboard(folder):
        raise ValueError(
            f"leaderboard push: {folder} is not a built leaderboard (no index.html and {MANIFEST}); "
            "run `hf-distscale leaderboard build` first"
        )
    api = HfApi()
    with hub_errors(space_id, "space", "push"):
        url = api.create_repo(space_id, repo_type="space", space_sdk="static", private=private, exist_ok=True)
        api.upload_folder(repo_id=space_id, folder_path=folder, repo_type="space",
                          commit_message="Update the leaderboard")
    return str(url)
