"""The results table as the analysis reads it, and the keys it groups by.

The table follows the evaluation results schema (`hf_distscale.evaluation.
results`): one row per (model, benchmark, condition). A first-version
counting-only table is migrated on read, with a warning. The analysis groups
seeds by

    GROUP_KEY  = (population, benchmark, family, scale_index, condition)

and follows one scaling curve per

    SERIES_KEY = (population, benchmark, family, condition)

across scale_index. Conditions sort by test_length, then name ("len18" <
"len20" for counting; subject names alphabetically for lm-eval tasks, whose
test_length is -1). Only rows where the analysed metric is not NaN take part,
so a table that holds counting and multiple-choice rows analyses the ones that
measured the metric.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hf_distscale.analysis.thresholds import metric_info, metric_names
from hf_distscale.formats.results import COUNTING_METRICS, MULTIPLE_CHOICE_METRICS, conform

SERIES_KEY = ["population", "benchmark", "family", "condition"]
GROUP_KEY = ["population", "benchmark", "family", "scale_index", "condition"]
PLOT_KEY = ["population", "benchmark", "family"]

# Every metric column the analysis can read, in the order of benchmarks.yaml.
METRIC_COLUMNS = metric_names()
METRIC_LABELS = {metric: metric_info(metric)["label"] for metric in METRIC_COLUMNS}

# Columns the analysis reads besides the metric; `benchmark`, `condition` and
# `chance` may be absent from a first-version table (conform migrates it).
ANALYSIS_COLUMNS = ("population", "family", "scale", "scale_index", "num_parameters", "seed",
                    "test_length", "n_examples")
# Defaults for the columns the analysis does not read, so a table of only the
# analysis columns (e.g. from the evaluate module) conforms.
UNREAD_DEFAULTS = {"num_layers": -1, "hidden_size": -1, "data_seed": -1, "precision": "",
                   "preset": "", "model_path": ""}

# Inputs of the `distributional_scaling` evaluate module -> results-table columns.
EVALUATE_INPUTS = {
    "pass_probabilities": "p_exact",
    "populations": "population",
    "benchmarks": "benchmark",
    "families": "family",
    "scales": "scale",
    "scale_indices": "scale_index",
    "num_parameters": "num_parameters",
    "seeds": "seed",
    "conditions": "condition",
    "test_lengths": "test_length",
    "n_examples": "n_examples",
    "chances": "chance",
}

# Below this many seeds per group the statistics are noisy.
MIN_RELIABLE_SEEDS = 5


def load_results(results: pd.DataFrame | str | Path, metric: str = "em") -> pd.DataFrame:
    """The conformed results rows that measured `metric`, checked and in analysis order.

    `results` is a DataFrame or the path of a results Parquet file. Raises
    FileNotFoundError for a missing file; ValueError for a missing column, an
    unknown metric or no row with the metric; the values themselves (ranges,
    a row's identity twice) are checked by `formats.results.conform`.
    """
    metric_info(metric)
    table = analysis_table(results)
    if table.empty:
        raise ValueError("results: the table has no rows; evaluate at least one seed first")
    measured = [m for m in METRIC_COLUMNS if table[m].notna().any()]
    table = table[table[metric].notna()]
    if table.empty:
        raise ValueError(
            f"results: no row measured {metric!r}; choose one of {', '.join(measured) or 'none'}"
        )
    return sort_rows(table).reset_index(drop=True)


def analysis_table(results: pd.DataFrame | str | Path) -> pd.DataFrame:
    """`results` (a DataFrame or a Parquet path) conformed to the results schema, with
    UNREAD_DEFAULTS and NaN metrics filled in.

    FileNotFoundError for a missing file; ValueError names any of ANALYSIS_COLUMNS that is missing.
    """
    if not isinstance(results, pd.DataFrame):
        path = Path(results)
        if not path.is_file():
            raise FileNotFoundError(
                f"results: no file at {path}; pass the Parquet table that `hf-distscale evaluate` wrote"
            )
        results = pd.read_parquet(path)
    missing = [column for column in ANALYSIS_COLUMNS if column not in results.columns]
    if missing:
        raise ValueError(
            f"results: the table has no column(s) {', '.join(repr(c) for c in missing)}; the analysis needs "
            f"{', '.join(ANALYSIS_COLUMNS)} and a metric (the evaluation results schema)"
        )
    filled = {column: value for column, value in UNREAD_DEFAULTS.items() if column not in results.columns}
    filled.update({m: np.nan for m in COUNTING_METRICS + MULTIPLE_CHOICE_METRICS if m not in results.columns})
    return conform(results.assign(**filled))


def condition_order(table: pd.DataFrame) -> list[str]:
    """The table's conditions ordered by test_length, then name."""
    pairs = table[["test_length", "condition"]].drop_duplicates()
    return pairs.sort_values(["test_length", "condition"])["condition"].drop_duplicates().tolist()


def sort_rows(table: pd.DataFrame) -> pd.DataFrame:
    """`table` sorted by population, benchmark, family, scale_index, condition order, then seed."""
    rank = {condition: i for i, condition in enumerate(condition_order(table))}
    order = table["condition"].map(rank)
    keys = ["population", "benchmark", "family", "scale_index", "_condition_rank"]
    if "seed" in table.columns:
        keys.append("seed")
    return table.assign(_condition_rank=order).sort_values(keys).drop(columns="_condition_rank")


def few_seeds_messages(results: pd.DataFrame) -> list[str]:
    """One message when any group has fewer than MIN_RELIABLE_SEEDS seeds (it qualifies every number)."""
    counts = results.groupby(GROUP_KEY, sort=False).size()
    few = counts[counts < MIN_RELIABLE_SEEDS]
    if few.empty:
        return []
    (population, benchmark, family, scale_index, condition), n = next(iter(few.items()))
    scale = results.loc[(results["population"] == population) & (results["family"] == family)
                        & (results["scale_index"] == scale_index), "scale"].iloc[0]
    return [f"{len(few)} (population, benchmark, family, scale, condition) groups have fewer than "
            f"{MIN_RELIABLE_SEEDS} seeds (e.g. {family} {scale} on {benchmark} {condition}: "
            f"{n}); their statistics and confidence intervals are unreliable; train more seeds"]


def scale_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (population, family, scale): scale_index, name, median parameter count, ordered."""
    return (
        results.groupby(["population", "family", "scale_index"], as_index=False)
        .agg(scale=("scale", "first"), num_parameters=("num_parameters", "median"))
        .sort_values(["population", "family", "scale_index"])
        .reset_index(drop=True)
    )

