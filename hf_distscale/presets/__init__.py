"""Presets are data: one YAML file per preset, with a `task` and a `training` section.

Adding a preset means adding a file here; no code changes.
"""

from __future__ import annotations

from pathlib import Path

from hf_distscale.named_configs import config_names, load_named_config

PRESET_DIR = Path(__file__).parent
LM_PRESET_DIR = PRESET_DIR / "lm"


def available_presets() -> list[str]:
    return config_names(PRESET_DIR)


def load_preset(name: str) -> dict:
    """Return the preset's raw sections ({"description", "task", "training", optional "demo"})."""
    return load_named_config(PRESET_DIR, "preset", name)


def available_lm_presets() -> list[str]:
    return config_names(LM_PRESET_DIR)


def load_lm_preset(name: str) -> dict:
    """The LM preset's sections: "description", "training", optional "base" and "demo"."""
    return load_named_config(LM_PRESET_DIR, "LM preset", name)
