"""Atomic, verified checkpoints of an unfinished seed-run.

Layout inside `seed-XXXX/checkpoint/`:

    step-000200.pt   torch.save of the full state (model, optimiser, schedule, RNG, step, ...)
    latest.json      {"file": "step-000200.pt", "step": 200, "sha256": "..."}

Every file is written to a temporary name and renamed into place, so a kill
leaves either the old or the new checkpoint, never half of one. `latest.json`
is written after its state file and carries the file's SHA-256, so a
truncated or altered state file is detected before it is used.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from hf_distscale.formats.outputs import write_file
from hf_distscale.formats.population import sha256

MANIFEST = "latest.json"


class CheckpointError(ValueError):
    """A checkpoint exists but cannot be trusted; the message names the file."""




def save_checkpoint(directory: Path, state: dict) -> Path:
    """Save `state` (must hold an int "step") and point the manifest at it; drop older files."""
    directory.mkdir(parents=True, exist_ok=True)
    path = write_file(directory / f"step-{state['step']:06d}.pt", lambda partial: torch.save(state, partial))
    manifest = {"file": path.name, "step": state["step"], "sha256": sha256(path)}
    write_file(directory / MANIFEST, json.dumps(manifest).encode())
    for old in directory.glob("step-*.pt"):
        if old != path:
            old.unlink()
    return path


def load_checkpoint(directory: Path) -> dict | None:
    """The latest verified state, None when there is no checkpoint, CheckpointError when corrupt."""
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        path = directory / manifest["file"]
        expected = manifest["sha256"]
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"checkpoint manifest {manifest_path} is unreadable ({err})") from None
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} named by {manifest_path} is missing")
    if sha256(path) != expected:
        raise CheckpointError(f"checkpoint file {path} is truncated or corrupt (SHA-256 mismatch)")
    return torch.load(path, map_location="cpu", weights_only=True)


def checkpoint_step(directory: Path) -> int:
    """The step a seed resumes from: its verified checkpoint's step, or 0 without one.

    Raises CheckpointError when the checkpoint is corrupt, as `load_checkpoint` does.
    """
    state = load_checkpoint(directory)
    return 0 if state is None else int(state["step"])


def remove_checkpoint(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
