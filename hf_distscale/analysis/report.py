"""`analyze`: a results table in; everything later stages read out (see `hf_distscale.formats.analysis`).

The statistics come from `analysis.statistics` (the `distributional_scaling`
evaluate module is a thin wrapper over the same function); the page data
(`analysis.page`), figures and tables are computed from them and from the
table itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from hf_distscale.analysis import figures
from hf_distscale.analysis.bimodality import VERDICT_RULE
from hf_distscale.analysis.bootstrap import N_RESAMPLES
from hf_distscale.analysis.page import add_seed_share, page_data
from hf_distscale.analysis.plan import seeds_needed_rule
from hf_distscale.analysis.schema import PLOT_KEY, analysis_table, load_results
from hf_distscale.analysis.statistics import distributional_statistics
from hf_distscale.analysis.summary import write_summary
from hf_distscale.analysis.variance import ITEM_VALUES, variance_split
from hf_distscale.console import warn
from hf_distscale.formats.analysis import (
    figure_folder,
    read_claims,
    write_benchmark_statistics,
    write_claims,
    write_figure_data,
    write_figure_index,
    write_statistics,
)
from hf_distscale.formats.outputs import ANALYSIS, folder_output
from hf_distscale.formats.results import counting_condition


def write_page_data(results: pd.DataFrame | str | Path, out_dir: str | Path, plan: bool = True,
                    breakthrough_condition: str | None = None, n_resamples: int = N_RESAMPLES,
                    seed: int = 0, variance_split: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write benchmark_statistics.json, claims.json and figure_data.json (what the leaderboard reads).

    Every (population, benchmark) of `results` is analysed in its own metric;
    `plan` False skips the seed planner (its simulations dominate at paper
    size), leaving "seeds needed" null. `breakthrough_condition` applies where
    a benchmark has it; `n_resamples` and `seed` drive the bootstrap. Each row carries its seed share
    of `variance_split` (null without items). Returns {output name: path}.
    """
    out_dir = Path(out_dir)
    rows, claims, populations = page_data(analysis_table(results), plan, breakthrough_condition, n_resamples, seed)
    add_seed_share(rows, variance_split)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "benchmark_statistics_json": write_benchmark_statistics(out_dir, VERDICT_RULE, rows,
                                                                seeds_needed_rule() if plan else None),
        "claims_json": write_claims(out_dir, claims),
        "figure_data_json": write_figure_data(out_dir, populations),
    }


def analyze(
    results: pd.DataFrame | str | Path,
    out_dir: str | Path,
    metric: str = "em",
    breakthrough_test_length: int | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    breakthrough_condition: str | None = None,
    plan: bool = True,
    items: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write the statistics, the page data, the summary table and every figure for `results` under `out_dir`.

    `results` is the evaluation results table (DataFrame or Parquet path).
    B and L use `breakthrough_condition`, or counting's `len<breakthrough_test_length>`.
    Warns (`console.warn`, and in statistics.json and the summary) about groups
    with fewer than 5 seeds and series with a single scale, whose B/L, fits
    and top-seed figure are skipped.
    Returns {output name: path}: statistics_json, benchmark_statistics_json,
    claims_json, figure_data_json, figures_json, summary_csv, summary_md,
    scaling_fits_csv, passuntil_csv, breakthrough_csv, and per (population,
    benchmark, family) `<figure>_<population>_<benchmark>_<family>_png` / `_svg`,
    figure one of top_seeds (only series with B/L: 2 or more scales),
    violins, fractions (metrics with thresholds), histograms; the files are
    figures/<population>/<benchmark>/<figure>_<family>.png and .svg.
    The folder is built aside and swapped in whole, under a lock
    (`formats.outputs.folder_output`): an interrupted analysis leaves the previous one.
    """
    out_dir = Path(out_dir)
    if breakthrough_condition is None and breakthrough_test_length is not None:
        breakthrough_condition = counting_condition(breakthrough_test_length)
    with folder_output(out_dir, ANALYSIS) as folder:
        paths = _write_analysis(results, folder, metric, breakthrough_condition, n_resamples, seed, plan, items)
    return {name: out_dir / path.relative_to(folder) for name, path in paths.items()}


def _write_analysis(results, out_dir: Path, metric: str, breakthrough_condition: str | None, n_resamples: int,
                    seed: int, plan: bool, items: pd.DataFrame | None) -> dict[str, Path]:
    """`analyze`'s files, written into `out_dir` (the output's temporary folder)."""
    table = load_results(results, metric)
    statistics = distributional_statistics(table, metric, breakthrough_condition, n_resamples, seed, items)
    for message in statistics.messages:
        warn(message)
    paths = {"statistics_json": write_statistics(out_dir, statistics.to_dict())}
    page_split = (statistics.variance_split if items is None or ITEM_VALUES.get(metric) == "correct"
                  else variance_split(items, "em", n_resamples, seed))  # the page shows each benchmark's score
    paths.update(write_page_data(results, out_dir, plan, breakthrough_condition, n_resamples, seed, page_split))
    paths.update(write_summary(statistics, out_dir, read_claims(out_dir)))
    breakthrough = statistics.breakthrough
    index = []
    for (population, benchmark, family), rows in tqdm(list(table.groupby(PLOT_KEY, sort=False)),
                                                      desc="figures", unit="family"):
        folder = figure_folder(out_dir, population, benchmark)
        per_scale = statistics.per_scale
        per_scale = per_scale[(per_scale["population"] == population) & (per_scale["benchmark"] == benchmark)]
        drawn = {
            "violins": figures.plot_violins(rows, family, metric, folder),
            "histograms": figures.plot_histograms(rows, family, metric, folder, keep=breakthrough_condition),
        }
        if per_scale["frac_successful"].notna().any():
            drawn["fractions"] = figures.plot_fractions(per_scale, family, metric, folder)
        mine = breakthrough[
            (breakthrough["population"] == population)
            & (breakthrough["benchmark"] == benchmark)
            & (breakthrough["family"] == family)
        ] if not breakthrough.empty else breakthrough
        if not mine.empty:
            drawn["top_seeds"] = figures.plot_top_seeds(rows, mine, family, metric, folder)
        for name, files in drawn.items():
            index.append({"figure": name, "population": population, "benchmark": benchmark, "family": family,
                          "files": {ext: path.relative_to(out_dir).as_posix() for ext, path in files.items()}})
            for extension, path in files.items():
                paths[f"{name}_{population}_{benchmark}_{family}_{extension}"] = path
    paths["figures_json"] = write_figure_index(out_dir, index)
    return paths
