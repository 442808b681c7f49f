"""The results table the analysis reads: one row per (model, test length).

Evaluation writes it as one Parquet file. The analysis needs only the columns
in `REQUIRED_COLUMNS` plus the metric it is asked to analyse; a missing one is
a `ValueError` that names it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

REQUIRED_COLUMNS = (
    "family",
    "scale",
    "scale_index",
    "num_parameters",
    "seed",
    "test_length",
    "p_exact",
)

# Metrics in [0, 1] that a distribution over seeds can be built from.
METRIC_COLUMNS = ("em", "em_answer_only", "token_accuracy", "p_exact")

METRIC_LABELS = {
    "em": "exact match (answer + end token)",
    "em_answer_only": "exact match (answer only)",
    "token_accuracy": "token accuracy (answer + end token)",
    "p_exact": "probability of the exact answer",
}

# Below this many seeds per (family, scale, test length) the statistics are noisy.
MIN_RELIABLE_SEEDS = 5


def load_results(results: pd.DataFrame | str | Path, metric: str = "em") -> pd.DataFrame:
    """Return the results table with the columns the analysis needs, checked.

    `results` is a DataFrame or the path of the Parquet file evaluation wrote.
    Raises FileNotFoundError for a missing file and ValueError for a missing
    column, an unknown metric, a metric outside [0, 1], or an empty table.
    """
    if metric not in METRIC_COLUMNS:
        raise ValueError(
            f"metric: unknown metric {metric!r}; choose one of {', '.join(METRIC_COLUMNS)}"
        )
    if not isinstance(results, pd.DataFrame):
        path = Path(results)
        if not path.is_file():
            raise FileNotFoundError(
                f"results: no file at {path}; pass the Parquet table that `hf-distscale evaluate` wrote"
            )
        results = pd.read_parquet(path)
    for column in (*REQUIRED_COLUMNS, metric):
        if column not in results.columns:
            raise ValueError(
                f"results: the table has no column {column!r}; it needs "
                f"{', '.join((*REQUIRED_COLUMNS, metric))} (the evaluation results schema)"
            )
    if results.empty:
        raise ValueError("results: the table has no rows; evaluate at least one seed first")
    values = results[metric]
    if values.isna().any() or (values < 0).any() or (values > 1).any():
        raise ValueError(f"results: column {metric!r} must hold numbers in [0, 1] without gaps")
    duplicated = results.duplicated(["family", "scale_index", "seed", "test_length"])
    if duplicated.any():
        row = results[duplicated].iloc[0]
        raise ValueError(
            f"results: seed {row['seed']} of {row['family']} scale {row['scale']} at test length "
            f"{row['test_length']} appears more than once; keep one row per (model, test length)"
        )
    return results.sort_values(["family", "scale_index", "test_length", "seed"]).reset_index(drop=True)


def warn_if_few_seeds(results: pd.DataFrame) -> None:
    """Warn once when any (family, scale, test length) has fewer than MIN_RELIABLE_SEEDS seeds."""
    counts = results.groupby(["family", "scale", "test_length"]).size()
    few = counts[counts < MIN_RELIABLE_SEEDS]
    if not few.empty:
        (family, scale, length), n = next(iter(few.items()))
        warnings.warn(
            f"{len(few)} (family, scale, test length) groups have fewer than {MIN_RELIABLE_SEEDS} "
            f"seeds (e.g. {family} {scale} at length {length}: {n}); their statistics and "
            f"confidence intervals are unreliable; train more seeds",
            stacklevel=2,
        )


def scale_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (family, scale): scale_index, scale name and median parameter count, ordered."""
    return (
        results.groupby(["family", "scale_index"], as_index=False)
        .agg(scale=("scale", "first"), num_parameters=("num_parameters", "median"))
        .sort_values(["family", "scale_index"])
        .reset_index(drop=True)
    )
