"""Distributional analysis of seed populations: statistics, fits and the paper's figures.

`analyze(results, out_dir)` does everything; `distributional_statistics`
returns the numbers without writing files; `verdict` is the one bimodality
verdict and `plan_seeds` the seed-count planner. The pure functions behind them live
in one module each, with their formulas in the docstrings.
"""

from hf_distscale.analysis.breakthrough import breakthrough_metrics, breakthrough_table
from hf_distscale.analysis.bimodality import VERDICT_RULE, mixture_test, tie_corrected_dip, verdict
from hf_distscale.analysis.distribution import bimodality_coefficient, distribution_statistics
from hf_distscale.analysis.passuntil import passuntil_fit
from hf_distscale.analysis.plan import describe_plan, plan_seeds
from hf_distscale.analysis.report import analyze
from hf_distscale.analysis.scaling_fit import fit_logistic, scaling_fit
from hf_distscale.analysis.schema import GROUP_KEY, SERIES_KEY, load_results
from hf_distscale.analysis.statistics import DistributionalStatistics, distributional_statistics

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
