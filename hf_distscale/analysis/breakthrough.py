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
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

TOP_K = 5


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


def seed_curves(results: pd.DataFrame, family: str, test_length: int, metric: str = "em") -> pd.DataFrame:
    """Seeds x scales matrix of `metric` for one family and test length.

    Columns are the scale names ordered by scale_index; only seeds present at
    every scale are kept, because a curve needs a value at each scale.
    """
    rows = results[(results["family"] == family) & (results["test_length"] == test_length)]
    matrix = rows.pivot(index="seed", columns="scale_index", values=metric).dropna()
    names = rows.drop_duplicates("scale_index").set_index("scale_index")["scale"]
    return matrix.rename(columns=names)


def breakthrough_table(
    results: pd.DataFrame, metric: str = "em", test_length: int | None = None
) -> pd.DataFrame:
    """B and L for every (family, seed) curve, each family at one test length.

    The length is `test_length` when given, else the family's
    `default_test_length`. Families with fewer than 2 scales, or without the
    given length, are left out; `statistics` reports them. Columns: family,
    seed, test_length, breakthroughness, linearity, rank_breakthroughness,
    rank_linearity (1 = largest).
    """
    tables = []
    for family, rows in results.groupby("family", sort=True):
        length = default_test_length(rows["test_length"]) if test_length is None else test_length
        curves = seed_curves(rows, family, length, metric)
        if curves.shape[1] < 2 or curves.empty:
            continue
        metrics = [breakthrough_metrics(curve) for curve in curves.to_numpy()]
        table = pd.DataFrame(metrics, columns=list(BreakthroughResult._fields))
        table.insert(0, "seed", curves.index.to_numpy())
        table.insert(0, "family", family)
        table.insert(2, "test_length", int(length))
        for column in BreakthroughResult._fields:
            table[f"rank_{column}"] = table[column].rank(ascending=False, method="first").astype(int)
        tables.append(table)
    columns = ["family", "seed", "test_length", *BreakthroughResult._fields]
    columns += [f"rank_{column}" for column in BreakthroughResult._fields]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def families_without_curves(results: pd.DataFrame) -> list[str]:
    """Families with fewer than 2 scales, for which B and L are not defined."""
    scales = results.groupby("family")["scale_index"].nunique()
    return sorted(scales[scales < 2].index)


def top_seeds(table: pd.DataFrame, family: str, by: str, k: int = TOP_K) -> list[int]:
    """The k seeds of `family` with the largest `by` ("breakthroughness" or "linearity")."""
    rows = table[table["family"] == family]
    return rows.nsmallest(k, f"rank_{by}")["seed"].astype(int).tolist()


def default_test_length(test_lengths) -> int:
    """The test length B and L use by default: the lower median of a family's lengths.

    For the paper's lengths 30, 40, ..., 100 this is 60, the length its
    Figure 1 uses.
    """
    lengths = sorted(set(int(x) for x in test_lengths))
    return lengths[(len(lengths) - 1) // 2]
