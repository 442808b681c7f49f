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
interrupted run loses at most the model in flight. The file's Parquet metadata
carries its format version: 1 is the first, counting-only schema (read and
migrated), 2 the schema above.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from hf_distscale.formats.outputs import write_file
from hf_distscale.formats.population import IDENTITY_COLUMNS, RESULTS_FILE
from hf_distscale.formats.versions import CURRENT, PARQUET_VERSION_KEY, check_version

COUNTING_BENCHMARK = "counting"

# Metric columns of the counting task; NaN on other benchmarks' rows.
COUNTING_METRICS = ("em", "em_answer_only", "token_accuracy", "nll_mean", "nll_sum", "p_exact",
                    "em_generate")
# Metric columns of multiple-choice (lm-eval) tasks; NaN on counting rows.
MULTIPLE_CHOICE_METRICS = ("acc", "acc_norm", "nll_correct", "p_correct", "brier")

TEXT_IDENTITY = ("population", "family", "scale", "precision", "preset")
# Column -> dtype, in table order: the seed's identity (formats.population), then what was measured. `em_generate` is NaN unless the generate() path ran.
COLUMNS = {
    **{name: "string" if name in TEXT_IDENTITY else "int64" for name in IDENTITY_COLUMNS},
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
                f"`hf_distscale.formats.results.write_table` to store the new schema)",
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
        # Metrics first: a table without the measured scores is the problem to name.
        missing = sorted(missing, key=lambda c: (c not in COUNTING_METRICS + MULTIPLE_CHOICE_METRICS,
                                                 list(COLUMNS).index(c)))
        more = f" (and {len(missing) - 1} more: {', '.join(missing[1:4])}{', ...' if len(missing) > 4 else ''})"
        raise ValueError(
            f"{source} has no {missing[0]!r} column{more if len(missing) > 1 else ''}; it is not a "
            f"results table of this version; evaluate again with `hf-distscale eval` or `lm-eval` "
            f"into a new file"
        )
    return table[list(COLUMNS)].astype(COLUMNS)


def read_parquet(path: str | Path, source: str | None = None,
                 fix: str = "pass the file `hf-distscale eval` or `hf-distscale lm-eval` wrote") -> pd.DataFrame:
    """The results table in the Parquet file at `path`: version-checked and conformed.

    A file that is not Parquet, or of a format version this code does not
    know, is a ValueError naming `source` (default "results: <path>") and `fix`.
    """
    source = source or f"results: {path}"
    try:
        metadata = pq.read_schema(path).metadata or {}
        table = pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{source} is not a Parquet results table ({reason}); {fix}") from None
    version = metadata.get(PARQUET_VERSION_KEY)
    check_version("results", int(version) if version and version.isdigit() else version, source)
    return conform(table, source)


def read_table(path: str | Path, option: str = "--out") -> pd.DataFrame:
    """The existing table at `path` that rows go into, or an empty one.

    A folder, a file that is not a results table, or one of another version
    is a ValueError naming `option`: an output is never overwritten by guess.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{option}: {path} is a folder; give a Parquet file, e.g. {option} {path / RESULTS_FILE}")
    if not path.is_file():
        return empty_table()
    return read_parquet(path, f"{option} {path}",
                        fix=f"give {option} a new file name, or move {path} away (it is kept as it is)")


def append_rows(table: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """`table` plus `rows` (dicts of column values; absent metrics become NaN)."""
    new = pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)
    return new if table.empty else pd.concat([table, new], ignore_index=True)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write atomically (`outputs.write_file`), so readers never see half a table."""
    arrow = pyarrow.Table.from_pandas(table, preserve_index=False)
    metadata = {**(arrow.schema.metadata or {}), PARQUET_VERSION_KEY: str(CURRENT["results"]).encode()}
    write_file(path, lambda partial: pq.write_table(arrow.replace_schema_metadata(metadata), partial))
