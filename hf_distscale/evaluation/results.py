"""The results table: one Parquet file, one row per (model, test length).

Analysis reads only this file, so its columns are the contract (see the
README's results schema). Rows are appended after each model and the file is
replaced atomically, so an interrupted run loses at most the model in flight.
"""

from __future__ import annotations

import os
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
    "test_length": "int64",
    "n_examples": "int64",
    "em": "float64",
    "em_answer_only": "float64",
    "token_accuracy": "float64",
    "nll_mean": "float64",
    "nll_sum": "float64",
    "p_exact": "float64",
    "em_generate": "float64",
    "model_path": "string",
}


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})


def read_table(path: str | Path) -> pd.DataFrame:
    """The existing table at `path`, or an empty one; refuses a file with other columns."""
    path = Path(path)
    if not path.is_file():
        return empty_table()
    table = pd.read_parquet(path)
    missing = set(COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(
            f"results: {path} lacks column(s) {sorted(missing)}; it is not a results table "
            f"of this version; write to a new file"
        )
    return table[list(COLUMNS)].astype(COLUMNS)


def append_rows(table: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    new = pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)
    return new if table.empty else pd.concat([table, new], ignore_index=True)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write via a temporary file and `os.replace`, so readers never see half a table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    table.to_parquet(partial, index=False)
    os.replace(partial, path)
