"""Distributional scaling: statistics of a population's per-seed scores across scales.

A thin `evaluate` module over `hf_distscale.analysis.statistics`; the formulas
live there and in this folder's README.md.
"""

import datasets
import evaluate
import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES
from hf_distscale.analysis.distribution import FAILURE_THRESHOLD
from hf_distscale.analysis.distribution import SUCCESS_THRESHOLD
from hf_distscale.analysis.statistics import distributional_statistics

_DESCRIPTION = """
Per (family, scale, test length): the fraction of failed (< 0.1) and successful
(> 0.5) seeds and the successful mean with 95% bootstrap intervals, Hartigan's
dip test, the bimodality coefficient, the Wasserstein distance to the next
scale and a two-component mixture. Per fixed-seed curve: breakthroughness B and
linearity L. Per (family, test length): a logistic fit of P(success) against
scale with its 0.5 crossing, the successful-mean slope, inverse scaling, and
the PassUntil law log(-log PU) against log N with its concavity.
"""

_KWARGS_DESCRIPTION = """
Args:
    scores: the metric of each (seed, scale, test length) row, in [0, 1] (e.g. EM).
    pass_probabilities: the exact-answer probability `p_exact` of each row.
    families: scaling family of each row.
    scales: scale name of each row (e.g. "h64").
    scale_indices: position of the scale in its family, 0 = smallest.
    num_parameters: parameter count of each row's model.
    seeds: training seed of each row.
    test_lengths: test length of each row.
    metric_name: what `scores` holds, one of em, em_answer_only, token_accuracy, p_exact.
    breakthrough_test_length: test length for B and L (default: each family's lower median length).
    failure_threshold, success_threshold: 0.1 and 0.5 by default.
    n_resamples: bootstrap resamples (1,000). bootstrap_seed: its Generator seed.
Returns:
    dict with "per_scale", "breakthrough", "scaling_fits", "passuntil" (lists of
    records), "messages" and "metric".
Example:
    >>> metric = evaluate.load("hf_distscale/metrics/distributional_scaling")
    >>> out = metric.compute(scores=..., pass_probabilities=..., families=..., scales=...,
    ...                      scale_indices=..., num_parameters=..., seeds=..., test_lengths=...)
"""

_CITATION = """
@article{zhao2025distributional,
  title={Distributional Scaling Laws for Emergent Capabilities},
  author={Zhao, Rosie and Qin, Tian and Alvarez-Melis, David and Kakade, Sham and Saphra, Naomi},
  journal={arXiv preprint arXiv:2502.17356},
  year={2025}
}
"""

# Module inputs -> results-table columns.
COLUMNS = {
    "pass_probabilities": "p_exact",
    "families": "family",
    "scales": "scale",
    "scale_indices": "scale_index",
    "num_parameters": "num_parameters",
    "seeds": "seed",
    "test_lengths": "test_length",
}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DistributionalScaling(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "scores": datasets.Value("float64"),
                    "pass_probabilities": datasets.Value("float64"),
                    "families": datasets.Value("string"),
                    "scales": datasets.Value("string"),
                    "scale_indices": datasets.Value("int64"),
                    "num_parameters": datasets.Value("int64"),
                    "seeds": datasets.Value("int64"),
                    "test_lengths": datasets.Value("int64"),
                }
            ),
        )

    def _compute(
        self,
        scores,
        metric_name="em",
        breakthrough_test_length=None,
        failure_threshold=FAILURE_THRESHOLD,
        success_threshold=SUCCESS_THRESHOLD,
        n_resamples=N_RESAMPLES,
        bootstrap_seed=0,
        **columns,
    ):
        table = pd.DataFrame({COLUMNS[name]: values for name, values in columns.items()})
        table[metric_name] = scores
        statistics = distributional_statistics(
            table,
            metric=metric_name,
            breakthrough_test_length=breakthrough_test_length,
            failure_threshold=failure_threshold,
            success_threshold=success_threshold,
            n_resamples=n_resamples,
            seed=bootstrap_seed,
        )
        return statistics.to_dict()
