"""The items table: one row per (model, benchmark, condition, test item), beside the results table.

`eval` (each counting test window) and `lm-eval` (each document of each
subject task) write it next to their results table, as `<name>.items.parquet`
for `<name>.parquet`, so the analysis can split a population mean's
uncertainty between seeds and items and compare populations item by item
without loading a model. Columns:

- the model's identity: model_path (the results table's key of a model),
  population, family, scale, seed;
- benchmark, condition (as in the results table) and item_id (text: a
  counting window's first number, an lm-eval doc_id);
- correct: 1.0 when the model got the item right (counting: the greedy answer
  and end token under teacher forcing; multiple choice: the gold choice has
  the highest log-likelihood), else 0.0;
- nll: the item's negative log-likelihood of the right answer (counting: summed
  over the answer tokens; multiple choice: of the gold choice);
- target and loglikelihoods: the gold index and every choice's log-likelihood
  of a multiple-choice item (-1 and null elsewhere), from which later metrics
  are computed without the model.

Format versions (Parquet metadata, `versions`): 1 is the first, multiple-choice
only side table (doc_id, no family, item_id, correct or nll; its files carry the
results table's version stamp), lifted by the migration chain on read
(`side_table_to_v2`), the family taken from the results table when the reader
passes it. 2 is the table above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from hf_distscale.formats.checks import Column, check_table
from hf_distscale.formats.outputs import write_file
from hf_distscale.formats.versions import CURRENT, PARQUET_VERSION_KEY, check_version, migrate, migration

ITEMS_SUFFIX = ".items.parquet"
# Column -> its contract (`formats.checks`), checked on every read; `loglikelihoods` (a list per row) aside.
SCHEMA = {
    "model_path": Column("string", "the model's folder or hf:// address", required=True),
    "population": Column("string", "the population name", required=True),
    "family": Column("string", "the family name"),
    "scale": Column("string", "the scale name", required=True),
    "seed": Column("int64", "an integer, or -1 where unknown", low=-1),
    "benchmark": Column("string", "the benchmark's name", required=True),
    "condition": Column("string", "the condition's name", required=True),
    "item_id": Column("string", "the item's id", required=True),
    "correct": Column("float64", "1 (right) or 0 (wrong)", low=0, high=1),
    "nll": Column("float64", "a finite negative log-likelihood, 0 or more (or empty)", low=0),
    "target": Column("int64", "the gold choice's index, or -1", low=-1),
}
ITEM_KEY = ("model_path", "benchmark", "condition", "item_id")
COLUMNS = {**{name: column.dtype for name, column in SCHEMA.items()}, "loglikelihoods": "object"}


def items_path(results_path: str | Path) -> Path:
    """`runs/results.items.parquet` for `runs/results.parquet`: where a results table's items live."""
    results_path = Path(results_path)
    return results_path.with_name(results_path.name.removesuffix(".parquet") + ITEMS_SUFFIX)


def items_beside(results_source: str | Path) -> Path | None:
    """The items table `eval` or `lm-eval` wrote beside a local results table; None for a repo id or
    a table evaluated without items."""
    results_path = Path(results_source).expanduser()
    beside = items_path(results_path)
    return beside if results_path.is_file() and beside.is_file() else None


def empty_items() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})


def item_rows(identity: dict, benchmark: str, condition: str, item_ids, correct, nll,
              targets=None, loglikelihoods=None) -> pd.DataFrame:
    """The items of one (model, benchmark, condition) as a table in this format."""
    count = len(item_ids)
    return pd.DataFrame({
        "model_path": identity["model_path"], "population": identity["population"],
        "family": identity["family"], "scale": identity["scale"], "seed": int(identity["seed"]),
        "benchmark": benchmark, "condition": condition, "item_id": [str(i) for i in item_ids],
        "correct": np.asarray(correct, dtype=float), "nll": np.asarray(nll, dtype=float),
        "target": np.full(count, -1) if targets is None else np.asarray(targets, dtype=int),
        "loglikelihoods": [None] * count if loglikelihoods is None else list(loglikelihoods),
    }).astype(COLUMNS)


@migration("items", 1)
def side_table_to_v2(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """Version 1 (multiple-choice side table) -> 2: item_id, correct and nll from the log-likelihoods;
    the family is left empty (`read_items` fills it from the results table when it has one)."""
    lls = [np.asarray(ll, dtype=float) for ll in table["loglikelihoods"]]
    targets = table["target"].astype(int).to_numpy()
    return table.assign(
        family="",
        item_id=table["doc_id"].astype(str),
        correct=[float(np.argmax(ll) == t) for ll, t in zip(lls, targets)],
        nll=[-float(ll[t]) for ll, t in zip(lls, targets)],
        loglikelihoods=[list(ll) for ll in lls],
    )[list(COLUMNS)]


def read_items(path: str | Path, results: pd.DataFrame | None = None) -> pd.DataFrame:
    """The items table at `path`, version-checked and migrated; `results` (the results table beside it)
    supplies the family of a version-1 table's models. A file that is not one is a ValueError naming it."""
    source = f"items: {path}"
    try:
        metadata = pq.read_schema(path).metadata or {}
        table = pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{source} is not a Parquet items table ({reason}); evaluate again with "
                         f"`hf-distscale eval` or `hf-distscale lm-eval`") from None
    if {"doc_id", "loglikelihoods"} <= set(table.columns) and "item_id" not in table.columns:
        version = 1  # the side table, whatever version its file was stamped with (the results table's)
    else:
        stamp = metadata.get(PARQUET_VERSION_KEY)
        version = check_version("items", int(stamp) if stamp and stamp.isdigit() else stamp, source)
    table = migrate("items", version, table, source)
    if results is not None and (table["family"].fillna("") == "").any():
        families = dict(zip(results["model_path"], results["family"]))
        table = table.assign(family=table["model_path"].map(families).fillna(table["family"]))
    missing = [column for column in COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(f"{source} has no {missing[0]!r} column; it is not an items table of this version; "
                         f"evaluate again with `hf-distscale eval` or `lm-eval`")
    checked = check_table(table, SCHEMA, ITEM_KEY, source, "evaluate again with `hf-distscale eval` or `lm-eval` "
                                                          "into a new file")
    return checked.assign(loglikelihoods=table["loglikelihoods"].reset_index(drop=True))


def replace_model_items(table: pd.DataFrame, new: list[pd.DataFrame], model_path: str) -> pd.DataFrame:
    """`table` with `model_path`'s items of the (benchmark, condition) pairs in `new` replaced by `new`."""
    new = [part for part in new if not part.empty]
    if not new:
        return table
    added = pd.concat(new, ignore_index=True)
    replaced = set(zip(added["benchmark"], added["condition"]))
    stale = (table["model_path"] == model_path) & pd.Series(
        [key in replaced for key in zip(table["benchmark"], table["condition"])], index=table.index, dtype=bool)
    return added if table[~stale].empty else pd.concat([table[~stale], added], ignore_index=True)


def _arrow_table(table: pd.DataFrame) -> pyarrow.Table:
    """`table` as an Arrow table stamped with the current items format version."""
    arrow = pyarrow.Table.from_pandas(table[list(COLUMNS)], preserve_index=False)
    metadata = {**(arrow.schema.metadata or {}), PARQUET_VERSION_KEY: str(CURRENT["items"]).encode()}
    return arrow.replace_schema_metadata(metadata)


def write_items(table: pd.DataFrame, path: str | Path) -> None:
    """Write the items table atomically (`outputs.write_file`)."""
    write_file(path, lambda partial: pq.write_table(_arrow_table(table), partial))


class ItemsFile:
    """The items table beside a results table, as the evaluation loop keeps it: read at the first
    model (under the results table's lock, which the loop holds), then rewritten atomically after each
    model with that model's new items, before its results rows, so a kill between the two only redoes
    that model. `path` None keeps no items (`--no-items`)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.table = None

    def replace(self, model_path: str, new: list[pd.DataFrame]) -> None:
        if self.path is None:
            return
        if self.table is None:
            self.table = read_items(self.path) if self.path.is_file() else empty_items()
        self.table = replace_model_items(self.table, new, model_path)
        write_items(self.table, self.path)
