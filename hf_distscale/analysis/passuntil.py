"""The PassUntil task scaling law (Hu et al. 2023, "Predicting Emergent Abilities with Infinite Resolution Evaluation").

PU is the pass probability of sampling the exact answer. With a unique answer
it equals the product of the answer's token probabilities, which evaluation
stores per model as `p_exact` (the mean over a test length's examples). Per
scale, PU_s is the mean of `p_exact` over seeds. The task scaling law is

    PU(N) = exp(-c N^(-alpha))   <=>   log(-log PU) = log c - alpha log N,

a straight line in x = log N. The fit adds a quadratic term,

    log(-log PU_s) = b0 + b1 x_s + b2 x_s^2,

and the curve is concave when b2 < 0: PU rises faster than the law predicts,
which Hu et al. call accelerated emergence. `accelerated_emergence` asks more:
the 95% bootstrap interval of b2 (seeds resampled within each scale) lies
below 0. With 2 scales only the line is fitted and concavity is undefined.
PU is clipped to [1e-300, 1 - 1e-12] so that log(-log PU) stays finite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES, percentile_interval, resample
from hf_distscale.analysis.scale_axis import series_over_scales

PU_CLIP = (1e-300, 1 - 1e-12)


def log_neg_log(pass_probability: np.ndarray) -> np.ndarray:
    """log(-log PU), with PU clipped to PU_CLIP."""
    return np.log(-np.log(np.clip(pass_probability, *PU_CLIP)))


def passuntil_fit(
    pass_probabilities_per_scale: list[np.ndarray],
    x: np.ndarray,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict:
    """Fit log(-log PU) against x for one series.

    `pass_probabilities_per_scale[s]` holds `p_exact` of every seed at scale s.
    Returns alpha (= -b1 of the line), log_c (= b0 of the line), quadratic
    (= b2) with its CI, concave and accelerated_emergence.
    """
    if len(pass_probabilities_per_scale) < 2:
        raise ValueError("PassUntil fit: needs at least 2 scales; train the family at 2 or more scales")
    x = np.asarray(x, dtype=float)
    pass_probability = np.array([np.mean(p) for p in pass_probabilities_per_scale])
    log_c, neg_alpha = np.polynomial.polynomial.polyfit(x, log_neg_log(pass_probability), 1)
    row = {"alpha": float(-neg_alpha), "log_c": float(log_c)}
    if len(x) < 3:
        return {**row, "quadratic": np.nan, "quadratic_ci_low": np.nan, "quadratic_ci_high": np.nan,
                "concave": None, "accelerated_emergence": None}
    rng = np.random.default_rng(seed)
    boot_pass = np.stack(
        [resample(p, n_resamples, rng).mean(-1) for p in pass_probabilities_per_scale], axis=0
    )
    quadratic = np.polynomial.polynomial.polyfit(x, log_neg_log(pass_probability), 2)[2]
    boot_quadratic = np.polynomial.polynomial.polyfit(x, log_neg_log(boot_pass), 2)[2]
    interval = percentile_interval(boot_quadratic)
    return {
        **row,
        "quadratic": float(quadratic),
        "quadratic_ci_low": interval.low,
        "quadratic_ci_high": interval.high,
        "concave": bool(quadratic < 0),
        "accelerated_emergence": bool(interval.high < 0),
    }


def passuntil_fits(results: pd.DataFrame, n_resamples: int = N_RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """`passuntil_fit` per series (population, benchmark, family, condition) from the `p_exact` column.

    Only rows that measured `p_exact` (the counting task) take part. Columns:
    population, benchmark, family, condition, test_length, x_variable, alpha,
    log_c, quadratic (+ CI), concave, accelerated_emergence, and
    pass_probability (list per scale).
    """
    results = results[results["p_exact"].notna()]
    rows = []
    for identity, series, scale_indices, axis in series_over_scales(results):
        per_scale = [series.loc[series["scale_index"] == index, "p_exact"].to_numpy() for index in scale_indices]
        fit = passuntil_fit(per_scale, axis.values, n_resamples, seed)
        rows.append(
            {
                **identity,
                "test_length": int(series["test_length"].iloc[0]),
                "x_variable": axis.name,
                **fit,
                "pass_probability": [float(np.mean(p)) for p in per_scale],
            }
        )
    return pd.DataFrame(rows)
