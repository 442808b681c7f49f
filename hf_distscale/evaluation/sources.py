"""Source specs -> names: brace patterns, globs and revisions expanded, local paths checked.

The part of resolving models (`evaluation.models`) and of finding lm-eval
results files (`evaluation.ingest`) that loads nothing, so a spec that stands
for nothing, or a path that is not there, is reported the moment a verb
starts. See `evaluation.models` for what a spec may be.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
from pathlib import Path

from hf_distscale.hub.errors import looks_like_path, no_such_path

_BRACE = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
# What lm-eval names its aggregated results (`results_<date>.json` under --output_path).
LM_EVAL_RESULTS = "results*.json"


def expand_braces(pattern: str) -> list[str]:
    """Every string `pattern` stands for: `{a,b}` alternatives, `{1..9}` inclusive ranges.

    A range keeps the width of a zero-padded bound (`{01..10}`). A brace with
    nothing in it, or a descending range, expands to nothing.
    """
    parts = _BRACE.split(pattern)
    options = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            options.append([part])
            continue
        bounds = _RANGE.match(part)
        if bounds:
            low, high = bounds.groups()
            width = len(low) if low.startswith("0") and len(low) > 1 else 0
            options.append([str(n).zfill(width) for n in range(int(low), int(high) + 1)])
        else:
            options.append([option for option in part.split(",") if option])
    return ["".join(combo) for combo in itertools.product(*options)]


def expand_spec(spec: str) -> list[str]:
    """The sources one spec stands for: braces expanded, then globs matched; `@REV` kept on each.

    A spec that stands for nothing (an empty brace, a descending range, a glob
    that matches no path) is a ValueError.
    """
    if os.path.exists(spec):  # a local path, even one holding "@" or "["
        return [spec]
    pattern, _, revision = spec.partition("@")
    names = []
    for name in expand_braces(pattern):
        if glob.has_magic(name) and not os.path.exists(name):
            names += sorted(glob.glob(os.path.expanduser(name)))
        else:
            names.append(name)
    if not names:
        raise ValueError(
            f"source: {spec!r} expands to nothing; check its braces ({{a,b}} or {{1..9}}, "
            f"low <= high) or glob"
        )
    return [f"{name}@{revision}" if revision else name for name in names]


def check_sources(specs: list[str]) -> None:
    """Raise one line for a spec that stands for nothing, or for a path that is not there (nothing is loaded)."""
    for spec in specs:
        for name in expand_spec(spec):
            local_folder(name)


def local_folder(name: str) -> Path | None:
    """The folder `name` is, or None for a Hub repo id; a missing path is a FileNotFoundError."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    if path.exists() or looks_like_path(name) or not _REPO_ID.match(name.partition("@")[0]):
        raise no_such_path(name, "model or population folder")
    return None


def results_files(paths: list[str]) -> list[Path]:
    """The lm-eval results files that `paths` name: files as given, folders searched for
    `results*.json` at any depth; each file once, in the order found.

    A missing path, or a folder without a results file, is one line naming it.
    """
    found = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            inside = sorted(path.rglob(LM_EVAL_RESULTS))
            if not inside:
                raise ValueError(
                    f"{name}: no lm-eval results file ({LM_EVAL_RESULTS}) in this folder or below; "
                    f"give the folder lm-eval's --output_path wrote, or the results files"
                )
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{name}: no such lm-eval results file or folder; give an "
                                    f"existing results_<date>.json or a folder holding them")
    return list(dict.fromkeys(path.resolve() for path in found))
