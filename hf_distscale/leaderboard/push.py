"""Upload a built leaderboard folder as a static Hugging Face Space (through `hf_distscale.hub`)."""

from __future__ import annotations

from pathlib import Path

from hf_distscale.formats.outputs import LEADERBOARD, require_finished
from hf_distscale.hub.transfer import push_space


def push_leaderboard(folder: str | Path, space_id: str, private: bool = False) -> str:
    """Create the static Space `space_id` if needed, upload `folder` into it; return the Space URL."""
    folder = require_finished(folder, LEADERBOARD, "run `hf-distscale leaderboard build` first")
    return push_space(folder, space_id, private, commit_message="Update the leaderboard")
