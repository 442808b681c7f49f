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
from hf_distscale.analysis.schema import load_results
from hf_distscale.analysis.statistics import DistributionalStatistics
from hf_distscale.analysis.summary import write_summary

METRIC_MODULE = Path(__file__).resolve().parent.parent / "metrics" / "distributional_scaling"


def compute_statistics(
    results: pd.DataFrame,
    metric: str = "em",
    breakthrough_test_length: int | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> DistributionalStatistics:
    """Run the `distributional_scaling` evaluate module over a checked results table."""
    module = evaluate.load(str(METRIC_MODULE))
    output = module.compute(
        scores=results[metric].tolist(),
        pass_probabilities=results["p_exact"].tolist(),
        families=results["family"].tolist(),
        scales=results["scale"].tolist(),
        scale_indices=results["scale_index"].tolist(),
        num_parameters=results["num_parameters"].tolist(),
        seeds=results["seed"].tolist(),
        test_lengths=results["test_length"].tolist(),
        metric_name=metric,
        breakthrough_test_length=breakthrough_test_length,
        n_resamples=n_resamples,
        bootstrap_seed=seed,
    )
    return DistributionalStatistics.from_dict(output)


def analyze(
    results: pd.DataFrame | str | Path,
    out_dir: str | Path,
    metric: str = "em",
    breakthrough_test_length: int | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> dict[str, Path]:
    """Write the statistics, the summary table and every figure for `results` under `out_dir`.

    `results` is the evaluation results table (DataFrame or Parquet path).
    Warns (UserWarning) about groups with fewer than 5 seeds and families with
    a single scale, whose B/L, fits and top-seed figure are skipped.
    Returns {output name: path}: statistics_json, summary_csv, summary_md,
    scaling_fits_csv, passuntil_csv, breakthrough_csv, and for each family
    `<figure>_<family>_png` / `_svg` with figure in top_seeds (only families
    with B/L: 2 or more scales), violins, fractions, histograms.
    """
    out_dir = Path(out_dir)
    table = load_results(results, metric)
    statistics = compute_statistics(table, metric, breakthrough_test_length, n_resamples, seed)
    for message in statistics.messages:
        warnings.warn(message, stacklevel=2)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"statistics_json": out_dir / "statistics.json"}
    paths["statistics_json"].write_text(json.dumps(statistics.to_dict(), indent=1, default=str))
    paths.update(write_summary(statistics, out_dir))
    figure_dir = out_dir / "figures"
    for family in tqdm(sorted(table["family"].unique()), desc="figures", unit="family"):
        drawn = {
            "violins": figures.plot_violins(table, family, metric, figure_dir),
            "fractions": figures.plot_fractions(statistics.per_scale, family, metric, figure_dir),
            "histograms": figures.plot_histograms(table, family, metric, figure_dir),
        }
        if family in set(statistics.breakthrough.get("family", ())):
            drawn["top_seeds"] = figures.plot_top_seeds(table, statistics.breakthrough, family, metric, figure_dir)
        for name, files in drawn.items():
            for extension, path in files.items():
                paths[f"{name}_{family}_{extension}"] = path
    return paths
