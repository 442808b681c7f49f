"""Distributional scaling fit: P(success) and the successful-mode mean against scale.

Per series (population, benchmark, family, condition), with x_s the scale axis
(`scale_axis`: ln N, or the scale index for a fixed-parameter family) and k_s
of n_s seeds successful (metric above the benchmark's success line t_s, 0.5
for counting EM; `thresholds`) at scale s:

- P(success | x) = 1 / (1 + exp(-(a + b x))), fitted by binomial maximum
  likelihood (Newton's method) on counts with a Haldane-Anscombe correction
  k_s + 1/2 of n_s + 1, which keeps a and b finite when the scales separate
  perfectly (all fail below, all succeed above).
- The crossing x* = -a/b where P(success) = 0.5; N* = exp(x*) on the ln N axis.
  Only a crossing inside the measured range [x_min, x_max] is reported; else
  crossing_direction says whether the fitted P(success) stays "below" or
  "above" 0.5 over the whole range, and an interval bound beyond the range is
  left out (NaN): an extrapolated crossing is not a measurement.
- The successful-mode mean M_s = mean{metric : metric > t_s} against x_s, as
  an ordinary least-squares slope.
- Inverse scaling: P(success) falls (the 95% interval of b lies below 0) while
  the successful mean rises (the interval of its slope lies above 0).

Where the data cannot carry a fit, the fit says so instead of printing a
certainty it does not have: with every seed successful at every scale (or
every seed failed) the logistic slope is undefined (the likelihood has no
maximum; the corrected fit would only return the correction's own slope), so
intercept, slope, their interval and the crossing are NaN and `slope_note`
gives the reason; the fitted P(success) is then said to stay "above" (or
"below") 0.5. Where every successful seed at every scale holds one value,
the successful-mean slope is 0 with no interval and `success_mean_slope_note`
says "at ceiling" (the metric's maximum, 1), "at floor" (0) or names the value.

Intervals are 95% percentile bootstrap intervals: seeds are resampled with
replacement within each scale, 1,000 times, and everything is refitted.
Metrics without a success line (NLL, Brier score) get no fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES, ConfidenceInterval, percentile_interval, resample
from hf_distscale.analysis.distribution import successful_mean
from hf_distscale.analysis.scale_axis import series_over_scales
from hf_distscale.analysis.thresholds import score_thresholds

NEWTON_STEPS = 50


def fit_logistic(x: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Binomial-likelihood logistic fit of successes/trials against x, batched.

    `successes` may be (m,) or (R, m) for R data sets over the same m values of
    x. Returns (a, b) of P = sigmoid(a + b x), shape (2,) or (R, 2), after the
    Haldane-Anscombe correction (k + 1/2 of n + 1). The log-likelihood is
    concave, so Newton's method from (0, 0) converges.
    """
    x = np.asarray(x, dtype=float)
    k = np.atleast_2d(np.asarray(successes, dtype=float)) + 0.5
    n = np.broadcast_to(np.asarray(trials, dtype=float) + 1.0, k.shape)
    center = x.mean()
    xc = x - center
    a = np.zeros(k.shape[0])
    b = np.zeros(k.shape[0])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(a[:, None] + b[:, None] * xc)))
        residual = k - n * p
        weight = n * p * (1 - p)
        g0, g1 = residual.sum(1), (residual * xc).sum(1)
        h00, h01, h11 = weight.sum(1), (weight * xc).sum(1), (weight * xc**2).sum(1)
        determinant = h00 * h11 - h01**2
        a = a + (h11 * g0 - h01 * g1) / determinant
        b = b + (h00 * g1 - h01 * g0) / determinant
    params = np.stack([a - b * center, b], axis=-1)
    return params[0] if np.ndim(successes) == 1 else params


def least_squares_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slope of y against x along the last axis, skipping NaN y; NaN with < 2 points."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    x = np.broadcast_to(np.asarray(x, dtype=float), y.shape)
    present = ~np.isnan(y)
    count = present.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.where(present, x, 0).sum(-1) / count
        y_mean = np.where(present, y, 0).sum(-1) / count
        dx = np.where(present, x - x_mean[:, None], 0)
        dy = np.where(present, y - y_mean[:, None], 0)
        slope = (dx * dy).sum(-1) / (dx**2).sum(-1)
    return np.where(count >= 2, slope, np.nan)


def scaling_fit(
    values_per_scale: list[np.ndarray],
    x: np.ndarray,
    success_thresholds: np.ndarray,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict:
    """Fit P(success) and the successful mean against x for one series.

    `values_per_scale[s]` holds the metric of every seed at scale s, with x[s]
    its position on the scale axis and success_thresholds[s] its success line. Returns a dict with intercept, slope
    (+ `_ci_low/_ci_high`, `slope_note`), crossing_x (+ CI; NaN outside [min x, max x]),
    crossing_in_range, crossing_direction ("below"/"above" when not in range), x_min, x_max,
    success_mean_slope (+ CI, `success_mean_slope_note`) and inverse_scaling.
    """
    if len(values_per_scale) < 2:
        raise ValueError("scaling fit: needs at least 2 scales; train the family at 2 or more scales")
    rng = np.random.default_rng(seed)
    trials = np.array([len(v) for v in values_per_scale])
    lines = np.broadcast_to(np.asarray(success_thresholds, dtype=float), (len(values_per_scale),))
    successes = np.array([np.sum(np.asarray(v) > t) for v, t in zip(values_per_scale, lines)])
    means = np.array([successful_mean(v, t) for v, t in zip(values_per_scale, lines)])
    resamples = [resample(v, n_resamples, rng) for v in values_per_scale]
    boot_successes = np.stack([(r > t).sum(-1) for r, t in zip(resamples, lines)], axis=-1)
    boot_means = np.stack([successful_mean(r, t) for r, t in zip(resamples, lines)], axis=-1)

    intercept, slope = fit_logistic(x, successes, trials)
    boot_params = fit_logistic(x, boot_successes, trials)
    slope_note = ("undefined: all succeed at every scale" if np.all(successes == trials)
                  else "undefined: all fail at every scale" if np.all(successes == 0) else "")
    if slope_note:
        intercept = slope = np.nan
        boot_params[:] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = -intercept / slope if slope != 0 else np.nan
        boot_crossing = -boot_params[:, 0] / boot_params[:, 1]
    boot_crossing[~np.isfinite(boot_crossing)] = np.nan
    mean_slope = float(least_squares_slope(x, means)[0])
    slope_ci = percentile_interval(boot_params[:, 1])
    mean_slope_ci = percentile_interval(least_squares_slope(x, boot_means))
    mean_slope_note = _constant_successes_note(values_per_scale, lines)
    if mean_slope_note:
        mean_slope_ci = ConfidenceInterval(np.nan, np.nan)
    crossing_ci = percentile_interval(boot_crossing)
    low_x, high_x = float(np.min(x)), float(np.max(x))
    in_range = bool(low_x <= crossing <= high_x)
    inside = [v if low_x <= v <= high_x else np.nan for v in crossing_ci]
    ends = (1 / (1 + np.exp(-(intercept + slope * np.array([low_x, high_x]))))
            if not slope_note else np.full(2, 1.0 if np.all(successes == trials) else 0.0))
    direction = "" if in_range else ("below" if np.all(ends < 0.5) else "above" if np.all(ends > 0.5) else "")
    return {
        "intercept": float(intercept),
        "slope": float(slope),
        "slope_ci_low": slope_ci.low,
        "slope_ci_high": slope_ci.high,
        "slope_note": slope_note,
        "crossing_x": float(crossing) if in_range else np.nan,
        "crossing_x_ci_low": inside[0] if in_range else np.nan,
        "crossing_x_ci_high": inside[1] if in_range else np.nan,
        "crossing_in_range": in_range,
        "crossing_direction": direction,
        "x_min": low_x,
        "x_max": high_x,
        "success_mean_slope": mean_slope,
        "success_mean_slope_ci_low": mean_slope_ci.low,
        "success_mean_slope_ci_high": mean_slope_ci.high,
        "success_mean_slope_note": mean_slope_note,
        "inverse_scaling": bool(slope_ci.high < 0 and mean_slope_ci.low > 0),
    }


def _constant_successes_note(values_per_scale: list[np.ndarray], lines: np.ndarray) -> str:
    """'at ceiling' / 'at floor' / 'every successful seed scores V' when every successful seed at every
    scale holds one value (a slope over such means has nothing to resample); '' otherwise."""
    passed = np.concatenate([np.asarray(v, dtype=float)[np.asarray(v) > t] for v, t in zip(values_per_scale, lines)])
    if passed.size == 0 or np.ptp(passed) > 0:
        return ""
    value = float(passed[0])
    where = "at ceiling" if value == 1.0 else "at floor" if value == 0.0 else "no spread"
    return f"{where}: every successful seed scores {value:.2f} at every scale"


def scaling_fits(
    results: pd.DataFrame,
    metric: str = "em",
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """`scaling_fit` for every series with 2 or more scales and a success line for `metric`.

    Columns: population, benchmark, family, condition, test_length,
    x_variable, the fit's values and, on the ln N axis, crossing_parameters
    (+ CI) = exp(crossing_x).
    """
    rows = []
    for identity, series, scale_indices, axis in series_over_scales(results):
        by_scale = [series[series["scale_index"] == i] for i in scale_indices]
        lines = [score_thresholds(identity["benchmark"], metric, float(g["chance"].median())) for g in by_scale]
        if any(line is None for line in lines):
            continue
        fit = scaling_fit(
            [g[metric].to_numpy() for g in by_scale],
            axis.values,
            np.array([line.success for line in lines]),
            n_resamples,
            seed,
        )
        row = {**identity, "test_length": int(series["test_length"].iloc[0]), "x_variable": axis.name, **fit}
        for suffix in ("", "_ci_low", "_ci_high"):
            with np.errstate(over="ignore"):
                row[f"crossing_parameters{suffix}"] = (
                    float(np.exp(fit[f"crossing_x{suffix}"])) if axis.name == "log_parameters" else np.nan
                )
        rows.append(row)
    return pd.DataFrame(rows)
