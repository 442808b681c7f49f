"""Seeds or items? How much of a population mean's uncertainty comes from the seeds, how much from the test items.

For one group (population, benchmark, family, scale, condition) with S seeds
each scored on the same I items (a crossed design), y_si the score of seed s
on item i (1/0 correctness, or any per-item value), the random-effects model

    y_si = mu + a_s + b_i + e_si,   a_s ~ (0, var_seed), b_i ~ (0, var_item), e_si ~ (0, var_residual)

is estimated by the two-way ANOVA without replication (method of moments,
Searle, Casella & McCulloch 1992, ch. 4): with row means y_s., column means
y_.i and grand mean y..,

    MS_seed     = I sum_s (y_s. - y..)^2 / (S - 1)
    MS_item     = S sum_i (y_.i - y..)^2 / (I - 1)
    MS_residual = sum_si (y_si - y_s. - y_.i + y..)^2 / ((S - 1)(I - 1))

    var_residual = MS_residual
    var_seed     = max(0, (MS_seed - MS_residual) / I)
    var_item     = max(0, (MS_item - MS_residual) / S)

The variance of the population mean y.., for a new draw of seeds and of items
from the same distributions, is

    Var(y..) = var_seed / S + var_item / I + var_residual / (S I)

and each term over the total is that source's share (seed share, item share,
interaction share). Beside it:

- the between-seed SD of the metric, SD(y_s.) with ddof 1;
- the item-level standard error that lm-evaluation-harness reports for one
  model, sqrt(var_i(y_si) / I) with ddof 1, averaged over the seeds: the part
  of the uncertainty a single-model leaderboard shows;
- a two-level bootstrap interval of y..: seeds are resampled with
  replacement, then items (one item resample shared by every seed, which keeps
  the design crossed), and the mean recomputed (Field & Welsh 2007 for
  resampling both factors of a crossed design).

A seed share near 1 says a leaderboard gap between two such populations is a
seed lottery that more test items cannot shrink; an item share near 1 says
the test set, not the seed, limits the comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES, percentile_interval

ITEM_GROUP_KEY = ["population", "benchmark", "family", "scale", "condition"]
# Results-table metric -> the items-table column that holds it per item (the metric is its mean).
ITEM_VALUES = {"em": "correct", "acc": "correct", "nll_correct": "nll"}


def seed_item_components(scores: np.ndarray) -> dict[str, float]:
    """The ANOVA estimates (module docstring) of an S x I score matrix: variances, shares and SDs.

    NaN everywhere for S < 2 or I < 2 (no replication to split).
    """
    scores = np.asarray(scores, dtype=float)
    n_seeds, n_items = scores.shape
    names = ("var_seed", "var_item", "var_residual", "var_mean", "seed_share", "item_share",
             "residual_share", "between_seed_sd", "item_se")
    if n_seeds < 2 or n_items < 2:
        return dict.fromkeys(names, np.nan)
    grand = scores.mean()
    seed_means, item_means = scores.mean(axis=1), scores.mean(axis=0)
    ms_seed = n_items * ((seed_means - grand) ** 2).sum() / (n_seeds - 1)
    ms_item = n_seeds * ((item_means - grand) ** 2).sum() / (n_items - 1)
    residual = scores - seed_means[:, None] - item_means[None, :] + grand
    ms_residual = (residual**2).sum() / ((n_seeds - 1) * (n_items - 1))
    var_seed = max(0.0, (ms_seed - ms_residual) / n_items)
    var_item = max(0.0, (ms_item - ms_residual) / n_seeds)
    terms = np.array([var_seed / n_seeds, var_item / n_items, ms_residual / (n_seeds * n_items)])
    total = terms.sum()
    shares = terms / total if total > 0 else np.full(3, np.nan)
    return {
        "var_seed": var_seed, "var_item": var_item, "var_residual": float(ms_residual),
        "var_mean": float(total), "seed_share": float(shares[0]), "item_share": float(shares[1]),
        "residual_share": float(shares[2]), "between_seed_sd": float(seed_means.std(ddof=1)),
        "item_se": float(np.sqrt(scores.var(axis=1, ddof=1) / n_items).mean()),
    }


def two_level_bootstrap(scores: np.ndarray, n_resamples: int = N_RESAMPLES,
                        rng: np.random.Generator | None = None) -> tuple[float, float]:
    """95% percentile interval of the grand mean, resampling seeds, then items (shared across seeds)."""
    scores = np.asarray(scores, dtype=float)
    rng = rng or np.random.default_rng(0)
    n_seeds, n_items = scores.shape
    means = np.empty(n_resamples)
    for r in range(n_resamples):
        seeds = rng.integers(0, n_seeds, n_seeds)
        items = rng.integers(0, n_items, n_items)
        means[r] = scores[np.ix_(seeds, items)].mean()
    return tuple(percentile_interval(means))


def score_matrix(items: pd.DataFrame, value: str = "correct") -> np.ndarray:
    """The seeds x items matrix of `value` of one group (items every seed was scored on)."""
    wide = items.pivot_table(index="seed", columns="item_id", values=value, aggfunc="first")
    return wide.dropna(axis=1).to_numpy(dtype=float)


def variance_split(items: pd.DataFrame, metric: str = "em", n_resamples: int = N_RESAMPLES,
                   seed: int = 0) -> pd.DataFrame:
    """One row per group of ITEM_GROUP_KEY (plus `step` where the items table has it) of the items that
    hold `metric` (ITEM_VALUES; an empty table for a metric no item holds): seeds, items, the population
    mean with its two-level bootstrap interval, and `seed_item_components`."""
    if metric not in ITEM_VALUES or items.empty:
        return pd.DataFrame()
    value = ITEM_VALUES[metric]
    items = items[items[value].notna()]
    keys = [*ITEM_GROUP_KEY, *(["step"] if "step" in items.columns else [])]
    rng = np.random.default_rng(seed)
    rows = []
    for key, group in items.groupby(keys, sort=True, dropna=False):
        scores = score_matrix(group, value)
        low, high = (two_level_bootstrap(scores, n_resamples, rng) if scores.size else (np.nan, np.nan))
        rows.append({**dict(zip(keys, key)), "seeds": scores.shape[0], "items": scores.shape[1],
                     "mean": float(scores.mean()) if scores.size else np.nan, "mean_ci_low": low,
                     "mean_ci_high": high, **seed_item_components(scores)})
    return pd.DataFrame(rows)
