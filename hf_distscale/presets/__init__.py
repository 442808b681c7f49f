"""Presets are data: one YAML file per preset, with a `task` and a `training` section.

Adding a preset means adding a file here; no code changes.
"""

from __future__ import annotations

from pathlib import Path

import yaml

PRESET_DIR = Path(__file__).parent


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_preset(name: str) -> dict:
    """Return the preset's raw sections ({"description", "task", "training"})."""
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(
            f"preset: unknown preset {name!r}; choose one of {', '.join(available_presets())}"
        )
    return yaml.safe_load(path.read_text())
