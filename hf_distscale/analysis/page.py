"""What the leaderboard page shows, computed once by `analyze` and written for it to read.

Each (population, benchmark) is analysed on its own rows in the benchmark's
own metric (EM for counting, accuracy for multiple choice):

- benchmark statistics: one row per (population, benchmark, family, scale,
  condition) with the fractions and their CIs, the bimodality tests, the
  verdict, the planner's seed counts, the seeds' model folder (a Hub link
  where the seeds came from one) and each number as the page shows it
  (`text`, formatted by `display` as summary.md is);
- claims: the paper's five findings as checks (`findings`), read at each family's reference condition;
- figure data: per family the seed values per (scale, condition) for the
  violins and histograms, the scaling fits (with their slope and crossing
  as text), the top-5 fixed-seed curves by B and L at every condition, and
  for language-model benchmarks each seed's NLL.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES
from hf_distscale.analysis.breakthrough import breakthrough_table, top_seeds
from hf_distscale.analysis.display import (
    MISSING,
    count,
    crossing,
    fixed,
    missing,
    p_value,
    parameters,
    with_interval,
)
from hf_distscale.analysis.figures import violin_conditions
from hf_distscale.analysis.findings import evaluate_findings, family_groups
from hf_distscale.analysis.plan import plan_seeds
from hf_distscale.analysis.schema import GROUP_KEY, condition_order
from hf_distscale.analysis.statistics import DistributionalStatistics, distributional_statistics
from hf_distscale.analysis.thresholds import score_thresholds
from hf_distscale.formats.population import SEED_URI_PREFIX, parse_seed_uri
from hf_distscale.formats.results import COUNTING_BENCHMARK

# The metric a benchmark's seed distribution is built from.
COUNTING_METRIC = "em"
MULTIPLE_CHOICE_METRIC = "acc"
NLL_COLUMN = {COUNTING_BENCHMARK: "nll_mean"}
MULTIPLE_CHOICE_NLL = "nll_correct"
TOP_K = 5
# The planner's seed counts shown as "seeds needed", at the planner's defaults (`seeds_needed_rule`).
PLAN_COLUMNS = ["seeds_for_bimodality", "seeds_for_p_success"]


def benchmark_metric(benchmark: str) -> str:
    """EM for the counting task, accuracy for a multiple-choice benchmark."""
    return COUNTING_METRIC if benchmark == COUNTING_BENCHMARK else MULTIPLE_CHOICE_METRIC


def nll_column(benchmark: str) -> str:
    return NLL_COLUMN.get(benchmark, MULTIPLE_CHOICE_NLL)


def model_link(model_paths: pd.Series) -> dict:
    """{"text", "url"} for a group's seeds: the Hub folder holding them, or the local folder as text.

    `hf://<repo>/<subfolder>[@rev]` links to huggingface.co/<repo>/tree/<rev or main>/<folder>,
    where <folder> is the seeds' common parent (e.g. the scale folder).
    """
    paths = sorted(set(model_paths.astype(str)))
    seeds = {parse_seed_uri(p) for p in paths if p.startswith(SEED_URI_PREFIX)}
    repos = {(repo, revision) for repo, _, revision in seeds}
    if paths and len(seeds) == len(paths) and len(repos) == 1:
        (repo, revision), = repos
        folders = [subfolder.rstrip("/") for _, subfolder, _ in seeds]
        folder = folders[0] if len(folders) == 1 else _common_folder(folders)
        url = f"https://huggingface.co/{repo}/tree/{revision or 'main'}/{folder}".rstrip("/")
        return {"text": f"{repo}/{folder}", "url": url}
    folder = paths[0] if len(paths) == 1 else _common_folder(paths)
    return {"text": folder, "url": None}


def _common_folder(paths: list[str]) -> str:
    parts = [p.split("/") for p in paths]
    common = []
    for level in zip(*parts):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return "/".join(common)


def group_statistics(rows: pd.DataFrame, benchmark: str, plan: bool = True,
                     breakthrough_condition: str | None = None, n_resamples: int = N_RESAMPLES,
                     seed: int = 0) -> DistributionalStatistics:
    """The analysis package's statistics of one (population, benchmark)'s rows, with the planner's
    seed counts (NaN when `plan` is False: the planner simulates populations for every two-mode group)."""
    if breakthrough_condition not in set(rows["condition"]):
        breakthrough_condition = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # analyze has warned about these rows already
        statistics = distributional_statistics(rows, benchmark_metric(benchmark), breakthrough_condition,
                                               n_resamples, seed)
    if not plan:
        statistics.per_scale = statistics.per_scale.assign(**{column: np.nan for column in PLAN_COLUMNS})
        return statistics
    seeds = plan_seeds(statistics.per_scale)[[*GROUP_KEY, *PLAN_COLUMNS]]
    statistics.per_scale = statistics.per_scale.merge(seeds, on=GROUP_KEY, how="left")
    return statistics


def reference_conditions(statistics, rows: pd.DataFrame, benchmark: str) -> dict[str, str]:
    """Per family: the condition B/L were computed at, else the benchmark's aggregate, else the first."""
    references = {}
    for family, family_rows in rows.groupby("family"):
        conditions = sorted(family_rows["condition"].unique())
        at = statistics.breakthrough
        used = at.loc[at["family"] == family, "condition"] if not at.empty else []
        references[family] = (
            used.iloc[0] if len(used) else benchmark if benchmark in conditions else conditions[len(conditions) // 2]
        )
    return references


def table_rows(statistics, rows: pd.DataFrame) -> list[dict]:
    """One main-table row per (scale, condition) of one (population, benchmark)."""
    keys = ["family", "scale_index", "condition"]
    links = {key: model_link(group["model_path"]) for key, group in rows.groupby(keys)}
    records = []
    for _, stat in statistics.per_scale.iterrows():
        link = links[(stat["family"], int(stat["scale_index"]), stat["condition"])]
        records.append(
            {
                "population": stat["population"],
                "benchmark": stat["benchmark"],
                "family": stat["family"],
                "scale": stat["scale"],
                "scale_index": int(stat["scale_index"]),
                "num_parameters": int(stat["num_parameters"]),
                "condition": stat["condition"],
                "seeds": int(stat["n_seeds"]),
                **{
                    f"{name}{suffix}": stat[f"{column}{suffix}"]
                    for name, column in (
                        ("p_success", "frac_successful"),
                        ("p_fail", "frac_failed"),
                        ("successful_mean", "successful_mean"),
                    )
                    for suffix in ("", "_ci_low", "_ci_high")
                },
                **{
                    column: stat[column]
                    for column in ("dip_p", "dip_p_raw", "mixture_lrt_p", "bimodality_coefficient",
                                   "mixture_success_weight", "mixture_success_mean", "wasserstein_to_next", "verdict")
                },
                **{column: stat[column] for column in PLAN_COLUMNS},
                "model": link["text"],
                "model_url": link["url"],
                "text": row_text(stat),
            }
        )
    return records


def add_seed_share(rows: list[dict], split: pd.DataFrame | None) -> None:
    """Give every page row its seed share of the variance of the population mean (`variance`), and its
    text; null and '-' where the split has no such group (no items table)."""
    keys = ["population", "benchmark", "family", "scale", "condition"]
    shares = {} if split is None or split.empty else dict(zip(split[keys].itertuples(index=False, name=None),
                                                              split["seed_share"]))
    for row in rows:
        share = shares.get(tuple(row[key] for key in keys))
        row["seed_share"] = share
        row["text"]["seed_share"] = fixed(share)


def row_text(stat: pd.Series) -> dict[str, str]:
    """How the page shows a row's numbers (`display`, as summary.md writes them)."""
    intervals = {
        name: with_interval(stat[column], stat[f"{column}_ci_low"], stat[f"{column}_ci_high"])
        for name, column in (("p_success", "frac_successful"), ("p_fail", "frac_failed"),
                             ("successful_mean", "successful_mean"))
    }
    return {
        "num_parameters": parameters(stat["num_parameters"]),
        **intervals,
        **{column: p_value(stat[column]) for column in ("dip_p", "dip_p_raw", "mixture_lrt_p")},
        **{column: fixed(stat[column]) for column in ("mixture_success_weight", "mixture_success_mean")},
        "wasserstein_to_next": fixed(stat["wasserstein_to_next"], 3),
        "seeds_needed": seeds_needed_text(stat["seeds_for_bimodality"], stat["seeds_for_p_success"]),
    }


def seeds_needed_text(bimodality: float, p_success: float) -> str:
    """'bimodality 24 · P(success) 16'; 'no second mode · P(success) 16' where the pilot's fit has one
    mode (no seed count detects a second); '-' where the planner did not run."""
    if missing(bimodality) and missing(p_success):
        return MISSING
    detect = "no second mode" if missing(bimodality) else f"bimodality {count(bimodality)}"
    return f"{detect} · P(success) {count(p_success)}"


def figure_data(statistics, rows: pd.DataFrame, benchmark: str, references: dict[str, str]) -> list[dict]:
    """Per family of one (population, benchmark): seed values, fits and top-seed curves."""
    metric = benchmark_metric(benchmark)
    nll = nll_column(benchmark)
    sections = []
    for family, family_rows in rows.groupby("family"):
        scales = (
            family_rows.groupby("scale_index", as_index=False)
            .agg(scale=("scale", "first"), num_parameters=("num_parameters", "median"))
            .sort_values("scale_index")
        )
        conditions = condition_order(family_rows)
        grid = (family_rows, scales["scale_index"].tolist(), conditions)
        lines = score_thresholds(benchmark, metric, float(family_rows["chance"].iloc[0]))
        section = {
            "benchmark": benchmark,
            "family": family,
            "metric": metric,
            "conditions": conditions,
            "violin_conditions": violin_conditions(family_rows),
            "reference_condition": references[family],
            "scales": [
                {"scale": r.scale, "scale_index": int(r.scale_index), "num_parameters": int(r.num_parameters),
                 "label": f"{r.scale} ({parameters(r.num_parameters)})"}
                for r in scales.itertuples()
            ],
            "lines": None if lines is None else {"failure": lines.failure, "success": lines.success},
            "values": _cell_values(*grid, metric),
            "fits": _fits(statistics.scaling_fits, family),
            "top_seeds_by_condition": _top_seeds_by_condition(family_rows, conditions, metric),
        }
        if benchmark != COUNTING_BENCHMARK:
            section["nll"] = _cell_values(*grid, nll)
        sections.append(section)
    return sections


def _cell_values(rows: pd.DataFrame, scale_indices: list[int], conditions: list[str], column: str) -> list:
    """values[s][c] = `column` of every seed (by seed) at scale_indices[s] and conditions[c]; [] where absent."""
    groups = rows.groupby(["scale_index", "condition"])
    cells = {key: group.sort_values("seed")[column].tolist() for key, group in groups}
    return [[cells.get((s, c), []) for c in conditions] for s in scale_indices]


def _fits(fits: pd.DataFrame, family: str) -> dict:
    if fits.empty:
        return {}
    keep = ["intercept", "slope", "slope_ci_low", "slope_ci_high", "slope_note", "crossing_x", "crossing_x_ci_low",
            "crossing_x_ci_high", "crossing_in_range", "crossing_direction", "x_variable", "inverse_scaling"]
    return {
        row.condition: {**{k: getattr(row, k) for k in keep},
                        "slope_text": with_interval(row.slope, row.slope_ci_low, row.slope_ci_high,
                                                    note=row.slope_note),
                        "crossing_text": crossing(row)}
        for row in fits[fits["family"] == family].itertuples()
    }


def _top_seed_curves(breakthrough: pd.DataFrame, rows: pd.DataFrame, family: str, metric: str) -> dict | None:
    if breakthrough.empty or family not in set(breakthrough["family"]):
        return None
    at = breakthrough[breakthrough["family"] == family]
    condition = at["condition"].iloc[0]
    curves = rows[rows["condition"] == condition].pivot_table(index="seed", columns="scale_index", values=metric)
    scores = at.set_index("seed")
    return {
        "condition": condition,
        "rankings_identical": bool(at["rankings_identical"].iloc[0]),
        **{
            symbol: [
                {"seed": int(seed), "score": _score_text(scores.loc[seed, by]), "curve": curves.loc[seed].tolist()}
                for seed in top_seeds(at, by, TOP_K)
            ]
            for symbol, by in (("B", "breakthroughness"), ("L", "linearity"))
        },
    }


def _top_seeds_by_condition(rows: pd.DataFrame, conditions: list[str], metric: str) -> dict:
    """`_top_seed_curves` ranked and drawn at each condition (for the page's Condition select)."""
    curves = {}
    for condition in conditions:
        table = breakthrough_table(rows, metric, condition)
        if not table.empty:
            curves[condition] = _top_seed_curves(table, rows, rows["family"].iloc[0], metric)
    return curves


def _score_text(score: float) -> str:
    """B or L for a legend: an infinite B (all change within fewer than half the steps) reads as ±∞."""
    return ("∞" if score > 0 else "-∞") if np.isinf(score) else f"{score:.3g}"


def page_data(table: pd.DataFrame, plan: bool = True, breakthrough_condition: str | None = None,
              n_resamples: int = N_RESAMPLES, seed: int = 0) -> tuple[list[dict], list[dict], list[dict]]:
    """(benchmark statistics rows, claims, figure data per population) of a results table.

    Each (population, benchmark) is analysed on its own rows in its own metric.
    `plan` False leaves "seeds needed" NaN. `breakthrough_condition` is the
    condition B/L, the claims and the figures open at, where a benchmark has
    it; else the analysis default.
    """
    rows_out, claims_out, populations = [], [], []
    for population, population_rows in table.groupby("population", sort=True):
        sections = []
        for benchmark, rows in population_rows.groupby("benchmark", sort=True):
            statistics = group_statistics(rows, benchmark, plan, breakthrough_condition, n_resamples, seed)
            references = reference_conditions(statistics, rows, benchmark)
            rows_out += table_rows(statistics, rows)
            families = family_groups(statistics.per_scale, statistics.breakthrough, rows, references,
                                     benchmark_metric(benchmark))
            claims_out += [{"population": population, "benchmark": benchmark, **finding}
                           for finding in evaluate_findings(families)]
            sections += figure_data(statistics, rows, benchmark, references)
        populations.append({"population": population, "sections": sections})
    return rows_out, claims_out, populations
