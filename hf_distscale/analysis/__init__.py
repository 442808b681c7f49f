"""Distributional analysis of seed populations: statistics, fits and the paper's figures.

`analyze(results, out_dir)` does everything; `distributional_statistics`
returns the numbers without writing files. The pure functions behind them live
in one module each, with their formulas in the docstrings.
"""

from hf_distscale.analysis.breakthrough import breakthrough_metrics, breakthrough_table
from hf_distscale.analysis.distribution import bimodality_coefficient, dip_test, distribution_statistics
from hf_distscale.analysis.mixture import two_mode_mixture
from hf_distscale.analysis.passuntil import passuntil_fit
from hf_distscale.analysis.report import analyze
from hf_distscale.analysis.scaling_fit import fit_logistic, scaling_fit
from hf_distscale.analysis.schema import load_results
from hf_distscale.analysis.statistics import DistributionalStatistics, distributional_statistics

__all__ = [
    "DistributionalStatistics",
    "analyze",
    "bimodality_coefficient",
    "breakthrough_metrics",
    "breakthrough_table",
    "dip_test",
    "distribution_statistics",
    "distributional_statistics",
    "fit_logistic",
    "load_results",
    "passuntil_fit",
    "scaling_fit",
    "two_mode_mixture",
]
