"""Two populations, or two sides of one results table, compared group by group with seeds as the unit.

A leaderboard gap between A and B means little until one knows whether it
beats the spread across seeds. For every group present on both sides
(matched on MATCH_KEYS, less those that both side filters set), with the
metric values a_1..a_m of A's seeds and b_1..b_n of B's:

- difference in mean          D = mean(a) - mean(b), with a 95% percentile
  bootstrap interval that resamples each side's seeds independently; where
  both sides come with items tables (`formats.items`) that share items, D is
  taken over the shared items (each seed's mean over them, so the items'
  difficulty cancels) and the interval resamples the items too, one item
  resample for both sides;
- difference in P(success)    S_A - S_B with S = #{x > s} / seeds (s the
  success line, `thresholds`), with Newcombe's hybrid score interval
  (Newcombe 1998, method 10): for Wilson intervals [l_A, u_A], [l_B, u_B],

      low  = d - sqrt((S_A - l_A)^2 + (u_B - S_B)^2)
      high = d + sqrt((u_A - S_A)^2 + (S_B - l_B)^2)

  which, unlike a bootstrap, stays wide at 0 of m and m of m;
- difference in successful mean  M_A - M_B (M = mean{x > s}), with a
  bootstrap interval over the successful seeds when each side has at least
  two, else undefined;
- a two-sided permutation test of D across seeds: the seeds of both sides are
  pooled and dealt again at random K times, and

      p = (1 + #{k : |D_k| >= |D|}) / (1 + K),

  which holds its level for any distribution and any tie pattern (Phipson &
  Smyth 2010); p-values are adjusted by Benjamini-Hochberg across groups;
- the verdict: `A higher` or `B higher` by the sign of D where the adjusted p
  is at most alpha, else `no difference detected`;
- what the seed counts can see, for a two-sided test at alpha with power
  1 - beta (z_q the standard normal quantile):
  * on the mean, seeds per side to detect an effect delta with pooled
    variance sigma^2:  n = 2 (z_{1-alpha/2} + z_{1-beta})^2 sigma^2 / delta^2,
    and the smallest effect the present m and n detect:
    delta = (z_{1-alpha/2} + z_{1-beta}) sigma sqrt(1/m + 1/n);
  * on P(success), Fleiss' formula for p1 = c - delta/2, p2 = c + delta/2
    around the pooled fraction c (kept inside [delta/2, 1 - delta/2], so an
    all-fail pair still needs seeds):
    n = (z_{1-alpha/2} sqrt(2 c (1-c)) + z_{1-beta} sqrt(p1 q1 + p2 q2))^2 / delta^2,
    and the smallest delta whose n fits the harmonic mean 2 / (1/m + 1/n).

A mean difference over sides whose seeds all hold one value is reported
without an interval, with the reason: a zero-width interval would claim a
certainty the seeds cannot give.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from hf_distscale.analysis import display
from hf_distscale.analysis.bootstrap import CONFIDENCE, N_PERMUTATIONS, N_RESAMPLES, percentile_interval, resample
from hf_distscale.analysis.distribution import MIN_SEEDS_FOR_MEAN, successful_mean
from hf_distscale.analysis.thresholds import metric_info, score_thresholds
from hf_distscale.analysis.variance import ITEM_VALUES

# A group is one (family, scale, benchmark, condition): the seeds of one model size on one test set.
MATCH_KEYS = ("family", "scale", "benchmark", "condition")
VERDICTS = ("A higher", "B higher", "no difference detected")


def parse_filter(text: str | None, option: str) -> dict[str, str]:
    """`"family=cpu_width,scale=h64"` -> {"family": "cpu_width", "scale": "h64"}; {} for None."""
    if not text:
        return {}
    pairs = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{option}: {part!r} is not COLUMN=VALUE; write e.g. {option} family=cpu_width,scale=h64")
        pairs[key.strip()] = value.strip()
    return pairs


def select(table: pd.DataFrame, filters: dict[str, str], side: str) -> pd.DataFrame:
    """The rows of `table` whose columns equal `filters` (compared as text); ValueError naming the
    filter when a column is unknown or nothing is left."""
    rows = table
    for column, value in filters.items():
        if column not in table.columns:
            raise ValueError(f"--{side.lower()}: the results table has no column {column!r}; filter on one of "
                             f"{', '.join(MATCH_KEYS)}, population, precision, preset or seed")
        kept = rows[rows[column].astype(str) == value]
        if kept.empty:
            present = sorted(rows[column].astype(str).unique())[:8]
            raise ValueError(f"--{side.lower()}: no row of side {side} has {column}={value}; it holds "
                             f"{column} {', '.join(present)}")
        rows = kept
    return rows


def newcombe_interval(k_a: int, n_a: int, k_b: int, n_b: int,
                      confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Newcombe's hybrid score interval of k_a/n_a - k_b/n_b (method 10), from Wilson intervals."""
    z = stats.norm.ppf(0.5 + confidence / 2)

    def wilson(k, n):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return p, centre - half, centre + half

    p_a, low_a, high_a = wilson(k_a, n_a)
    p_b, low_b, high_b = wilson(k_b, n_b)
    d = p_a - p_b
    return (d - math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2),
            d + math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2))


def permutation_pvalue(a: np.ndarray, b: np.ndarray, n_permutations: int,
                       rng: np.random.Generator) -> float:
    """Two-sided permutation p-value of mean(a) - mean(b): (1 + #{|D_k| >= |D|}) / (1 + K)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    pooled = np.concatenate([a, b])
    observed = abs(a.mean() - b.mean())
    dealt = rng.permuted(np.broadcast_to(pooled, (n_permutations, pooled.size)), axis=1)
    differences = np.abs(dealt[:, :a.size].mean(axis=1) - dealt[:, a.size:].mean(axis=1))
    exceed = int((differences >= observed - 1e-12 * max(1.0, observed)).sum())
    return (1 + exceed) / (1 + n_permutations)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (step-up, monotone, capped at 1); NaN stays NaN."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p_values, np.nan)
    present = ~np.isnan(p_values)
    if present.any():
        adjusted[present] = stats.false_discovery_control(p_values[present], method="bh")
    return adjusted


def _z_sum(alpha: float, power: float) -> tuple[float, float]:
    return stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)


def seeds_for_mean(sd: float, effect: float, alpha: float, power: float) -> float:
    """n = 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / effect^2 seeds per side (rounded up); NaN for sd 0."""
    if not sd > 0:
        return math.nan
    z_alpha, z_power = _z_sum(alpha, power)
    return float(math.ceil(2 * (z_alpha + z_power) ** 2 * sd**2 / effect**2))


def detectable_mean_difference(sd: float, n_a: int, n_b: int, alpha: float, power: float) -> float:
    """delta = (z_{1-alpha/2} + z_{power}) sd sqrt(1/n_a + 1/n_b); NaN for sd 0."""
    if not sd > 0:
        return math.nan
    z_alpha, z_power = _z_sum(alpha, power)
    return float((z_alpha + z_power) * sd * math.sqrt(1 / n_a + 1 / n_b))


def _fleiss(pooled: float, effect: float, z_alpha: float, z_power: float) -> float:
    centre = min(max(pooled, effect / 2), 1 - effect / 2)
    p1, p2 = centre - effect / 2, centre + effect / 2
    root = z_alpha * math.sqrt(2 * centre * (1 - centre)) + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return float(math.ceil(root**2 / effect**2))


def seeds_for_fraction(pooled: float, effect: float, alpha: float, power: float) -> float:
    """Fleiss' seeds per side to tell p1 = c - effect/2 from p2 = c + effect/2 (module docstring)."""
    if not 0 < effect <= 1:
        return math.nan
    return _fleiss(pooled, effect, *_z_sum(alpha, power))


def detectable_fraction_difference(pooled: float, n_a: int, n_b: int, alpha: float, power: float) -> float:
    """The smallest effect whose Fleiss seed count fits the harmonic mean of n_a and n_b (bisection)."""
    n = 2 / (1 / n_a + 1 / n_b)
    z_alpha, z_power = _z_sum(alpha, power)
    if _fleiss(pooled, 1.0, z_alpha, z_power) > n:
        return math.nan  # not even a difference of 1 is detectable
    low, high = 0.0, 1.0
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (low, middle) if _fleiss(pooled, middle, z_alpha, z_power) <= n else (middle, high)
    return high


def _bootstrap_difference(a: np.ndarray, b: np.ndarray, statistic, n_resamples: int,
                          rng: np.random.Generator) -> tuple[float, float]:
    return percentile_interval(statistic(resample(a, n_resamples, rng)) - statistic(resample(b, n_resamples, rng)))


def _paired_items_interval(items_a: np.ndarray, items_b: np.ndarray, n_resamples: int,
                           rng: np.random.Generator) -> tuple[float, float]:
    """95% interval of mean(A) - mean(B) over shared items, resampling each side's seeds and the items
    (one item resample for both sides, which keeps them paired)."""
    differences = np.empty(n_resamples)
    for r in range(n_resamples):
        items = rng.integers(0, items_a.shape[1], items_a.shape[1])
        seeds_a = rng.integers(0, items_a.shape[0], items_a.shape[0])
        seeds_b = rng.integers(0, items_b.shape[0], items_b.shape[0])
        differences[r] = items_a[np.ix_(seeds_a, items)].mean() - items_b[np.ix_(seeds_b, items)].mean()
    return tuple(percentile_interval(differences))


def compare_group(a: np.ndarray, b: np.ndarray, success: float | None, *, alpha: float, power: float,
                  effect: float, n_resamples: int, n_permutations: int, rng: np.random.Generator,
                  items_a: np.ndarray | None = None, items_b: np.ndarray | None = None) -> dict:
    """Every statistic of one matched group (module docstring), as a flat dict.

    `a`, `b`: each side's per-seed metric. `items_a`, `items_b`: optional seeds x items matrices of the
    per-item score over the items both sides share (same columns); with them the mean difference, its
    permutation test and its interval are taken over those items, so item difficulty cancels, and the
    interval resamples the items as well as the seeds.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    paired = items_a is not None and items_b is not None and items_a.shape[1] > 1
    mean_a, mean_b = (items_a.mean(axis=1), items_b.mean(axis=1)) if paired else (a, b)
    sd = math.sqrt(((a.size - 1) * mean_a.var(ddof=1) + (b.size - 1) * mean_b.var(ddof=1)) / (a.size + b.size - 2)) \
        if a.size + b.size > 2 else math.nan
    row = {"seeds_a": a.size, "seeds_b": b.size, "items_paired": items_a.shape[1] if paired else 0,
           "mean_a": mean_a.mean(), "mean_b": mean_b.mean(), "mean_diff": mean_a.mean() - mean_b.mean(),
           "mean_diff_low": math.nan, "mean_diff_high": math.nan, "mean_diff_note": "", "pooled_sd": sd}
    if paired and (np.ptp(items_a) > 0 or np.ptp(items_b) > 0):
        row["mean_diff_low"], row["mean_diff_high"] = _paired_items_interval(items_a, items_b, n_resamples, rng)
    elif np.ptp(mean_a) == 0 and np.ptp(mean_b) == 0:
        row["mean_diff_note"] = "no interval: every seed of each side holds one value"
    else:
        row["mean_diff_low"], row["mean_diff_high"] = _bootstrap_difference(mean_a, mean_b,
                                                                             lambda x: x.mean(axis=-1),
                                                                             n_resamples, rng)
    row["p_value"] = permutation_pvalue(mean_a, mean_b, n_permutations, rng)
    row["seeds_needed_mean"] = seeds_for_mean(sd, effect, alpha, power)
    row["detectable_mean_diff"] = detectable_mean_difference(sd, a.size, b.size, alpha, power)
    row.update(dict.fromkeys(("p_success_a", "p_success_b", "p_success_diff", "p_success_diff_low",
                              "p_success_diff_high", "successful_mean_a", "successful_mean_b",
                              "successful_mean_diff", "successful_mean_diff_low",
                              "successful_mean_diff_high", "seeds_needed_p_success",
                              "detectable_p_success_diff"), math.nan))
    row["successful_mean_diff_note"] = ""
    if success is None:
        return row
    k_a, k_b = int((a > success).sum()), int((b > success).sum())
    row.update(p_success_a=k_a / a.size, p_success_b=k_b / b.size, p_success_diff=k_a / a.size - k_b / b.size)
    row["p_success_diff_low"], row["p_success_diff_high"] = newcombe_interval(k_a, a.size, k_b, b.size)
    pooled = (k_a + k_b) / (a.size + b.size)
    row["seeds_needed_p_success"] = seeds_for_fraction(pooled, effect, alpha, power)
    row["detectable_p_success_diff"] = detectable_fraction_difference(pooled, a.size, b.size, alpha, power)
    row["successful_mean_a"] = float(successful_mean(a, success))
    row["successful_mean_b"] = float(successful_mean(b, success))
    row["successful_mean_diff"] = row["successful_mean_a"] - row["successful_mean_b"]
    passed_a, passed_b = a[a > success], b[b > success]
    if min(passed_a.size, passed_b.size) < MIN_SEEDS_FOR_MEAN:
        row["successful_mean_diff_note"] = f"no interval: fewer than {MIN_SEEDS_FOR_MEAN} successful seeds on a side"
    elif np.ptp(passed_a) == 0 and np.ptp(passed_b) == 0:
        row["successful_mean_diff_note"] = "no interval: every successful seed of each side holds one value"
    else:
        row["successful_mean_diff_low"], row["successful_mean_diff_high"] = _bootstrap_difference(
            passed_a, passed_b, lambda x: x.mean(axis=-1), n_resamples, rng)
    return row


def match_keys(filters_a: dict[str, str], filters_b: dict[str, str]) -> list[str]:
    """MATCH_KEYS less those both filters set: `--a scale=h64 --b scale=h128` compares across scale."""
    return [key for key in MATCH_KEYS if not (key in filters_a and key in filters_b)]


def _seed_values(side: pd.DataFrame, keys: list[str], metric: str, name: str) -> dict[tuple, pd.DataFrame]:
    """{group key: the side's rows of that group}; ValueError where a seed appears twice in a group."""
    groups = {}
    for key, rows in side.groupby(keys, sort=False):
        duplicated = rows.duplicated("seed")
        if duplicated.any():
            row = rows[duplicated].iloc[0]
            populations = ", ".join(sorted(rows["population"].unique()))
            raise ValueError(
                f"side {name}: seed {row['seed']} appears more than once in {dict(zip(keys, key))} "
                f"(populations {populations}); narrow side {name} with --{name.lower()} "
                f"population=NAME or another COLUMN=VALUE")
        groups[key] = rows
    return groups


def _shared_items(items_a: pd.DataFrame | None, items_b: pd.DataFrame | None, rows_a: pd.DataFrame,
                  rows_b: pd.DataFrame, metric: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Each side's seeds x items matrix of the per-item `metric` over the items both sides scored (in the
    order of `rows_a`/`rows_b`), or (None, None) without items for both or without a per-item metric."""
    if items_a is None or items_b is None or metric not in ITEM_VALUES:
        return None, None

    def matrix(items, rows):
        mine = items[items["model_path"].isin(rows["model_path"]) & items["benchmark"].isin(rows["benchmark"])
                     & items["condition"].isin(rows["condition"])]
        wide = mine.pivot_table(index="model_path", columns="item_id", values=ITEM_VALUES[metric], aggfunc="first")
        return wide.reindex(rows["model_path"].tolist())

    wide_a, wide_b = matrix(items_a, rows_a), matrix(items_b, rows_b)
    shared = [item for item in wide_a.columns.intersection(wide_b.columns)
              if wide_a[item].notna().all() and wide_b[item].notna().all()]
    if len(shared) < 2:
        return None, None
    return wide_a[shared].to_numpy(float), wide_b[shared].to_numpy(float)


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], metric: str = "em", *,
                   alpha: float = 0.05, power: float = 0.8, effect: float = 0.15,
                   n_resamples: int = N_RESAMPLES, n_permutations: int = N_PERMUTATIONS,
                   seed: int = 0, items_a: pd.DataFrame | None = None,
                   items_b: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per group present on both sides (matched on `keys`): every statistic, the BH-adjusted
    p-value and the verdict. ValueError when no group is shared (each side's groups named).
    `items_a`, `items_b`: the sides' items tables (`formats.items`), for the item-paired mean difference."""
    metric_info(metric)
    a, b = a[a[metric].notna()], b[b[metric].notna()]
    groups_a, groups_b = _seed_values(a, keys, metric, "A"), _seed_values(b, keys, metric, "B")
    shared = [key for key in groups_a if key in groups_b]
    if not shared:
        def some(groups):
            return "; ".join(" ".join(map(str, key)) for key in list(groups)[:3]) or "none"
        raise ValueError(f"A and B share no group on {', '.join(keys)} with metric {metric!r}: A holds "
                         f"{some(groups_a)}; B holds {some(groups_b)}; choose sides that measured the same "
                         f"groups (--a/--b COLUMN=VALUE)")
    rng = np.random.default_rng(seed)
    rows = []
    for key in shared:
        rows_a, rows_b = groups_a[key], groups_b[key]
        first = rows_a.iloc[0]
        lines = score_thresholds(str(first["benchmark"]), metric, float(first["chance"]))
        matrix_a, matrix_b = _shared_items(items_a, items_b, rows_a, rows_b, metric)
        statistics = compare_group(rows_a[metric].to_numpy(), rows_b[metric].to_numpy(),
                                   lines.success if lines else None, alpha=alpha, power=power,
                                   effect=effect, n_resamples=n_resamples, n_permutations=n_permutations,
                                   rng=rng, items_a=matrix_a, items_b=matrix_b)
        label = {column: first[column] for column in keys}
        for column in MATCH_KEYS:
            if column not in keys:
                value_a, value_b = first[column], rows_b.iloc[0][column]
                label[column] = value_a if value_a == value_b else f"{value_a} vs {value_b}"
        rows.append({**{column: label[column] for column in MATCH_KEYS}, **statistics})
    table = pd.DataFrame(rows)
    table["p_adjusted"] = benjamini_hochberg(table["p_value"].to_numpy())
    table["verdict"] = np.where(table["p_adjusted"] > alpha, VERDICTS[2],
                                np.where(table["mean_diff"] > 0, VERDICTS[0], VERDICTS[1]))
    return table


def _difference(row, name: str) -> str:
    text = display.with_interval(row[name], row[f"{name}_low"], row[f"{name}_high"], "+.2f")
    note = row.get(f"{name}_note", "")
    return text.replace(" (no interval)", f" ({note.removeprefix('no interval: ')})") if note else text


def comparison_text(groups: pd.DataFrame, metric: str, alpha: float, power: float, effect: float) -> str:
    """The comparison as a Markdown table (console and comparison.md), one row per matched group."""
    from tabulate import tabulate

    rows = [[row["family"], row["scale"], row["benchmark"], row["condition"],
             f"{row['seeds_a']} / {row['seeds_b']}" + (f" ({row['items_paired']} items)" if row["items_paired"] else ""),
             _difference(row, "mean_diff"), _difference(row, "p_success_diff"),
             _difference(row, "successful_mean_diff"),
             f"{display.p_value(row['p_value'])} ({display.p_value(row['p_adjusted'])})", row["verdict"],
             f"{display.count(row['seeds_needed_mean'])} / {display.count(row['seeds_needed_p_success'])}",
             f"{display.fixed(row['detectable_mean_diff'])} / {display.fixed(row['detectable_p_success_diff'])}"]
            for _, row in groups.iterrows()]
    headers = ["family", "scale", "benchmark", "condition", "seeds A / B", f"mean {metric} A - B",
               "P(success) A - B", "successful mean A - B", "p (BH)", "verdict",
               f"seeds/side for {effect:g}: mean / P(success)", "detectable now: mean / P(success)"]
    note = (f"Intervals are 95%: bootstrap over seeds (and over the shared items, where both sides have an items "
            f"table) for the means, Newcombe's score interval for P(success). "
            f"p: permutation test of the mean across seeds, Benjamini-Hochberg adjusted across the "
            f"{len(groups)} groups; a verdict needs p (BH) <= {alpha:g}. "
            f"The last two columns are for power {power:g}.")
    return tabulate(rows, headers, tablefmt="github") + "\n\n" + note
