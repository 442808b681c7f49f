"""The paper's five findings as declared checks (findings.yaml), decided by valid tests.

Each check reads the families of one (population, benchmark) at their
reference condition and returns holds, does_not_hold or untestable with the
reason and the evidence (its statistic, p-values or intervals, the groups used):

- bimodal_groups (finding 1): per (family, scale) with at least
  MIN_RELIABLE_SEEDS seeds that is not settled (all fail / all succeed), the
  bimodality test of the verdict (the mixture LRT with two modes; the dip test
  for metrics without counts). Holds when a group is bimodal after
  Benjamini-Hochberg across the groups.
- curves_range (finding 2): among each family's rising fixed-seed curves
  (L > 0), B / L = sqrt(mean / median squared step) sorts curves into
  breakthrough-like (>= sudden_ratio) and linear (<= gradual_ratio). Holds
  when a family has both kinds; each fraction gets its Clopper-Pearson interval.
- mass_moves (findings 3 and 5): smallest against largest scale, one-sided
  Fisher exact tests that P(fail) falls and that P(success) rises; the
  intersection-union p = max of the two. Holds when a family's
  Benjamini-Hochberg-adjusted p < alpha.
- width_raises_mean (finding 4): a one-sided Mann-Whitney U test that the
  successful seeds' scores are higher at the largest width than at the
  smallest (adjusted across families), and P(fail) at the two ends not
  different (two-sided Fisher exact p >= alpha, unadjusted: the stricter side
  for "barely moves").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from hf_distscale.analysis.proportion import clopper_pearson
from hf_distscale.analysis.schema import MIN_RELIABLE_SEEDS
from hf_distscale.analysis.thresholds import score_thresholds

HOLDS, DOES_NOT_HOLD, UNTESTABLE = "holds", "does_not_hold", "untestable"
CORRECTION = "Benjamini-Hochberg across the groups tested"
CONFIG = yaml.safe_load((Path(__file__).with_name("findings.yaml")).read_text())
DIMENSIONS = {
    "depth": "depth family (layers grow at one width)",
    "width": "width family (width grows at one depth)",
    "fixed_params": "fixed-parameter family (layers grow at about one parameter count)",
}


@dataclass
class Family:
    """One family's groups at its reference condition, smallest scale first."""

    name: str
    dimension: str
    condition: str
    per_scale: pd.DataFrame
    values: list[np.ndarray]
    success_line: float
    curves: pd.DataFrame

    @property
    def ends(self) -> str:
        return f"{self.name} {self.per_scale['scale'].iloc[0]}->{self.per_scale['scale'].iloc[-1]} at {self.condition}"


def scaling_dimension(scales: pd.DataFrame, fixed_params_ratio: float = CONFIG["fixed_params_ratio"]) -> str:
    """"depth", "width", "fixed_params" or "other" for one family's rows (num_layers, hidden_size,
    num_parameters, scale_index; any number of rows per scale)."""
    ordered = scales.drop_duplicates("scale_index").sort_values("scale_index")
    layers, hidden = np.diff(ordered["num_layers"].to_numpy()), np.diff(ordered["hidden_size"].to_numpy())
    parameters = ordered["num_parameters"].to_numpy(dtype=float)
    if len(ordered) < 2:
        return "other"
    if np.all(layers > 0) and np.all(hidden == 0):
        return "depth"
    if np.all(layers > 0) and parameters.max() / parameters.min() <= fixed_params_ratio:
        return "fixed_params"
    if np.all(layers == 0) and np.all(hidden > 0):
        return "width"
    return "other"


def adjusted(p_values: list[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (empty in, empty out)."""
    return stats.false_discovery_control(p_values, method="bh") if p_values else np.array([])


def _counts(row) -> tuple[int, int]:
    """(failed, successful) seed counts of one per-scale row."""
    n = int(row["n_seeds"])
    return int(round(row["frac_failed"] * n)), int(round(row["frac_successful"] * n))


def _result(status: str, reason: str, groups: list[dict], statistic: str) -> dict:
    return {"status": status, "reason": reason, "statistic": statistic, "groups": groups}


def bimodal_groups(families: list[Family], spec: dict, alpha: float) -> dict:
    statistic = "p of the verdict's bimodality test (mixture LRT with two modes, else the dip test)"
    candidates = [(family, row) for family in families for _, row in family.per_scale.iterrows()
                  if row["n_seeds"] >= MIN_RELIABLE_SEEDS]
    if not candidates:
        return _result(UNTESTABLE, f"too few seeds: no group has {MIN_RELIABLE_SEEDS} or more", [], statistic)
    tested = [(f, r) for f, r in candidates if not (r["frac_failed"] == 1 or r["frac_successful"] == 1)]
    if not tested:
        return _result(DOES_NOT_HOLD, f"every one of {len(candidates)} groups is settled (all fail or all "
                                      "succeed): no seed distribution with two modes", [], statistic)
    p = [r["dip_p"] if np.isnan(r["mixture_lrt_p"]) else r["mixture_lrt_p"] for _, r in tested]
    groups = []
    for (family, row), p_raw, p_adj in zip(tested, p, adjusted(p)):
        two_modes = np.isnan(row["mixture_lrt_p"]) or row["mixture_modes"] >= 2
        groups.append({"family": family.name, "scale": row["scale"], "condition": family.condition,
                       "n_seeds": int(row["n_seeds"]), "p_value": p_raw, "p_adjusted": p_adj,
                       "bimodal": bool(p_adj < alpha and two_modes)})
    bimodal = [f"{g['family']} {g['scale']}" for g in groups if g["bimodal"]]
    if bimodal:
        return _result(HOLDS, f"bimodal at {len(bimodal)} of {len(groups)} groups tested "
                              f"({', '.join(bimodal)}; adjusted p < {alpha})", groups, statistic)
    smallest = min(g["p_adjusted"] for g in groups)
    return _result(DOES_NOT_HOLD, f"no group of {len(groups)} is bimodal (smallest adjusted p {smallest:.2g})",
                   groups, statistic)


def curves_range(families: list[Family], spec: dict, alpha: float) -> dict:
    statistic = (f"B / L of rising curves: breakthrough-like >= {spec['sudden_ratio']}, "
                 f"linear <= {spec['gradual_ratio']}; Clopper-Pearson 95% intervals of both fractions")
    groups = []
    for family in families:
        rising = family.curves[family.curves["linearity"] > 0]
        if len(rising) < MIN_RELIABLE_SEEDS:
            continue
        ratio = rising["breakthroughness"] / rising["linearity"]
        counts = {"breakthrough_like": int((ratio >= spec["sudden_ratio"]).sum()),
                  "linear": int((ratio <= spec["gradual_ratio"]).sum())}
        group = {"family": family.name, "condition": family.condition, "rising_curves": len(rising)}
        for kind, k in counts.items():
            low, high = clopper_pearson(np.array(k), np.array(len(rising)))
            group |= {kind: k, f"{kind}_ci_low": float(low), f"{kind}_ci_high": float(high)}
        groups.append(group)
    if not groups:
        return _result(UNTESTABLE, f"too few seeds: no family has {MIN_RELIABLE_SEEDS} or more rising "
                                   "fixed-seed curves", [], statistic)
    both = [g for g in groups if g["breakthrough_like"] and g["linear"]]
    described = "; ".join(f"{g['family']}: {g['breakthrough_like']} breakthrough-like and {g['linear']} linear "
                          f"of {g['rising_curves']} rising curves" for g in groups)
    return _result(HOLDS if both else DOES_NOT_HOLD, described, groups, statistic)


def mass_moves(families: list[Family], spec: dict, alpha: float) -> dict:
    statistic = ("smallest vs largest scale: one-sided Fisher exact tests that P(fail) falls and P(success) "
                 "rises; p = the larger of the two")
    tested = [f for f in families if f.per_scale["n_seeds"].iloc[[0, -1]].min() >= MIN_RELIABLE_SEEDS]
    if not tested:
        return _result(UNTESTABLE, f"too few seeds: fewer than {MIN_RELIABLE_SEEDS} at the smallest or "
                                   "largest scale", [], statistic)
    if any(f.per_scale["frac_failed"].isna().any() for f in tested):
        return _result(UNTESTABLE, "the metric has no failure and success lines (e.g. NLL)", [], statistic)
    groups, p = [], []
    for family in tested:
        (fail_0, success_0), (fail_1, success_1) = (_counts(family.per_scale.iloc[i]) for i in (0, -1))
        n_0, n_1 = (int(family.per_scale["n_seeds"].iloc[i]) for i in (0, -1))
        p_fail = stats.fisher_exact([[fail_0, n_0 - fail_0], [fail_1, n_1 - fail_1]], alternative="greater").pvalue
        p_success = stats.fisher_exact([[success_1, n_1 - success_1], [success_0, n_0 - success_0]],
                                       alternative="greater").pvalue
        p.append(max(p_fail, p_success))
        groups.append({"family": family.name, "scales": family.ends, "p_fail": [fail_0 / n_0, fail_1 / n_1],
                       "p_success": [success_0 / n_0, success_1 / n_1], "p_value": p[-1]})
    for group, p_adj in zip(groups, adjusted(p)):
        group["p_adjusted"] = float(p_adj)
    described = "; ".join(
        f"{g['scales']}: P(fail) {g['p_fail'][0]:.2f}->{g['p_fail'][1]:.2f}, P(success) "
        f"{g['p_success'][0]:.2f}->{g['p_success'][1]:.2f}, adjusted p {g['p_adjusted']:.2g}" for g in groups)
    holds = any(g["p_adjusted"] < alpha for g in groups)
    return _result(HOLDS if holds else DOES_NOT_HOLD, described, groups, statistic)


def width_raises_mean(families: list[Family], spec: dict, alpha: float) -> dict:
    statistic = ("successful seeds, smallest vs largest width: one-sided Mann-Whitney U p (adjusted); "
                 "P(fail) at both ends: two-sided Fisher exact p")
    groups, p = [], []
    for family in families:
        successful = [v[v > family.success_line] for v in (family.values[0], family.values[-1])]
        if min(len(s) for s in successful) < 2:
            continue
        (fail_0, _), (fail_1, _) = (_counts(family.per_scale.iloc[i]) for i in (0, -1))
        n_0, n_1 = (len(family.values[i]) for i in (0, -1))
        p.append(stats.mannwhitneyu(successful[1], successful[0], alternative="greater").pvalue)
        groups.append({
            "family": family.name, "scales": family.ends,
            "successful_mean": [float(s.mean()) for s in successful], "p_value": p[-1],
            "p_fail": [fail_0 / n_0, fail_1 / n_1],
            "p_fail_moves": stats.fisher_exact([[fail_0, n_0 - fail_0], [fail_1, n_1 - fail_1]]).pvalue,
        })
    if not groups:
        return _result(UNTESTABLE, "too few seeds: fewer than 2 successful seeds at the smallest or largest "
                                   "width", [], statistic)
    for group, p_adj in zip(groups, adjusted(p)):
        group["p_adjusted"] = float(p_adj)
    described = "; ".join(
        f"{g['scales']}: successful mean {g['successful_mean'][0]:.2f}->{g['successful_mean'][1]:.2f} "
        f"(adjusted p {g['p_adjusted']:.2g}), P(fail) {g['p_fail'][0]:.2f}->{g['p_fail'][1]:.2f} "
        f"(p {g['p_fail_moves']:.2g})" for g in groups)
    holds = any(g["p_adjusted"] < alpha and g["p_fail_moves"] >= alpha for g in groups)
    return _result(HOLDS if holds else DOES_NOT_HOLD, described, groups, statistic)


CHECKS = {check.__name__: check for check in (bimodal_groups, curves_range, mass_moves, width_raises_mean)}


def family_groups(per_scale: pd.DataFrame, breakthrough: pd.DataFrame, rows: pd.DataFrame,
                  references: dict[str, str], metric: str) -> list[Family]:
    """Every family of one (population, benchmark) at its reference condition."""
    families = []
    for name, family_rows in rows.groupby("family"):
        condition = references[name]
        at = family_rows[family_rows["condition"] == condition]
        stats_at = per_scale[(per_scale["family"] == name) & (per_scale["condition"] == condition)]
        lines = score_thresholds(family_rows["benchmark"].iloc[0], metric, float(family_rows["chance"].median()))
        curves = breakthrough[(breakthrough["family"] == name) & (breakthrough["condition"] == condition)] \
            if not breakthrough.empty else pd.DataFrame(columns=["breakthroughness", "linearity"])
        families.append(Family(
            name=name, dimension=scaling_dimension(family_rows), condition=condition,
            per_scale=stats_at.sort_values("scale_index").reset_index(drop=True),
            values=[g[metric].to_numpy(dtype=float) for _, g in at.groupby("scale_index", sort=True)],
            success_line=lines.success if lines is not None else np.nan, curves=curves,
        ))
    return families


def evaluate_findings(families: list[Family], config: dict = CONFIG) -> list[dict]:
    """One entry per declared finding: finding, statement, status, reason, statistic, groups, alpha, correction."""
    out = []
    for spec in config["findings"]:
        needs = spec["needs"]
        fitting = [f for f in families if needs["dimension"] in ("any", f.dimension)]
        enough = [f for f in fitting if len(f.per_scale) >= needs["min_scales"]]
        if not fitting:
            result = _result(UNTESTABLE, f"no {DIMENSIONS[needs['dimension']]} in these results", [], "")
        elif not enough:
            most = max(len(f.per_scale) for f in fitting)
            result = _result(UNTESTABLE, f"needs {needs['min_scales']} or more scales in a family; the most "
                                         f"here is {most}", [], "")
        else:
            result = CHECKS[spec["check"]](enough, spec, config["alpha"])
        out.append({"finding": spec["finding"], "statement": spec["statement"], **result,
                    "alpha": config["alpha"], "correction": CORRECTION})
    return out
