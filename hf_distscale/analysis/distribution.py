"""Statistics of the distribution over seeds at one (family, scale, test length).

For the metric values x_1..x_n of n seeds (EM by default):

- failed fraction      F = #{x_j < 0.1} / n
- successful fraction  S = #{x_j > 0.5} / n
- successful mean      M = mean{x_j : x_j > 0.5}  (NaN when no seed succeeds)
- Hartigan's dip D and its p-value (Hartigan & Hartigan 1985, via `diptest`);
  the paper calls a distribution multimodal at p < 0.001
- bimodality coefficient BC = (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))), with g
  the sample skewness and k the sample excess kurtosis, both bias-corrected
  (SAS Institute 1990; Pfister et al. 2013); BC > 5/9 suggests bimodality
- Wasserstein-1 distance W(P_s, P_{s+1}) between the seed distributions of
  this scale and the next larger scale of the family (scipy.stats)

F, S and M come with 95% percentile bootstrap intervals over seeds.
"""

from __future__ import annotations

from typing import NamedTuple

import diptest
import numpy as np
import pandas as pd
from scipy import stats

from hf_distscale.analysis.bootstrap import N_RESAMPLES, percentile_interval, resample

FAILURE_THRESHOLD = 0.1
SUCCESS_THRESHOLD = 0.5
DIP_SIGNIFICANCE = 0.001
BIMODALITY_THRESHOLD = 5 / 9


class DipResult(NamedTuple):
    statistic: float
    pvalue: float


def fraction_failed(values: np.ndarray, threshold: float = FAILURE_THRESHOLD) -> np.ndarray:
    """F = #{x < threshold} / n along the last axis."""
    return np.mean(np.asarray(values) < threshold, axis=-1)


def fraction_successful(values: np.ndarray, threshold: float = SUCCESS_THRESHOLD) -> np.ndarray:
    """S = #{x > threshold} / n along the last axis."""
    return np.mean(np.asarray(values) > threshold, axis=-1)


def successful_mean(values: np.ndarray, threshold: float = SUCCESS_THRESHOLD) -> np.ndarray:
    """M = mean{x : x > threshold} along the last axis; NaN where no value passes."""
    values = np.asarray(values, dtype=float)
    passed = values > threshold
    count = passed.sum(axis=-1)
    total = np.where(passed, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def dip_test(values: np.ndarray) -> DipResult:
    """Hartigan's dip statistic and p-value; NaN for n <= 3, where the test is not defined."""
    values = np.asarray(values, dtype=float)
    if values.size <= 3:
        return DipResult(np.nan, np.nan)
    statistic, pvalue = diptest.diptest(values)
    return DipResult(float(statistic), float(pvalue))


def bimodality_coefficient(values: np.ndarray) -> float:
    """BC = (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))); NaN for n < 4 or constant values.

    g and k are the bias-corrected sample skewness and excess kurtosis. A
    uniform distribution gives 5/9; BC > 5/9 suggests bimodality.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n < 4 or np.ptp(values) == 0:
        return np.nan
    skewness = stats.skew(values, bias=False)
    excess_kurtosis = stats.kurtosis(values, bias=False)
    return float((skewness**2 + 1) / (excess_kurtosis + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def seed_distribution_row(
    values: np.ndarray,
    failure_threshold: float = FAILURE_THRESHOLD,
    success_threshold: float = SUCCESS_THRESHOLD,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict:
    """All single-scale statistics of one seed distribution, as one table row."""
    values = np.asarray(values, dtype=float)
    dip = dip_test(values)
    resamples = resample(values, n_resamples, np.random.default_rng(seed))
    row = {"n_seeds": int(values.size)}
    for name, statistic, threshold in (
        ("frac_failed", fraction_failed, failure_threshold),
        ("frac_successful", fraction_successful, success_threshold),
        ("successful_mean", successful_mean, success_threshold),
    ):
        interval = percentile_interval(statistic(resamples, threshold))
        row[name] = float(statistic(values, threshold))
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = interval
    row.update(
        mean=float(values.mean()),
        median=float(np.median(values)),
        dip=dip.statistic,
        dip_pvalue=dip.pvalue,
        multimodal=bool(dip.pvalue < DIP_SIGNIFICANCE),
        bimodality_coefficient=bimodality_coefficient(values),
    )
    return row


def distribution_statistics(
    results: pd.DataFrame,
    metric: str = "em",
    failure_threshold: float = FAILURE_THRESHOLD,
    success_threshold: float = SUCCESS_THRESHOLD,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (family, scale, test length) of a checked results table.

    Columns: family, scale, scale_index, num_parameters, test_length, n_seeds,
    frac_failed / frac_successful / successful_mean and their `_ci_low` /
    `_ci_high`, mean, median, dip, dip_pvalue, multimodal,
    bimodality_coefficient, wasserstein_to_next (NaN at a family's largest
    scale).
    """
    rows = []
    groups = results.groupby(["family", "scale_index", "test_length"], sort=True)
    for (family, scale_index, test_length), group in groups:
        rows.append(
            {
                "family": family,
                "scale": group["scale"].iloc[0],
                "scale_index": int(scale_index),
                "num_parameters": int(group["num_parameters"].median()),
                "test_length": int(test_length),
                **seed_distribution_row(
                    group[metric].to_numpy(), failure_threshold, success_threshold, n_resamples, seed
                ),
            }
        )
    table = pd.DataFrame(rows)
    table["wasserstein_to_next"] = _wasserstein_to_next_scale(results, metric, table)
    return table


def _wasserstein_to_next_scale(results: pd.DataFrame, metric: str, table: pd.DataFrame) -> list[float]:
    """W(P_s, P_next) for each row of `table`, NaN where the family has no larger scale."""
    samples = {
        key: group[metric].to_numpy()
        for key, group in results.groupby(["family", "scale_index", "test_length"])
    }
    distances = []
    for row in table.itertuples():
        larger = table[
            (table["family"] == row.family)
            & (table["test_length"] == row.test_length)
            & (table["scale_index"] > row.scale_index)
        ]
        if larger.empty:
            distances.append(np.nan)
            continue
        next_index = larger["scale_index"].min()
        distances.append(
            float(
                stats.wasserstein_distance(
                    samples[(row.family, row.scale_index, row.test_length)],
                    samples[(row.family, next_index, row.test_length)],
                )
            )
        )
    return distances
