"""A two-component mixture per (family, scale, test length): a threshold-free view of success.

The seed distribution of the metric is modelled as a two-component Gaussian
mixture (scikit-learn's GaussianMixture, maximum likelihood by EM):

    p(x) = (1 - w) N(x; mu_fail, s_fail^2) + w N(x; mu_success, s_success^2),

with the success mode the component of larger mean. w is a continuous
counterpart of the successful fraction and mu_success of the successful mean.
When every seed sits in one mode the mixture still splits it in two, so read
mu_success (is it a success-level value?) alongside w. EM starts from means
at the 10th and 90th percentiles, so the fit is deterministic. A distribution
with fewer than 4 seeds or a single distinct value gives NaN.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture

MIN_SEEDS = 4


class MixtureResult(NamedTuple):
    success_weight: float
    success_mean: float
    failure_mean: float


def two_mode_mixture(values: np.ndarray) -> MixtureResult:
    """Fit the two-component mixture to one seed distribution (see the module docstring)."""
    values = np.asarray(values, dtype=float).reshape(-1, 1)
    if len(values) < MIN_SEEDS or np.unique(values).size < 2:
        return MixtureResult(np.nan, np.nan, np.nan)
    mixture = GaussianMixture(
        n_components=2,
        means_init=np.percentile(values, [10, 90]).reshape(2, 1),
        random_state=0,
        reg_covar=1e-4,
    ).fit(values)
    means = mixture.means_.ravel()
    success, failure = int(np.argmax(means)), int(np.argmin(means))
    return MixtureResult(float(mixture.weights_[success]), float(means[success]), float(means[failure]))


def mixture_table(results: pd.DataFrame, metric: str = "em") -> pd.DataFrame:
    """`two_mode_mixture` per (family, scale_index, test_length), prefixed `mixture_`."""
    rows = []
    for (family, scale_index, test_length), group in results.groupby(
        ["family", "scale_index", "test_length"]
    ):
        fit = two_mode_mixture(group[metric].to_numpy())
        rows.append(
            {
                "family": family,
                "scale_index": int(scale_index),
                "test_length": int(test_length),
                **{f"mixture_{name}": value for name, value in fit._asdict().items()},
            }
        )
    return pd.DataFrame(rows)
