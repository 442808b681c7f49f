"""`analyze`: a results table in, statistics, figures and the summary table out.

The statistics come from the `distributional_scaling` evaluate module (the
same code a user gets with `evaluate.load`); figures and tables are drawn from
them and from the table itself.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import evaluate
import pandas as pd
from tqdm.auto import tqdm

from hf_distscale.analysis import figures
from hf_distscale.analysis.bootstrap import N_RESAMPLES
from hf_distscale.analysis.schema import EVALUATE_INPUTS, PLOT_KEY, load_results
from hf_distscale.analysis.statistics import DistributionalStatistics
from hf_distscale.analysis.summary import write_summary
from hf_distscale.formats.results import counting_condition

METRIC_MODULE = Path(__file__).resolve().parent.parent / "metrics" / "distributional_scaling"


def compute_statistics(
    results: pd.DataFrame,
    metric: str = "em",
    breakthrough_condition: str | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> DistributionalStatistics:
    """Run the `distributional_scaling` evaluate module over a checked results table."""
    module = evaluate.load(str(METRIC_MODULE))
    output = module.compute(
        scores=results[metric].tolist(),
        **{name: results[column].tolist() for name, column in EVALUATE_INPUTS.items()},
        metric_name=metric,
        breakthrough_condition=breakthrough_condition,
        n_resamples=n_resamples,
        bootstrap_seed=seed,
    )
    return DistributionalStatistics.from_dict(output)


def figure_folder(figure_dir: Path, population: str, benchmark: str) -> Path:
    """figures/<population>/<benchmark>/: one folder per population and benchmark."""
    return figure_dir / population / benchmark


def analyze(
    results: pd.DataFrame | str | Path,
    out_dir: str | Path,
    metric: str = "em",
    breakthrough_test_length: int | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    breakthrough_condition: str | None = None,
) -> dict[str, Path]:
    """Write the statistics, the summary table and every figure for `results` under `out_dir`.

    `results` is the evaluation results table (DataFrame or Parquet path).
    B and L use `breakthrough_condition`, or counting's `len<breakthrough_test_length>`.
    Warns (UserWarning) about groups with fewer than 5 seeds and series with
    a single scale, whose B/L, fits and top-seed figure are skipped.
    Returns {output name: path}: statistics_json, summary_csv, summary_md,
    scaling_fits_csv, passuntil_csv, breakthrough_csv, and per (population,
    benchmark, family) `<figure>_<population>_<benchmark>_<family>_png` / `_svg`,
    figure one of top_seeds (only series with B/L: 2 or more scales),
    violins, fractions (metrics with thresholds), histograms; the files are
    figures/<population>/<benchmark>/<figure>_<family>.png and .svg.
    """
    out_dir = Path(out_dir)
    if breakthrough_condition is None and breakthrough_test_length is not None:
        breakthrough_condition = counting_condition(breakthrough_test_length)
    table = load_results(results, metric)
    statistics = compute_statistics(table, metric, breakthrough_condition, n_resamples, seed)
    for message in statistics.messages:
        warnings.warn(message, stacklevel=2)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"statistics_json": out_dir / "statistics.json"}
    paths["statistics_json"].write_text(json.dumps(statistics.to_dict(), indent=1, default=str))
    paths.update(write_summary(statistics, out_dir))
    breakthrough = statistics.breakthrough
    series = list(table.groupby(PLOT_KEY, sort=False))
    for (population, benchmark, family), rows in tqdm(series, desc="figures", unit="family"):
        folder = figure_folder(out_dir / "figures", population, benchmark)
        per_scale = statistics.per_scale
        per_scale = per_scale[(per_scale["population"] == population) & (per_scale["benchmark"] == benchmark)]
        drawn = {
            "violins": figures.plot_violins(rows, family, metric, folder),
            "histograms": figures.plot_histograms(rows, family, metric, folder),
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
            for extension, path in files.items():
                paths[f"{name}_{population}_{benchmark}_{family}_{extension}"] = path
    return paths
