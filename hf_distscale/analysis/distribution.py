"""Statistics of the distribution over seeds in one group (population, benchmark, family, scale, condition).

For the metric values x_1..x_n of n seeds (EM by default), with the group's
failure line f and success line s from `thresholds` (0.1 and 0.5 for counting EM):

- failed fraction      F = #{x_j < f} / n
- successful fraction  S = #{x_j > s} / n
- successful mean      M = mean{x_j : x_j > s}  (NaN when no seed succeeds)
- bimodality coefficient BC = (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))), with g
  the sample skewness and k the sample excess kurtosis, both bias-corrected
  (SAS Institute 1990; Pfister et al. 2013); BC > 5/9 suggests bimodality
- Wasserstein-1 distance W(P_s, P_{s+1}) between the seed distributions of
  this scale and the next larger scale of the same series (scipy.stats)

F and S come with exact 95% Clopper-Pearson intervals (`proportion`), valid
at 0 of n and n of n; M with a 95% percentile bootstrap interval over seeds
when at least MIN_SEEDS_FOR_MEAN seeds succeed, and no interval otherwise (a
mean of one seed has no spread to resample). Metrics without thresholds
(NLL, Brier score) get NaN for F, S and M. The bimodality tests and the
verdict are in `bimodality`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hf_distscale.analysis.bootstrap import N_RESAMPLES, percentile_interval, resample
from hf_distscale.analysis.proportion import clopper_pearson
from hf_distscale.analysis.schema import GROUP_KEY, SERIES_KEY
from hf_distscale.analysis.thresholds import Thresholds, score_thresholds

BIMODALITY_THRESHOLD = 5 / 9
MIN_SEEDS_FOR_MEAN = 2


def successful_mean(values: np.ndarray, threshold: float) -> np.ndarray:
    """M = mean{x : x > threshold} along the last axis; NaN where no value passes."""
    values = np.asarray(values, dtype=float)
    passed = values > threshold
    count = passed.sum(axis=-1)
    total = np.where(passed, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


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
    thresholds: Thresholds | None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict:
    """All single-group statistics of one seed distribution, as one table row.

    `thresholds` None (a metric without failure/success lines) gives NaN
    fractions and successful mean. n_successful counts the seeds above the
    success line, so a reader can tell a mean of one seed.
    """
    values = np.asarray(values, dtype=float)
    row = {"n_seeds": int(values.size)}
    if thresholds is None:
        row["n_successful"] = np.nan
        for name in ("frac_failed", "frac_successful", "successful_mean"):
            row[name] = row[f"{name}_ci_low"] = row[f"{name}_ci_high"] = np.nan
    else:
        failed = int(np.sum(values < thresholds.failure))
        succeeded = int(np.sum(values > thresholds.success))
        row["n_successful"] = succeeded
        for name, count in (("frac_failed", failed), ("frac_successful", succeeded)):
            row[name] = count / values.size
            row[f"{name}_ci_low"], row[f"{name}_ci_high"] = clopper_pearson(count, values.size)
        row["successful_mean"] = float(successful_mean(values, thresholds.success))
        interval = (np.nan, np.nan)
        if succeeded >= MIN_SEEDS_FOR_MEAN:
            resamples = resample(values, n_resamples, np.random.default_rng(seed))
            interval = percentile_interval(successful_mean(resamples, thresholds.success))
        row["successful_mean_ci_low"], row["successful_mean_ci_high"] = interval
    row.update(
        mean=float(values.mean()),
        median=float(np.median(values)),
        bimodality_coefficient=bimodality_coefficient(values),
    )
    return row


def distribution_statistics(
    results: pd.DataFrame,
    metric: str = "em",
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (population, benchmark, family, scale, condition) of a checked results table.

    Columns: population, benchmark, family, scale, scale_index,
    num_parameters, condition, test_length, n_examples, chance,
    failure_threshold, success_threshold (NaN where the metric has none),
    n_seeds, n_successful, frac_failed / frac_successful / successful_mean and their
    `_ci_low` / `_ci_high`, mean, median, bimodality_coefficient, wasserstein_to_next (NaN at a series' largest scale).
    """
    rows = []
    for key, group in results.groupby(GROUP_KEY, sort=False):
        identity = dict(zip(GROUP_KEY, key))
        chance = float(group["chance"].median())
        thresholds = score_thresholds(identity["benchmark"], metric, chance)
        rows.append(
            {
                **identity,
                "scale": group["scale"].iloc[0],
                "scale_index": int(identity["scale_index"]),
                "num_parameters": int(group["num_parameters"].median()),
                "test_length": int(group["test_length"].iloc[0]),
                "n_examples": int(group["n_examples"].median()),
                "chance": chance,
                "failure_threshold": thresholds.failure if thresholds else np.nan,
                "success_threshold": thresholds.success if thresholds else np.nan,
                **seed_distribution_row(group[metric].to_numpy(), thresholds, n_resamples, seed),
            }
        )
    columns = ["population", "benchmark", "family", "scale", "scale_index", "num_parameters",
               "condition", "test_length"]
    table = pd.DataFrame(rows)
    table = table[columns + [c for c in table.columns if c not in columns]]
    table["wasserstein_to_next"] = _wasserstein_to_next_scale(results, metric, table)
    return table


def _wasserstein_to_next_scale(results: pd.DataFrame, metric: str, table: pd.DataFrame) -> np.ndarray:
    """W(P_s, P_next) for each row of `table`, NaN at the largest scale of its series."""
    samples = {key: group[metric].to_numpy() for key, group in results.groupby(GROUP_KEY, sort=False)}
    distances = np.full(len(table), np.nan)
    for _, series in table.groupby(SERIES_KEY, sort=False):
        ordered = series.sort_values("scale_index")
        keys = [tuple(row) for row in ordered[GROUP_KEY].itertuples(index=False)]
        for position, (smaller, larger) in zip(ordered.index[:-1], zip(keys[:-1], keys[1:])):
            distances[table.index.get_loc(position)] = stats.wasserstein_distance(
                samples[smaller], samples[larger]
            )
    return distances
