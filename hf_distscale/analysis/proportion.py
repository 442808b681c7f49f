"""Exact confidence intervals for a proportion of seeds (P(success), P(fail)).

For k of n seeds, the Clopper-Pearson interval (Clopper & Pearson 1934) at
confidence 1 - alpha is

    low  = Beta^-1(alpha/2;     k,     n - k + 1)   (0 when k = 0)
    high = Beta^-1(1 - alpha/2; k + 1, n - k)       (1 when k = n)

It inverts two one-sided binomial tests, so its coverage is at least
1 - alpha for every true p and every n, the edges included: 0 of 24 seeds
gives [0, 0.142], where a percentile bootstrap collapses to [0, 0]. It is
conservative (wider than Wilson or Jeffreys in the middle), which at the
seed counts a population affords is the safe side of a claim.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from hf_distscale.analysis.bootstrap import CONFIDENCE, ConfidenceInterval


def clopper_pearson(successes, trials, confidence: float = CONFIDENCE) -> ConfidenceInterval:
    """The exact interval of successes / trials, for scalars or arrays; NaN where trials is 0."""
    k, n = np.broadcast_arrays(np.asarray(successes, dtype=float), np.asarray(trials, dtype=float))
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return ConfidenceInterval(float(low), float(high))
    return ConfidenceInterval(low, high)
