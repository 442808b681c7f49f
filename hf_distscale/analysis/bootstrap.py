"""Percentile bootstrap confidence intervals over seeds.

A seeded numpy Generator draws `n_resamples` resamples of the seeds with
replacement; the interval is the (alpha/2, 1 - alpha/2) percentiles of the
statistic over the resamples (Efron & Tibshirani 1993, ch. 13). Unlike
scipy.stats.bootstrap's BCa default it stays defined for degenerate samples
(all seeds failed gives the interval [0, 0]), which populations produce often.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

N_RESAMPLES = 1000
# Random permutations of a permutation test: p = (1 + exceedances) / (1 + K) lands on multiples of 1/2000.
N_PERMUTATIONS = 1999
CONFIDENCE = 0.95
# The 2.5% and 97.5% percentiles fall between two distinct resamples only from 40 resamples on.
MIN_RESAMPLES = 40
# The ceiling: at 100,000 resamples the Monte-Carlo error of a 2.5% percentile's level is
# sqrt(0.025 x 0.975 / 100,000) = 0.05 percentage points; more resamples only cost memory and time.
MAX_RESAMPLES = 100_000
# Peak bytes per resampled value of a series (int64 draw index, float64 value, the masks of
# `successful_mean`): about 11.5 measured with tracemalloc on `distributional_statistics`, doubled.
BYTES_PER_DRAW = 24


class ConfidenceInterval(NamedTuple):
    low: float
    high: float


def check_resamples(n_resamples: int) -> None:
    """ValueError unless MIN_RESAMPLES <= `n_resamples` <= MAX_RESAMPLES (the reasons are beside them)."""
    if n_resamples < MIN_RESAMPLES:
        raise ValueError(f"resamples: {n_resamples} bootstrap resamples cannot place a 95% interval; "
                         f"give at least {MIN_RESAMPLES} (default {N_RESAMPLES})")
    if n_resamples > MAX_RESAMPLES:
        raise ValueError(f"resamples: {n_resamples} bootstrap resamples are more than the {MAX_RESAMPLES:,} beyond "
                         f"which a 95% interval no longer changes; give at most {MAX_RESAMPLES} "
                         f"(default {N_RESAMPLES})")


def check_resamples_fit(n_resamples: int, n_values: int) -> None:
    """ValueError, with the estimate, when resampling a series of `n_values` seeds `n_resamples` times
    would not fit the memory available now (a series' resamples are held together for its fits)."""
    import psutil

    needed = BYTES_PER_DRAW * n_resamples * n_values
    available = psutil.virtual_memory().available
    if needed > available:
        fitting = max(available // (BYTES_PER_DRAW * n_values), 0)
        raise ValueError(
            f"resamples: {n_resamples} bootstrap resamples of the largest series ({n_values} seeds over its "
            f"scales) need about {needed / 2**30:.1f} GiB, and {available / 2**30:.1f} GiB of memory is "
            f"available; give --resamples {fitting} or fewer (default {N_RESAMPLES}), or free memory"
        )


def resample(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Return an (n_resamples, n) array of resamples of `values` drawn with replacement."""
    values = np.asarray(values, dtype=float)
    return values[rng.integers(0, len(values), size=(n_resamples, len(values)))]


def percentile_interval(estimates: np.ndarray, confidence: float = CONFIDENCE) -> ConfidenceInterval:
    """The (alpha/2, 1 - alpha/2) percentiles of bootstrap estimates, ignoring NaN ones."""
    estimates = np.asarray(estimates, dtype=float)
    finite = estimates[~np.isnan(estimates)]
    if finite.size == 0:
        return ConfidenceInterval(np.nan, np.nan)
    alpha = 1.0 - confidence
    low, high = np.percentile(finite, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return ConfidenceInterval(float(low), float(high))

