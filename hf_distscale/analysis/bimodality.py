"""Is a seed population bimodal? Tests that hold for k-of-n scores, and the one verdict rule.

A score like EM is k/n: k of n examples right. Many seeds share a value
(often 0), and Hartigan's dip test, built for continuous data, reads those
ties as structure: on 24 near-zero seeds of 41 windows it gives p = 0.0017.
Two tests replace it here; the raw dip p stays as `dip_p_raw` for comparison
with the paper's p < 0.001 line.

1. Tie-corrected dip test (`dip_p`). Each score x_j = k_j/n is spread
   uniformly over its quantisation cell, x_j + U(-1/(2n), 1/(2n)), R = 101
   times; dip_p is the median of the R dip p-values. R is odd, so the median
   is one of them: the p of the median dip, as p falls with the dip. Scores
   that are not counts (no ties) are tested as they are.

2. Beta-binomial mixture likelihood-ratio test (`mixture_lrt_p`). With
   k_j = round(x_j n) (`betabinomial`; exact for EM and accuracy, and for
   scores that are not counts, such as p_exact, the score at the resolution
   of its n examples),

       T = 2 (log L_mixture - log L_one),   T >= 0,

   one beta-binomial against a two-component mixture. Its null distribution
   comes from a parametric bootstrap: B = 200 populations of the same size
   drawn from the fitted one-component model and refitted, all replicates
   of all groups with the same n in one batch. The p-value reads T off the
   bootstrap distribution smoothed as pi0 * delta_0 + (1 - pi0) * Gamma
   (pi0: replicates with T_b = 0; gamma by the moments of the others), which
   is defined below 1/(B + 1), where the paper's 0.001 line lies; with
   fewer than 5 positive replicates it is (1 + #{T_b >= T}) / (b + 1).
   Replicates run in batches of 50: a group stops once 10 replicates reach
   its T (its p is then well above 0.05; Besag & Clifford 1991), or once its
   smoothed p is below STOP_PVALUE = alpha / 1000 (more replicates would not
   move it across the verdict's alpha); the others run all B = 200. T = 0 gives
   p = 1 without a bootstrap, and groups whose verdict the thresholds settle
   (every seed failed, or every seed succeeded) are not tested (p NaN).
   The fit's success mode (larger mean) gives `mixture_success_weight`, a
   model-based P(success), and `mixture_success_mean`, the successful mean.

Metrics that are not scores in [0, 1] (NLL, Brier score) get the dip test
only; their mixture columns are NaN. See VERDICT_RULE for the verdict.
"""

from __future__ import annotations

from typing import NamedTuple

import diptest
import numpy as np
import pandas as pd
from diptest.consts import Consts
from scipy import special

from hf_distscale.analysis import betabinomial
from hf_distscale.analysis.schema import GROUP_KEY, MIN_RELIABLE_SEEDS
from hf_distscale.analysis.thresholds import metric_info, score_thresholds

VERDICT_ALPHA = 0.001
JITTERS = 101
BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_BATCH = 50
STOP_EXCEEDANCES = 10
STOP_PVALUE = 1e-3 * VERDICT_ALPHA
MIN_POSITIVE_REPLICATES = 5
ZERO_STATISTIC = 1e-8

VERDICT_RULE = (
    f"too few seeds: fewer than {MIN_RELIABLE_SEEDS} seeds in the group (no test is meaningful); "
    "all fail: every seed below the benchmark's failure line; all succeed: every seed above its "
    "success line; otherwise bimodal when the beta-binomial mixture likelihood-ratio test gives "
    f"p < {VERDICT_ALPHA} and the fitted mixture has two modes (for metrics that are not scores "
    f"in [0, 1]: the dip test gives p < {VERDICT_ALPHA}), else unimodal. The raw dip p is never used."
)


class DipResult(NamedTuple):
    dip_p_raw: float
    dip_p: float


def dip_pvalue(dip: np.ndarray, n_seeds: int) -> np.ndarray:
    """Hartigan's p-value of dip statistics for n_seeds values (diptest's interpolated table)."""
    return np.array([Consts.compute_pval_interpolation(n_seeds, float(d)) for d in np.atleast_1d(dip)])


def tie_corrected_dip(values: np.ndarray, resolution: float, jitters: int = JITTERS, seed: int = 0) -> DipResult:
    """(raw dip p, median dip p over `jitters` spreads of each value over +-resolution/2).

    `resolution` is the score step, 1/n for k-of-n scores; 0 tests the values as
    they are. NaN for 3 or fewer values, where the dip test is not defined.
    """
    values = np.asarray(values, dtype=float)
    if values.size <= 3:
        return DipResult(np.nan, np.nan)
    raw = float(dip_pvalue(diptest.dipstat(values), values.size)[0])
    if resolution == 0:
        return DipResult(raw, raw)
    rng = np.random.default_rng(seed)
    spread = values + rng.uniform(-resolution / 2, resolution / 2, size=(jitters, values.size))
    dips = np.array([diptest.dipstat(row) for row in spread])
    return DipResult(raw, float(dip_pvalue(np.median(dips), values.size)[0]))


class MixtureTest(NamedTuple):
    statistic: np.ndarray  # T per group
    pvalue: np.ndarray  # NaN where not tested
    success_weight: np.ndarray
    success_mean: np.ndarray
    modes: np.ndarray  # local maxima of the fitted mixture pmf
    replicates: np.ndarray  # bootstrap replicates run
    a1: np.ndarray  # the fitted mixture's failure (1) and success (2) components
    b1: np.ndarray
    a2: np.ndarray
    b2: np.ndarray


def smoothed_bootstrap_pvalue(statistic: float, replicates: np.ndarray) -> float:
    """P(T_b >= T) under pi0 * delta_0 + (1 - pi0) * Gamma fitted to the replicates (module docstring)."""
    if statistic <= ZERO_STATISTIC:
        return 1.0
    positive = replicates[replicates > ZERO_STATISTIC]
    if positive.size < MIN_POSITIVE_REPLICATES or positive.var() == 0:
        return float((1 + np.sum(replicates >= statistic)) / (replicates.size + 1))
    shape, scale = positive.mean() ** 2 / positive.var(), positive.var() / positive.mean()
    return float(positive.size / replicates.size * special.gammaincc(shape, statistic / scale))


def mixture_test(
    counts: list[np.ndarray],
    n_examples: list[int],
    test: np.ndarray | None = None,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = 0,
) -> MixtureTest:
    """The beta-binomial mixture LRT for many groups at once (module docstring).

    `counts[g]` holds group g's k per seed out of `n_examples[g]`; `test[g]`
    False skips its bootstrap (p NaN). Groups with the same n and seed count
    share each batch.
    """
    groups = len(counts)
    test = np.ones(groups, bool) if test is None else np.asarray(test, bool)
    out = {name: np.full(groups, np.nan) for name in MixtureTest._fields}
    out["replicates"] = np.zeros(groups)
    rng = np.random.default_rng(seed)
    batches: dict[tuple[int, int], list[int]] = {}
    for g, (k, n) in enumerate(zip(counts, n_examples)):
        batches.setdefault((int(n), len(k)), []).append(g)
    for (n, n_seeds), members in sorted(batches.items()):
        members = np.array(members)
        hist = betabinomial.histograms(np.stack([counts[g] for g in members]), n)
        one = betabinomial.fit_one(hist)
        mixture = betabinomial.fit_mixture(hist)
        statistic = 2 * np.maximum(mixture.log_likelihood - one.log_likelihood, 0.0)
        out["statistic"][members] = statistic
        out["success_weight"][members] = mixture.weight
        out["success_mean"][members] = mixture.a2 / (mixture.a2 + mixture.b2)
        out["modes"][members] = betabinomial.mixture_modes(mixture, n)
        for name in ("a1", "b1", "a2", "b2"):
            out[name][members] = getattr(mixture, name)
        null = {g: [] for g in members}
        active = [i for i, g in enumerate(members) if test[g] and statistic[i] > ZERO_STATISTIC]
        while active:
            size = min(BOOTSTRAP_BATCH, replicates - len(null[members[active[0]]]))
            a = np.repeat(one.a[active], size)
            b = np.repeat(one.b[active], size)
            boot = betabinomial.histograms(betabinomial.sample_counts(a, b, n, n_seeds, rng), n)
            boot_statistic = 2 * np.maximum(
                betabinomial.fit_mixture(boot).log_likelihood - betabinomial.fit_one(boot).log_likelihood, 0.0
            ).reshape(len(active), size)
            still = []
            for row, i in enumerate(active):
                null[members[i]].extend(boot_statistic[row])
                so_far = np.array(null[members[i]])
                done = (len(so_far) >= replicates or np.sum(so_far >= statistic[i]) >= STOP_EXCEEDANCES
                        or smoothed_bootstrap_pvalue(statistic[i], so_far) < STOP_PVALUE)
                if not done:
                    still.append(i)
            active = still
        for i, g in enumerate(members):
            if test[g]:
                out["pvalue"][g] = smoothed_bootstrap_pvalue(statistic[i], np.array(null[g]))
                out["replicates"][g] = len(null[g])
    return MixtureTest(**out)


def verdict(frac_failed, frac_successful, mixture_lrt_p, mixture_modes, dip_p, alpha: float = VERDICT_ALPHA,
            n_seeds=np.inf):
    """The verdict of VERDICT_RULE, for scalars or arrays (one entry per group).

    frac_failed / frac_successful: fractions of seeds below the failure line /
    above the success line (NaN for metrics without lines); mixture_lrt_p and
    mixture_modes: the mixture test (NaN where not run); dip_p: the
    tie-corrected dip p; n_seeds: the group's seeds. Returns "too few seeds",
    "all fail", "all succeed", "bimodal" or "unimodal".
    """
    frac_failed, frac_successful, lrt, modes, dip, n_seeds = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (frac_failed, frac_successful, mixture_lrt_p, mixture_modes, dip_p,
                                               n_seeds))
    )
    bimodal = np.where(np.isnan(lrt), dip < alpha, (lrt < alpha) & (modes >= 2))
    result = np.select(
        [n_seeds < MIN_RELIABLE_SEEDS, frac_failed == 1, frac_successful == 1, bimodal],
        ["too few seeds", "all fail", "all succeed", "bimodal"],
        default="unimodal",
    )
    return str(result) if result.ndim == 0 else result


def bimodality_table(results: pd.DataFrame, metric: str = "em", seed: int = 0) -> pd.DataFrame:
    """Both tests per group (GROUP_KEY) of a checked results table.

    Columns: the group key, dip_p_raw, dip_p, and for scores in [0, 1]
    mixture_lrt_statistic, mixture_lrt_p, mixture_success_weight,
    mixture_success_mean, mixture_modes, mixture_replicates and the fitted
    components mixture_a1, mixture_b1, mixture_a2, mixture_b2 (NaN otherwise).
    """
    info = metric_info(metric)
    rows, counts, n_examples, test, fitted = [], [], [], [], []
    for position, (key, group) in enumerate(results.groupby(GROUP_KEY, sort=False)):
        values = group[metric].to_numpy(dtype=float)
        n = int(group["n_examples"].median())  # -1: unknown (lm-eval results ingested without samples)
        resolution = 1.0 / n if info["counts"] and n > 0 else 0.0
        rows.append({**dict(zip(GROUP_KEY, key)), **tie_corrected_dip(values, resolution, seed=seed + position)._asdict()})
        if info["bounded"] and n > 0:
            lines = score_thresholds(key[1], metric, float(group["chance"].median()))
            settled = lines is not None and (np.all(values < lines.failure) or np.all(values > lines.success))
            counts.append(np.rint(values * n).astype(np.int64))
            n_examples.append(n)
            test.append(not settled)
            fitted.append(position)
    table = pd.DataFrame(rows)
    fits = {name: np.full(len(table), np.nan) for name in MixtureTest._fields}
    if fitted:
        for name, values in mixture_test(counts, n_examples, np.array(test), seed=seed)._asdict().items():
            fits[name][fitted] = values
    for name, values in fits.items():
        table[f"mixture_{'lrt_' if name in ('statistic', 'pvalue') else ''}{name}"] = values
    return table.rename(columns={"mixture_lrt_pvalue": "mixture_lrt_p"})
