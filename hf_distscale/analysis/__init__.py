"""Distributional analysis of seed populations: statistics, fits and the paper's figures.

`analyze(results, out_dir)` does everything; `distributional_statistics`
returns the numbers without writing files; `verdict` is the one bimodality
verdict and `plan_seeds` the seed-count planner. The pure functions behind them live
in one module each, with their formulas in the docstrings.
"""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "breakthrough_metrics": "hf_distscale.analysis.breakthrough",
    "breakthrough_table": "hf_distscale.analysis.breakthrough",
    "VERDICT_RULE": "hf_distscale.analysis.bimodality",
    "mixture_test": "hf_distscale.analysis.bimodality",
    "tie_corrected_dip": "hf_distscale.analysis.bimodality",
    "verdict": "hf_distscale.analysis.bimodality",
    "bimodality_coefficient": "hf_distscale.analysis.distribution",
    "distribution_statistics": "hf_distscale.analysis.distribution",
    "passuntil_fit": "hf_distscale.analysis.passuntil",
    "describe_plan": "hf_distscale.analysis.plan",
    "plan_seeds": "hf_distscale.analysis.plan",
    "analyze": "hf_distscale.analysis.report",
    "fit_logistic": "hf_distscale.analysis.scaling_fit",
    "scaling_fit": "hf_distscale.analysis.scaling_fit",
    "GROUP_KEY": "hf_distscale.analysis.schema",
    "SERIES_KEY": "hf_distscale.analysis.schema",
    "load_results": "hf_distscale.analysis.schema",
    "DistributionalStatistics": "hf_distscale.analysis.statistics",
    "distributional_statistics": "hf_distscale.analysis.statistics",
})

__all__ = [
    "DistributionalStatistics",
    "VERDICT_RULE",
    "GROUP_KEY",
    "SERIES_KEY",
    "analyze",
    "bimodality_coefficient",
    "breakthrough_metrics",
    "breakthrough_table",
    "describe_plan",
    "distribution_statistics",
    "distributional_statistics",
    "fit_logistic",
    "load_results",
    "mixture_test",
    "passuntil_fit",
    "plan_seeds",
    "scaling_fit",
    "tie_corrected_dip",
    "verdict",
]
