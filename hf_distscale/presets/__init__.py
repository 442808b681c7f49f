"""Presets are data: one YAML file per preset, with a `task` and a `training` section.

Adding a preset means adding a file here; no code changes.
"""

from __future__ import annotations

from pathlib import Path

from hf_distscale.named_configs import config_names, load_named_config

PRESET_DIR = Path(__file__).parent


def available_presets() -> list[str]:
    return config_names(PRESET_DIR)


def load_preset(name: str) -> dict:
    """Return the preset's raw sections ({"description", "task", "training", optional "demo"})."""
    return load_named_config(PRESET_DIR, "preset", name)
