"""The paper's claims as checks, each decided by 95% bootstrap intervals.

Per (population, benchmark, family), from the per-scale statistics and the
scaling fits (both keyed by `condition`):

- "depth raises P(success)" (families whose scales add layers): the logistic
  slope b of P(success) = sigmoid(a + b x) against scale. It holds when b's
  interval lies above 0, does not hold when it lies below 0, and is undecided
  when it contains 0.
- "width raises the successful mean while P(fail) stays" (families whose
  scales widen at a fixed depth): the least-squares slope of the successful
  mean against scale must lie above 0 and the P(fail) intervals of the
  smallest and largest scale must overlap. It does not hold when the slope
  lies below 0 or P(fail) moves (intervals apart); otherwise it is undecided.
- "inverse scaling": listed where the scaling fit detected it (P(success)
  slope below 0 while the successful-mean slope is above 0).

Each claim is read at a reference condition (the family's breakthrough test
length, or the benchmark's aggregate), and its evidence counts the conditions
where the same interval test passes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOLDS = "holds"
DOES_NOT_HOLD = "does not hold"
UNDECIDED = "undecided (intervals overlap)"

DEPTH_CLAIM = "depth raises P(success)"
WIDTH_CLAIM = "width raises the successful mean while P(fail) stays"
INVERSE_CLAIM = "inverse scaling"
NEGLIGIBLE = 1e-6


def scaling_dimension(scales: pd.DataFrame) -> str:
    """"depth" when num_layers rises with scale_index, "width" when only hidden_size rises, else "other".

    `scales`: one family's rows with scale_index, num_layers, hidden_size (any
    number of rows per scale; the first is used).
    """
    ordered = scales.drop_duplicates("scale_index").sort_values("scale_index")
    layers, hidden = ordered["num_layers"].to_numpy(), ordered["hidden_size"].to_numpy()
    if len(ordered) < 2:
        return "other"
    if np.all(np.diff(layers) > 0):
        return "depth"
    if np.all(np.diff(layers) == 0) and np.all(np.diff(hidden) > 0):
        return "width"
    return "other"


def interval_side(low: float, high: float) -> int:
    """+1 when [low, high] lies above 0, -1 below 0, 0 when it contains 0 or is undefined.

    Bounds within NEGLIGIBLE of 0 count as 0: a fit to identical counts at
    every scale (e.g. every seed fails) returns round-off, not a slope.
    """
    if np.isnan(low) or np.isnan(high):
        return 0
    return 1 if low > NEGLIGIBLE else -1 if high < -NEGLIGIBLE else 0


def intervals_apart(a_low: float, a_high: float, b_low: float, b_high: float) -> bool:
    """True when the intervals [a_low, a_high] and [b_low, b_high] do not overlap."""
    return bool(a_high < b_low or b_high < a_low)


def _interval(row, column: str) -> str:
    value, low, high = row[column], row[f"{column}_ci_low"], row[f"{column}_ci_high"]
    return "-" if np.isnan(value) else f"{value:.2f} [{low:.2f}, {high:.2f}]"


def depth_claim(fits: pd.DataFrame, per_scale: pd.DataFrame, reference: str) -> dict:
    """The depth claim for one family; `fits` and `per_scale` hold that family's rows."""
    at = fits[fits["condition"] == reference] if not fits.empty else fits
    if at.empty:
        return {"status": UNDECIDED, "evidence": f"no scaling fit at {reference} (needs 2 or more scales)"}
    fit = at.iloc[0]
    side = interval_side(fit["slope_ci_low"], fit["slope_ci_high"])
    rows = per_scale[per_scale["condition"] == reference].sort_values("scale_index")
    smallest, largest = rows.iloc[0], rows.iloc[-1]
    above = sum(interval_side(lo, hi) > 0 for lo, hi in zip(fits["slope_ci_low"], fits["slope_ci_high"]))
    axis = "per ln N" if fit["x_variable"] == "log_parameters" else "per scale step"
    evidence = (
        f"at {reference}: P(success) slope {fit['slope']:.2f} [{fit['slope_ci_low']:.2f}, "
        f"{fit['slope_ci_high']:.2f}] {axis}; P(success) {_interval(smallest, 'frac_successful')} at "
        f"{smallest['scale']} -> {_interval(largest, 'frac_successful')} at {largest['scale']}; "
        f"slope interval above 0 at {above} of {len(fits)} conditions"
    )
    status = {1: HOLDS, -1: DOES_NOT_HOLD, 0: UNDECIDED}[side]
    return {"status": status, "evidence": evidence, "value": fit["slope"],
            "ci_low": fit["slope_ci_low"], "ci_high": fit["slope_ci_high"]}


def width_claim(fits: pd.DataFrame, per_scale: pd.DataFrame, reference: str) -> dict:
    """The width claim for one family; `fits` and `per_scale` hold that family's rows."""
    at = fits[fits["condition"] == reference] if not fits.empty else fits
    rows = per_scale[per_scale["condition"] == reference].sort_values("scale_index")
    if at.empty or rows.empty:
        return {"status": UNDECIDED, "evidence": f"no scaling fit at {reference} (needs 2 or more scales)"}
    fit, smallest, largest = at.iloc[0], rows.iloc[0], rows.iloc[-1]
    mean_side = interval_side(fit["success_mean_slope_ci_low"], fit["success_mean_slope_ci_high"])
    fail_moves = intervals_apart(
        smallest["frac_failed_ci_low"], smallest["frac_failed_ci_high"],
        largest["frac_failed_ci_low"], largest["frac_failed_ci_high"],
    )
    if mean_side < 0 or fail_moves:
        status = DOES_NOT_HOLD
    elif mean_side > 0:
        status = HOLDS
    else:
        status = UNDECIDED
    evidence = (
        f"at {reference}: successful-mean slope {fit['success_mean_slope']:.3f} "
        f"[{fit['success_mean_slope_ci_low']:.3f}, {fit['success_mean_slope_ci_high']:.3f}]; "
        f"P(fail) {_interval(smallest, 'frac_failed')} at {smallest['scale']} -> "
        f"{_interval(largest, 'frac_failed')} at {largest['scale']} "
        f"({'intervals apart: P(fail) moves' if fail_moves else 'intervals overlap: P(fail) stays'})"
    )
    return {"status": status, "evidence": evidence, "value": fit["success_mean_slope"],
            "ci_low": fit["success_mean_slope_ci_low"], "ci_high": fit["success_mean_slope_ci_high"]}


def inverse_scaling_claims(fits: pd.DataFrame) -> list[dict]:
    """One claim per condition where the scaling fit detected inverse scaling."""
    return [
        {
            "condition": fit["condition"],
            "status": HOLDS,
            "evidence": (
                f"at {fit['condition']}: P(success) slope {fit['slope']:.2f} [{fit['slope_ci_low']:.2f}, "
                f"{fit['slope_ci_high']:.2f}] falls while the successful-mean slope "
                f"{fit['success_mean_slope']:.3f} [{fit['success_mean_slope_ci_low']:.3f}, "
                f"{fit['success_mean_slope_ci_high']:.3f}] rises"
            ),
            "value": fit["slope"], "ci_low": fit["slope_ci_low"], "ci_high": fit["slope_ci_high"],
        }
        for _, fit in fits[fits["inverse_scaling"].astype(bool)].iterrows()
    ]


def paper_claims(
    per_scale: pd.DataFrame,
    scaling_fits: pd.DataFrame,
    scales: pd.DataFrame,
    references: dict[str, str],
) -> pd.DataFrame:
    """Every applicable claim of one (population, benchmark)'s statistics, one row each.

    `per_scale` and `scaling_fits` carry family and condition; `scales` has
    family, scale_index, num_layers, hidden_size; `references` maps family to
    its reference condition. Columns: family, claim, dimension, condition,
    status, evidence, value, ci_low, ci_high.
    """
    rows = []
    for family, family_scales in scales.groupby("family"):
        dimension = scaling_dimension(family_scales)
        fits = scaling_fits[scaling_fits["family"] == family] if not scaling_fits.empty else scaling_fits
        stats = per_scale[per_scale["family"] == family]
        base = {"family": family, "dimension": dimension}
        reference = references.get(family)
        if dimension == "depth":
            rows.append({**base, "claim": DEPTH_CLAIM, "condition": reference, **depth_claim(fits, stats, reference)})
        if dimension == "width":
            rows.append({**base, "claim": WIDTH_CLAIM, "condition": reference, **width_claim(fits, stats, reference)})
        if not fits.empty:
            rows += [{**base, "claim": INVERSE_CLAIM, **claim} for claim in inverse_scaling_claims(fits)]
    columns = ["family", "claim", "dimension", "condition", "status", "evidence", "value", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)
