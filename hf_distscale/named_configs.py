"""Configs as data: a folder of `<name>.yaml` files (presets, scale families).

Adding a preset or a family is adding a file; a wrong name gets one error
that lists the names that exist.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def config_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_named_config(folder: Path, kind: str, name: str) -> dict:
    """The parsed `folder/<name>.yaml`; ValueError naming `kind` if there is none."""
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"{kind}: unknown {kind} {name!r}; choose one of {', '.join(config_names(folder))}")
    return yaml.safe_load(path.read_text())
