"""The results table: one Parquet file, one row per (model, benchmark, condition).

Analysis and the leaderboard read only this file, so its columns are the
contract (see the README's results schema). Every benchmark shares it:

- identity: population, family, scale, scale_index, num_parameters, ... (who);
- `benchmark` and `condition` (what was measured): the counting task writes
  benchmark "counting" and condition "len<L>" (with `test_length` = L); an
  lm-eval task writes its task or group name and, per subject, the subject
  task's name (with `test_length` = -1);
- `n_examples` and `chance` (the score of guessing: 0 for counting, the mean
  of 1/choices for a multiple-choice task), then the metric columns. A metric
  a benchmark does not measure is NaN.

Rows are appended after each model and the file is replaced atomically, so an
interrupted run loses at most the model in flight.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd

IDENTITY_COLUMNS = (
    "population",
    "family",
    "scale",
    "scale_index",
    "num_parameters",
    "num_layers",
    "hidden_size",
    "seed",
    "data_seed",
    "precision",
    "preset",
)

COUNTING_BENCHMARK = "counting"

# Metric columns of the counting task; NaN on other benchmarks' rows.
COUNTING_METRICS = ("em", "em_answer_only", "token_accuracy", "nll_mean", "nll_sum", "p_exact",
                    "em_generate")
# Metric columns of multiple-choice (lm-eval) tasks; NaN on counting rows.
MULTIPLE_CHOICE_METRICS = ("acc", "acc_norm", "nll_correct", "p_correct", "brier")

# Column -> dtype, in table order. `em_generate` is NaN unless the generate() path ran.
COLUMNS = {
    "population": "string",
    "family": "string",
    "scale": "string",
    "scale_index": "int64",
    "num_parameters": "int64",
    "num_layers": "int64",
    "hidden_size": "int64",
    "seed": "int64",
    "data_seed": "int64",
    "precision": "string",
    "preset": "string",
    "benchmark": "string",
    "condition": "string",
    "test_length": "int64",
    "n_examples": "int64",
    "chance": "float64",
    **{name: "float64" for name in COUNTING_METRICS + MULTIPLE_CHOICE_METRICS},
    "model_path": "string",
}

# Columns a results table of the first (counting-only) version lacks; filled on read.
_ADDED_IN_V2 = ("benchmark", "condition", "chance", *MULTIPLE_CHOICE_METRICS)


def counting_condition(test_length: int) -> str:
    """The condition name of a counting row: "len18" for test length 18."""
    return f"len{int(test_length)}"


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})


def conform(table: pd.DataFrame, source: str = "results") -> pd.DataFrame:
    """`table` with exactly COLUMNS in order and dtype; a counting-only table is migrated.

    A table of the first version (no benchmark/condition columns) is read as
    counting rows, with a warning that says how to store it in the new schema.
    Any other missing column is a ValueError that names it.
    """
    missing = set(COLUMNS) - set(table.columns)
    if missing and missing <= set(_ADDED_IN_V2) and "test_length" in table.columns:
        if "benchmark" in missing:
            warnings.warn(
                f"{source}: a counting-only results table of the first schema; read as benchmark "
                f"'counting' with conditions len<L> (write it again with `hf-distscale eval` or "
                f"`hf_distscale.evaluation.results.write_table` to store the new schema)",
                stacklevel=2,
            )
        table = table.copy()
        defaults = {"benchmark": COUNTING_BENCHMARK, "chance": 0.0}
        for column in sorted(missing):
            if column == "condition":
                table[column] = [counting_condition(length) for length in table["test_length"]]
            else:
                table[column] = defaults.get(column, float("nan"))
        missing = set()
    if missing:
        raise ValueError(
            f"{source} lacks column(s) {sorted(missing)}; it is not a results table of this "
            f"version; write to a new file"
        )
    return table[list(COLUMNS)].astype(COLUMNS)


def read_table(path: str | Path) -> pd.DataFrame:
    """The existing table at `path`, or an empty one; refuses a file with other columns."""
    path = Path(path)
    if not path.is_file():
        return empty_table()
    return conform(pd.read_parquet(path), f"results: {path}")


def append_rows(table: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """`table` plus `rows` (dicts of column values; absent metrics become NaN)."""
    new = pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)
    return new if table.empty else pd.concat([table, new], ignore_index=True)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write via a temporary file and `os.replace`, so readers never see half a table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    table.to_parquet(partial, index=False)
    os.replace(partial, path)
