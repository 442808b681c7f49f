"""Format versions of the files the stages write.

JSON files carry `"format_version": N` at the top; Parquet files carry it in
the schema metadata under `hf_distscale.format_version`. A file without one
predates versioning and is read as the oldest version its reader knows.

Readers lift an old file to the current version through one chain per kind
of file: `migrate` applies, in order, the steps registered with
`@migration(kind, since)`, each of which turns version `since` into
`since + 1`. A new version of a kind is one more step, next to the format it
changes, and `CURRENT` one higher; `tests/test_formats.py` checks that every
kind's chain reaches its current version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

VERSION_KEY = "format_version"
PARQUET_VERSION_KEY = b"hf_distscale.format_version"

# Kind of file -> the version this code writes; readers accept 1..CURRENT.
CURRENT = {
    "population": 1,
    "seed_record": 1,
    "results": 2,
    "statistics": 1,
    "claims": 2,
    "benchmark_statistics": 1,
    "figure_data": 1,
    "figures": 1,
    "comparison": 1,
    "items": 2,
    "verify": 1,
    "output": 1,
}

# Kind -> {version: the step that turns data of that version into the next}; filled by `migration`.
MIGRATIONS: dict[str, dict[int, Callable]] = {}


def migration(kind: str, since: int):
    """Register the decorated `step(data, source) -> data` as the migration of `kind` from `since` to `since + 1`."""
    def register(step: Callable) -> Callable:
        MIGRATIONS.setdefault(kind, {})[since] = step
        return step

    return register


def migrate(kind: str, version: int, data, source: str):
    """`data` of `version` lifted to CURRENT[kind] by the chain's steps, in order (`source` names it in warnings)."""
    for since in range(version, CURRENT[kind]):
        data = MIGRATIONS[kind][since](data, source)
    return data


def check_version(kind: str, version, source: str) -> int:
    """`version` as an int, or a ValueError naming the file when this code cannot read it."""
    if version is None:
        return 1
    if not isinstance(version, int) or not 1 <= version <= CURRENT[kind]:
        raise ValueError(
            f"{source}: {kind} format version {version!r} is not one this hf_distscale reads "
            f"(1..{CURRENT[kind]}); upgrade hf_distscale (`pip install -U hf_distscale`)"
        )
    return version


def dump_json(data: dict, kind: str) -> bytes:
    """`data` as indented JSON bytes, stamped with the current version of `kind`."""
    return (json.dumps({VERSION_KEY: CURRENT[kind], **data}, indent=2, default=str) + "\n").encode()


def load_json(path: str | Path, kind: str) -> dict:
    """The JSON object at `path`, version-checked and migrated to the current version, without its version key."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); write it again with hf_distscale") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object ({kind}); write it again with hf_distscale")
    version = check_version(kind, data.pop(VERSION_KEY, None), str(path))
    return migrate(kind, version, data, str(path))
