"""Breakthroughness B and linearity L of fixed-seed scaling curves (Srivastava et al. 2022, BIG-bench).

For one seed's performances y_1..y_m at a family's scales in ascending order:

    I(y) = sign(argmax_i y_i - argmin_i y_i) * (max_i y_i - min_i y_i)
    L    = I(y) / sqrt(mean_i   (y_{i+1} - y_i)^2)      (RootMeanSquare)
    B    = I(y) / sqrt(median_i (y_{i+1} - y_i)^2)      (RootMedianSquare)

Edge cases, defined here:

- a flat curve (every y_i equal) has I = 0 and a zero denominator; 0/0 is
  defined as 0.0 for both B and L: a flat curve is neither sudden nor linear;
- a step curve where most steps are zero (e.g. 0, 0, 0, 1) has a zero median
  square step but I != 0; B is then sign(I) * inf: all change happens in
  fewer than half of the steps. L stays finite, as its mean square is > 0;
- argmax / argmin take the first index on ties (numpy's rule).

The seed index is held fixed across scales, as the paper does to mimic the
"fixed seed" reporting practice; seeds at different scales are unrelated runs.
Curves run across the scales of one (population, benchmark, family) at one
condition.

B and L differ only from 4 scales on. With m scales there are m - 1 steps;
for m - 1 <= 2 the median of the squared steps equals their mean, so B = L
for every curve and the two rankings are the same ranking. The table marks
such curves (`rankings_identical`), and the summary and figures show one
ranking for them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from hf_distscale.analysis.schema import PLOT_KEY, condition_order

TOP_K = 5
MIN_SCALES_FOR_TWO_RANKINGS = 4


class BreakthroughResult(NamedTuple):
    breakthroughness: float
    linearity: float


def emergence_score(curve: np.ndarray) -> float:
    """I(y) = sign(argmax y - argmin y) * (max y - min y)."""
    curve = np.asarray(curve, dtype=float)
    return float(np.sign(np.argmax(curve) - np.argmin(curve)) * (curve.max() - curve.min()))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator with 0/0 = 0.0 and x/0 = sign(x) * inf."""
    if denominator == 0:
        return 0.0 if numerator == 0 else float(np.sign(numerator) * np.inf)
    return numerator / denominator


def breakthrough_metrics(curve: np.ndarray) -> BreakthroughResult:
    """B and L of one curve ordered by ascending scale (edge cases in the module docstring)."""
    curve = np.asarray(curve, dtype=float)
    if curve.ndim != 1 or curve.size < 2:
        raise ValueError(
            f"breakthroughness: a curve needs at least 2 scales, got {curve.size}; "
            "train the family at 2 or more scales"
        )
    squared_steps = np.diff(curve) ** 2
    score = emergence_score(curve)
    return BreakthroughResult(
        breakthroughness=_ratio(score, float(np.sqrt(np.median(squared_steps)))),
        linearity=_ratio(score, float(np.sqrt(np.mean(squared_steps)))),
    )


def seed_curves(rows: pd.DataFrame, metric: str = "em") -> pd.DataFrame:
    """Seeds x scales matrix of `metric` for the rows of one series (one curve per seed).

    Columns are the scale names ordered by scale_index; only seeds present at
    every scale are kept, because a curve needs a value at each scale.
    """
    matrix = rows.pivot(index="seed", columns="scale_index", values=metric).dropna()
    names = rows.drop_duplicates("scale_index").set_index("scale_index")["scale"]
    return matrix.rename(columns=names)


def default_condition(rows: pd.DataFrame) -> str:
    """The condition B and L use by default for one (population, benchmark, family).

    The task-level aggregate (condition named like the benchmark) where there
    is one; otherwise the lower median of the conditions in order. For the
    paper's counting lengths 30, 40, ..., 100 this is len60, the length its
    Figure 1 uses.
    """
    conditions = condition_order(rows)
    benchmark = rows["benchmark"].iloc[0]
    if benchmark in conditions:
        return benchmark
    return conditions[(len(conditions) - 1) // 2]


def breakthrough_table(results: pd.DataFrame, metric: str = "em", condition: str | None = None) -> pd.DataFrame:
    """B and L for every fixed-seed curve, one condition per (population, benchmark, family).

    The condition is `condition` where the series has it, else
    `default_condition`. Series with fewer than 2 scales are left out
    (`series_without_curves` names them). Columns: population, benchmark,
    family, condition, seed, n_scales, breakthroughness, linearity,
    rank_breakthroughness, rank_linearity (1 = largest) and
    rankings_identical (fewer than 4 scales: B = L).
    """
    tables = []
    for key, rows in results.groupby(PLOT_KEY, sort=False):
        chosen = condition if condition is not None else default_condition(rows)
        curves = seed_curves(rows[rows["condition"] == chosen], metric)
        if curves.shape[1] < 2 or curves.empty:
            continue
        metrics = [breakthrough_metrics(curve) for curve in curves.to_numpy()]
        table = pd.DataFrame(metrics, columns=list(BreakthroughResult._fields))
        for position, (name, value) in enumerate(
            [*zip(PLOT_KEY, key), ("condition", chosen), ("seed", curves.index.to_numpy()),
             ("n_scales", curves.shape[1])]
        ):
            table.insert(position, name, value)
        for column in BreakthroughResult._fields:
            table[f"rank_{column}"] = table[column].rank(ascending=False, method="first").astype(int)
        table["rankings_identical"] = curves.shape[1] < MIN_SCALES_FOR_TWO_RANKINGS
        tables.append(table)
    columns = [*PLOT_KEY, "condition", "seed", "n_scales", *BreakthroughResult._fields]
    columns += [f"rank_{column}" for column in BreakthroughResult._fields] + ["rankings_identical"]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def series_without_curves(results: pd.DataFrame) -> list[tuple]:
    """(population, benchmark, family) with fewer than 2 scales, for which B and L are not defined."""
    scales = results.groupby(PLOT_KEY)["scale_index"].nunique()
    return sorted(scales[scales < 2].index)


def top_seeds(table: pd.DataFrame, by: str, k: int = TOP_K) -> list[int]:
    """The k seeds of one series' breakthrough rows with the largest `by` ("breakthroughness" or "linearity")."""
    return table.nsmallest(k, f"rank_{by}")["seed"].astype(int).tolist()
