"""Does a demo output folder reproduce the reference demo, value for value?

The reference (`tests/data/demo_reference/`) is the `reduced` demo's results
table and statistics, as `make demo` wrote them on a 2-core CPU. After a
change to any stage, run `make demo` and then

    python benchmarks/demo_reference.py outputs/demo

It prints one line per compared output and exits 1 if any value differs:
the results table (every row and metric, `model_path` aside, since it names
the folder), then the statistics and verdicts of every group.

Training in fp32 is deterministic on one CPU model but not across them (the
kernels differ), so on another CPU the continuous metrics drift in the third
decimal while EM stays put. There, compare with
the demo of the commit before the change, run on the same machine:

    git worktree add ../baseline b85d54e && (cd ../baseline && PYTHONPATH=. hf-distscale demo)
    python benchmarks/demo_reference.py outputs/demo --reference ../baseline/outputs/demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hf_distscale.formats.analysis import read_statistics
from hf_distscale.formats.results import read_table

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "demo_reference"
TABLES = ("per_scale", "breakthrough", "scaling_fits", "passuntil")


def sorted_table(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(list(table.columns[:min(len(table.columns), 12)])).reset_index(drop=True)


def differences(reference: pd.DataFrame, candidate: pd.DataFrame, name: str, rtol: float = 0.0) -> list[str]:
    """Columns of `name` whose values differ (NaN equals NaN; numbers within `rtol`); [] when equal."""
    if list(reference.columns) != list(candidate.columns):
        return [f"{name}: columns differ: {sorted(set(reference.columns) ^ set(candidate.columns))}"]
    if len(reference) != len(candidate):
        return [f"{name}: {len(candidate)} rows, reference has {len(reference)}"]
    reference, candidate = sorted_table(reference), sorted_table(candidate)
    out = []
    for column in reference.columns:
        left, right = reference[column], candidate[column]
        if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
            same = np.allclose(left.to_numpy(float), right.to_numpy(float), rtol=rtol, atol=0.0, equal_nan=True)
        else:
            same = left.astype(str).tolist() == right.astype(str).tolist()
        if not same:
            out.append(f"{name}: column {column!r} differs")
    return out


def compare(demo_dir: Path, reference: Path = REFERENCE, rtol: float = 0.0) -> list[str]:
    """Every difference between the demo at `demo_dir` and the reference, as lines."""
    problems = differences(read_table(reference / "results.parquet").drop(columns="model_path"),
                           read_table(demo_dir / "results.parquet").drop(columns="model_path"),
                           "results table", rtol)
    expected = read_statistics(reference / "analysis")
    found = read_statistics(demo_dir / "analysis")
    for name in TABLES:
        problems += differences(pd.DataFrame(expected[name]), pd.DataFrame(found[name]), f"statistics {name}", rtol)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo_dir", type=Path, help="the folder `hf-distscale demo --out` wrote")
    parser.add_argument("--reference", type=Path, default=REFERENCE,
                        help="a reference folder or another demo's output folder (default: the shipped reference)")
    parser.add_argument("--rtol", type=float, default=0.0,
                        help="relative tolerance for numbers (default 0: value for value)")
    args = parser.parse_args(argv)
    problems = compare(args.demo_dir, args.reference, args.rtol)
    for line in problems:
        print(line)
    print(f"{'identical to' if not problems else 'DIFFERS from'} the reference demo ({args.reference})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
