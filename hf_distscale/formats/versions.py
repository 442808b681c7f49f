"""Format versions of the files the stages write.

JSON files carry `"format_version": N` at the top; Parquet files carry it in
the schema metadata under `hf_distscale.format_version`. A file without one
predates versioning and is read as the oldest version its reader knows.
"""

from __future__ import annotations

import json
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
    """The JSON object at `path`, version-checked, without its version key."""
    return load_versioned_json(path, kind)[1]


def load_versioned_json(path: str | Path, kind: str) -> tuple[int, dict]:
    """(format version, the JSON object at `path` without its version key), for readers that migrate."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); write it again with hf_distscale") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object ({kind}); write it again with hf_distscale")
    return check_version(kind, data.pop(VERSION_KEY, None), str(path)), data
