"""Seed-count planner: how many seeds a population needs, and what they cost to train.

From a pilot population's per-scale statistics (one row per group, with the
beta-binomial mixture fit of `bimodality`), per group:

- seeds_for_bimodality: the smallest N on SEED_GRID at which the verdict's
  test (mixture LRT p < alpha and two fitted modes) detects the pilot's
  fitted mixture with the given power. Power at N is the share of
  SIMULATIONS populations of N seeds drawn from the fitted mixture that the
  test calls bimodal, each p read against SIMULATIONS null populations of N
  seeds from the one beta-binomial fitted to the mixture (the parametric
  bootstrap of `bimodality`, smoothed the same way). Power rises with N, so
  the grid is searched by bisection. NaN where the pilot fit has no second
  mode (nothing to detect) or the thresholds settle the verdict.
- seeds_for_p_success: the N whose 95% interval of P(success) has half-width
  at most h: N = ceil(z^2 p (1 - p) / h^2), z = 1.96, with the pilot's
  successful fraction k/m (m seeds) as p, shrunk as Agresti and Coull do,
  p = (k + 2) / (m + 4), so that a pilot with no successful seed still asks
  for enough seeds to see a rare success. Metrics without a success line
  use the mixture's success weight.
- the training cost of the larger of the two from `hf_distscale.models.cost`:
  FLOPs = N x seed_run_flops (the preset's steps x batch x context), and
  GPU-hours at ASSUMED_H100_FLOPS, an assumed (not measured) throughput.
- what the paper's 250 seeds buy: the power at 250 seeds, and the half-width
  of P(success) at 250 seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hf_distscale.analysis import betabinomial
from hf_distscale.analysis.bimodality import VERDICT_RULE, smoothed_bootstrap_pvalue
from hf_distscale.analysis.thresholds import metric_info, metric_names

SEED_GRID = (4, 6, 8, 12, 16, 24, 32, 48, 64, 100, 150, 250, 400, 600, 1000, 1500, 2500, 4000)
SIMULATIONS = 200
PAPER_SEEDS = 250
CI_Z = 1.959964  # 95% two-sided normal quantile
MIN_PILOT_SEEDS = 2
PLAN_RESAMPLES = 200  # bootstrap resamples of the pilot's intervals, which the plan does not use
# The defaults: the verdict's test with power 0.8 at the paper's alpha, and P(success) to +-0.1.
POWER = 0.8
ALPHA = 0.001
CI_HALF_WIDTH = 0.1


def bimodality_power(mixture: betabinomial.Mixture, n: int, n_seeds: int, alpha: float,
                     simulations: int = SIMULATIONS, seed: int = 0) -> float:
    """Share of simulated N-seed populations from `mixture` (one row) the verdict's test calls bimodal."""
    rng = np.random.default_rng(seed)

    def repeat(values):
        return np.repeat(np.asarray(values, float), simulations)

    alternative = betabinomial.histograms(betabinomial.sample_counts(
        repeat(mixture.a1), repeat(mixture.b1), n, n_seeds, rng,
        weight=repeat(mixture.weight), a2=repeat(mixture.a2), b2=repeat(mixture.b2)), n)
    null_model = betabinomial.fit_one(alternative.sum(0, keepdims=True))
    null = betabinomial.histograms(betabinomial.sample_counts(
        repeat(null_model.a), repeat(null_model.b), n, n_seeds, rng), n)
    both = np.concatenate([alternative, null])
    fit = betabinomial.fit_mixture(both)
    statistic = 2 * np.maximum(fit.log_likelihood - betabinomial.fit_one(both).log_likelihood, 0.0)
    modes = betabinomial.mixture_modes(betabinomial.Mixture(*(x[:simulations] for x in fit)), n)
    null_statistic = statistic[simulations:]
    detected = [smoothed_bootstrap_pvalue(t, null_statistic) < alpha and m >= 2
                for t, m in zip(statistic[:simulations], modes)]
    return float(np.mean(detected))


def seeds_for_power(mixture: betabinomial.Mixture, n: int, power: float, alpha: float, seed: int = 0) -> tuple[float, float]:
    """(smallest N on SEED_GRID with the given power, NaN if none; power at PAPER_SEEDS)."""
    cache: dict[int, float] = {}

    def power_at(n_seeds: int) -> float:
        if n_seeds not in cache:
            cache[n_seeds] = bimodality_power(mixture, n, n_seeds, alpha, seed=seed)
        return cache[n_seeds]

    low, high = 0, len(SEED_GRID) - 1
    if power_at(SEED_GRID[high]) < power:
        return np.nan, power_at(PAPER_SEEDS)
    while low < high:
        middle = (low + high) // 2
        if power_at(SEED_GRID[middle]) >= power:
            high = middle
        else:
            low = middle + 1
    return float(SEED_GRID[low]), power_at(PAPER_SEEDS)


def seeds_for_p_success(weight: np.ndarray, half_width: float) -> np.ndarray:
    """N = ceil(z^2 p (1 - p) / h^2) for P(success) p = `weight`, at least MIN_PILOT_SEEDS; NaN where p is NaN."""
    weight = np.asarray(weight, dtype=float)
    with np.errstate(invalid="ignore"):
        seeds = np.ceil(CI_Z**2 * weight * (1 - weight) / half_width**2)
    return np.where(np.isnan(weight), np.nan, np.maximum(seeds, MIN_PILOT_SEEDS))


def p_success_half_width(weight: np.ndarray, n_seeds: int) -> np.ndarray:
    """Half-width z sqrt(w (1 - w) / N) of the 95% interval of P(success) at N seeds."""
    weight = np.asarray(weight, dtype=float)
    return CI_Z * np.sqrt(weight * (1 - weight) / n_seeds)


def plan_seeds(per_scale: pd.DataFrame, power: float = POWER, alpha: float = ALPHA,
               ci_half_width: float = CI_HALF_WIDTH, seed: int = 0) -> pd.DataFrame:
    """The planner table (module docstring), one row per group of `per_scale`.

    `per_scale` is `DistributionalStatistics.per_scale` of the pilot. Columns:
    the group's identity, n_seeds, verdict, mixture_success_weight and _mean,
    p_success (the plug-in P(success)), seeds_for_p_success,
    p_success_half_width_at_250, seeds_for_bimodality and power_at_250.
    Raises ValueError when a group has fewer than 2 seeds, or for a power,
    alpha or half-width outside (0, 1).
    """
    for name, value in (("power", power), ("alpha", alpha), ("ci half-width", ci_half_width)):
        if not 0 < value < 1:
            raise ValueError(f"plan: {name} {value} is outside (0, 1); give a fraction such as 0.8")
    few = per_scale[per_scale["n_seeds"] < MIN_PILOT_SEEDS]
    if not few.empty:
        row = few.iloc[0]
        raise ValueError(
            f"plan: {len(few)} group(s) have fewer than {MIN_PILOT_SEEDS} seeds (e.g. {row['family']} "
            f"{row['scale']} on {row['benchmark']} {row['condition']}: {int(row['n_seeds'])}); a pilot needs "
            f"at least {MIN_PILOT_SEEDS} seeds per group to fit anything; train more seeds"
        )
    columns = ["population", "benchmark", "family", "scale", "scale_index", "num_parameters", "condition",
               "test_length", "n_seeds", "verdict", "mixture_success_weight", "mixture_success_mean"]
    table = per_scale[columns].copy()
    successes = per_scale["frac_successful"] * per_scale["n_seeds"]
    p_success = ((successes + 2) / (per_scale["n_seeds"] + 4)).fillna(per_scale["mixture_success_weight"])
    table["p_success"] = p_success
    table["seeds_for_p_success"] = seeds_for_p_success(p_success, ci_half_width)
    table["p_success_half_width_at_250"] = p_success_half_width(p_success, PAPER_SEEDS)
    needed, at_paper = [], []
    for row in per_scale.itertuples():
        fitted = betabinomial.Mixture(*(np.array([getattr(row, f"mixture_{name}", np.nan)])
                                        for name in ("success_weight", "a1", "b1", "a2", "b2")), np.array([0.0]))
        testable = (row.verdict not in ("all fail", "all succeed") and row.mixture_modes >= 2
                    and not any(np.isnan(x[0]) for x in fitted[:5]))
        result = seeds_for_power(fitted, int(row.n_examples), power, alpha, seed) if testable else (np.nan, np.nan)
        needed.append(result[0])
        at_paper.append(result[1])
    table["seeds_for_bimodality"] = needed
    table["power_at_250"] = at_paper
    return table


def seed_run_cost(results: pd.DataFrame, preset: str | None = None) -> pd.DataFrame:
    """FLOPs of one seed-run per (population, family, scale_index), from the cost model.

    The model's shape comes from the table (num_layers, hidden_size) and the
    training budget from the preset (`preset`, else the table's `preset`
    column): steps x batch x context tokens. Scales of a preset the suite
    does not have (e.g. synthetic or lm-eval populations) get NaN.
    """
    from hf_distscale.models.cost import seed_run_flops
    from hf_distscale.models.scales import llama_config, make_scale
    from hf_distscale.presets import available_presets
    from hf_distscale.tasks.counting import CountingTask
    from hf_distscale.training.config import TrainingConfig

    if preset is not None and preset not in available_presets():
        raise ValueError(f"plan: unknown preset {preset!r}; choose one of {', '.join(available_presets())}, "
                         "or leave --preset out to use the table's preset column")
    scales = results.drop_duplicates(["population", "family", "scale_index"])
    rows = []
    for row in scales.itertuples():
        name = preset or row.preset
        flops = np.nan
        if name in available_presets():
            task, training = CountingTask.from_preset(name), TrainingConfig.from_preset(name)
            scale = make_scale(row.family, row.scale, int(row.scale_index), int(row.num_layers), int(row.hidden_size))
            flops = seed_run_flops(llama_config(scale, task), task.context_length, training.batch_size,
                                   training.max_steps)
        rows.append({"population": row.population, "family": row.family, "scale_index": int(row.scale_index),
                     "preset": name, "seed_run_flops": flops})
    return pd.DataFrame(rows)


def plan_with_cost(results: pd.DataFrame, per_scale: pd.DataFrame, power: float = POWER, alpha: float = ALPHA,
                   ci_half_width: float = CI_HALF_WIDTH, preset: str | None = None, seed: int = 0) -> pd.DataFrame:
    """`plan_seeds` plus the training cost of the seeds it asks for (the larger of the two counts).

    Adds seeds_needed, seed_run_flops, flops and gpu_hours (at ASSUMED_H100_FLOPS).
    """
    from hf_distscale.models.cost import gpu_hours

    plan = plan_seeds(per_scale, power, alpha, ci_half_width, seed)
    plan = plan.merge(seed_run_cost(results, preset), on=["population", "family", "scale_index"], how="left")
    plan["seeds_needed"] = plan[["seeds_for_bimodality", "seeds_for_p_success"]].max(axis=1)
    plan["flops"] = plan["seeds_needed"] * plan["seed_run_flops"]
    plan["gpu_hours"] = [gpu_hours(f) for f in plan["flops"]]
    return plan


def plan_table(results, power: float = POWER, alpha: float = ALPHA, ci_half_width: float = CI_HALF_WIDTH,
               metric: str = "em", preset: str | None = None, statistics=None, seed: int = 0) -> pd.DataFrame:
    """`plan_with_cost` for a results table (DataFrame or Parquet path), computing its statistics if not given."""
    from hf_distscale.analysis.schema import load_results
    from hf_distscale.analysis.statistics import distributional_statistics

    if not metric_info(metric)["bounded"]:
        scores = [name for name in metric_names() if metric_info(name)["bounded"]]
        raise ValueError(f"plan: metric {metric!r} is not a score in [0, 1], so the planner's two-mode "
                         f"beta-binomial mixture cannot model it; plan on one of {', '.join(scores)}")
    table = load_results(results, metric)
    if statistics is None:
        statistics = distributional_statistics(table, metric, n_resamples=PLAN_RESAMPLES, seed=seed)
    return plan_with_cost(table, statistics.per_scale, power, alpha, ci_half_width, preset, seed)


def seeds_needed_rule(power: float = POWER, alpha: float = ALPHA, ci_half_width: float = CI_HALF_WIDTH) -> str:
    """What the two seed counts are for, in one sentence (the plan's text and the page's "seeds needed")."""
    return (f"Seeds needed: to detect the pilot's fitted two-mode mixture with power {power} at p < {alpha}, and "
            f"to estimate P(success) within +-{ci_half_width} (95% interval).")


def format_plan(plan: pd.DataFrame, power: float = POWER, alpha: float = ALPHA,
                ci_half_width: float = CI_HALF_WIDTH) -> str:
    """The plan as text: the verdict rule, a table of seeds and cost, and one sentence per tested group."""
    from hf_distscale.models.cost import ASSUMED_H100_FLOPS

    def count(x):
        return "-" if math.isnan(x) else f"{int(x):,}"

    table = pd.DataFrame({
        "family": plan["family"], "scale": plan["scale"], "benchmark": plan["benchmark"],
        "condition": plan["condition"], "seeds": plan["n_seeds"], "verdict": plan["verdict"],
        "P(success) (k+2)/(m+4)": plan["p_success"].round(2),
        "success-mode weight": plan["mixture_success_weight"].round(2),
        f"seeds for bimodality (power {power})": plan["seeds_for_bimodality"].map(count),
        f"seeds for P(success) +-{ci_half_width}": plan["seeds_for_p_success"].map(count),
        "GPU-hours": plan["gpu_hours"].map(lambda h: "-" if math.isnan(h) else f"{h:.3g}"),
        "power at 250": plan["power_at_250"].map(lambda v: "-" if math.isnan(v) else f"{v:.2f}"),
        "P(success) +- at 250": plan["p_success_half_width_at_250"].round(3),
    })
    lines = [
        f"Verdict rule: {VERDICT_RULE}",
        f"{seeds_needed_rule(power, alpha, ci_half_width)} GPU-hours price the larger count with the "
        f"preset's training budget at an assumed {ASSUMED_H100_FLOPS / 1e12:.0f} TFLOP/s (one H100 at 40% of "
        "its bf16 peak; not a measurement).",
        table.to_markdown(index=False),
    ]
    for row in plan.itertuples():
        if row.verdict in ("all fail", "all succeed"):
            continue
        pilot = f"{row.family} {row.scale} {row.condition}: {int(row.n_seeds)} seeds: {row.verdict}"
        if math.isnan(row.seeds_for_bimodality):
            detail = ("no second mode in the pilot's fit, so no seed count detects one"
                      if math.isnan(row.power_at_250) else f"more than {SEED_GRID[-1]:,} seeds for power {power}")
        elif row.verdict == "bimodal":
            detail = f"{int(row.seeds_for_bimodality)} seeds detect it with power {power}"
        else:
            detail = (f"bimodality undetectable at this effect size; {int(row.seeds_for_bimodality)} seeds "
                      f"would detect it with power {power}")
        at_paper = "" if math.isnan(row.power_at_250) else f" (250 seeds: power {row.power_at_250:.2f})"
        lines.append(f"- {pilot}; {detail}{at_paper}")
    return "\n".join(lines)


def describe_plan(results, power: float = POWER, alpha: float = ALPHA, ci_half_width: float = CI_HALF_WIDTH,
                  metric: str = "em", preset: str | None = None, statistics=None) -> str:
    """The verdicts and the planner's answer for a results table, as text (`format_plan` of `plan_table`)."""
    plan = plan_table(results, power, alpha, ci_half_width, metric, preset, statistics)
    return format_plan(plan, power, alpha, ci_half_width)
