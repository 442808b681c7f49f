"""Checks of a table read from disk: types, ranges, identity and duplicates, each naming the rows at fault.

Every table a stage reads (a results table from a file, the Hub or an
evaluate module's inputs) passes `check_table` once, in `formats/`, against
its schema: one `Column` per column, declared next to the format. A fault is
a ValueError of one line that names the source, the column, how many rows,
the first few by their identity (`formats.identity`) and value, and the fix.

Why plain vectorised pandas and not a validation library: the rules are per
column (a dtype, a range, whether a cell may be empty, whether it is part of
the row's identity), which a few boolean masks over whole columns express and
check at once, for any number of rows. pydantic would build one Python object
per row to say the same, and pandera is one more dependency for the same
masks. The same `Column` also checks one value (`Column.fault`), so a reader
of another format (an lm-eval results file) applies the table's ranges before
the value becomes a row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hf_distscale.formats.identity import describe

SHOWN_ROWS = 3  # offending rows a message names; it counts the rest


@dataclass(frozen=True)
class Column:
    """One column's contract: its dtype, the range of its values, and what they mean.

    `dtype` is "string", "int64" or "float64". An int64 cell is always an
    integer; a float64 cell is finite or empty (NaN: not measured) and lies in
    [low, high]; a string cell is text or empty. `required` forbids empty
    cells (the names a row's identity needs). `meaning` is the phrase a message
    uses: "a score in [0, 1]".
    """

    dtype: str
    meaning: str
    low: float = -math.inf
    high: float = math.inf
    required: bool = False

    def fault(self, value) -> str | None:
        """What is wrong with one value under this column's contract, or None."""
        return _faults(self, pd.Series([value], dtype=object)).iloc[0] or None


def check_table(table: pd.DataFrame, schema: Mapping[str, Column], key: tuple[str, ...], source: str,
                fix: str) -> pd.DataFrame:
    """`table`'s schema columns cast to their dtypes, in schema order, once every check passes.

    The checks run column by column in schema order (type, empty cells,
    range), then over the identity `key` (no identity twice); the first fault
    is a ValueError: `SOURCE: column 'acc' must hold a score in [0, 1]; 2 rows
    do not: row 4 (population 'p' ... condition 'mmlu') = 1.7 (out of range),
    ...; FIX`. Rows are counted from 0, in file order.
    """
    table = table.reset_index(drop=True)
    for name, column in schema.items():
        faults = _faults(column, table[name])
        if (faults != "").any():
            raise ValueError(f"{source}: column {name!r} must hold {column.meaning}; "
                             f"{_rows(table, name, faults)}; {fix}")
    typed = table[list(schema)].astype({name: column.dtype for name, column in schema.items()})
    identities = typed[list(key)]
    repeated = identities.duplicated(keep=False) if key else pd.Series(False, index=typed.index)
    if repeated.any():
        first = identities[repeated].iloc[0]
        copies = np.flatnonzero((identities == first).all(axis=1).to_numpy())
        count = len(identities[repeated].drop_duplicates())
        raise ValueError(
            f"{source}: duplicate rows: {count} identit{'y appears' if count == 1 else 'ies appear'} more than "
            f"once, e.g. {describe(first, key)} in rows {', '.join(map(str, copies[:SHOWN_ROWS]))}"
            f"{', ...' if len(copies) > SHOWN_ROWS else ''}; keep one row per ({', '.join(key)}): drop the "
            f"repeats, or give the two models different names"
        )
    return typed


def _faults(column: Column, series: pd.Series) -> pd.Series:
    """Per cell, "" or what is wrong with it under `column`'s contract."""
    missing = series.isna()
    if column.dtype == "string":
        values = series.astype(object)
        is_text = (~missing if isinstance(series.dtype, pd.StringDtype)  # every cell is text or empty
                   else values.map(lambda value: isinstance(value, str)).astype(bool))
        faults = pd.Series(np.where(~missing & ~is_text, "not text", ""), index=series.index, dtype=object)
        blank = missing | (is_text & (values == ""))
    else:
        numbers = _numbers(series)
        faults = pd.Series(np.where(numbers.isna() & ~missing, "not a number", ""), index=series.index,
                           dtype=object)
        if column.dtype == "int64" and not pd.api.types.is_integer_dtype(series.dtype):
            fractional = numbers.notna() & ((numbers != np.round(numbers)) | (numbers.abs() >= 2**53))
            faults = faults.mask(fractional & (faults == ""), "not an integer")
        infinite = np.isinf(numbers)
        faults = faults.mask(infinite & (faults == ""), "not finite")
        outside = numbers.notna() & ~infinite & ((numbers < column.low) | (numbers > column.high))
        faults = faults.mask(outside & (faults == ""), "out of range")
        blank = missing
    if column.required or column.dtype == "int64":
        faults = faults.mask(blank & (faults == ""), "empty")
    return faults


def _numbers(series: pd.Series) -> pd.Series:
    """A column as float64; cells that are not numbers (text, True) become NaN."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return pd.Series(np.nan, index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype(float)
    numbers = series.map(lambda value: value if isinstance(value, (int, float, np.number))
                         and not isinstance(value, (bool, np.bool_)) else np.nan)
    return pd.to_numeric(numbers, errors="coerce").astype(float)


def _rows(table: pd.DataFrame, name: str, faults: pd.Series) -> str:
    """`2 rows do not: row 4 (identity) = 1.7 (out of range), ...` for the rows with a fault."""
    positions = np.flatnonzero((faults != "").to_numpy())
    shown = [f"row {position} ({describe(table.iloc[position].to_dict())}) = "
             f"{_plain(table[name].iloc[position])!r} ({faults.iloc[position]})" for position in positions[:SHOWN_ROWS]]
    more = f", and {len(positions) - SHOWN_ROWS} more" if len(positions) > SHOWN_ROWS else ""
    return f"{len(positions)} row{'s do' if len(positions) > 1 else ' does'} not: {', '.join(shown)}{more}"


def _plain(value):
    """A numpy scalar as the Python number it holds, so a message shows 1.7, not np.float64(1.7)."""
    return value.item() if isinstance(value, np.generic) else value
