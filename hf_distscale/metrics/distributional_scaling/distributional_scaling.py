"""Distributional scaling: statistics of a population's per-seed scores across scales.

A thin `evaluate` module over `hf_distscale.analysis.statistics`; the formulas
live there and in this folder's README.md.
"""

import datasets
import evaluate
import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES
from hf_distscale.analysis.schema import EVALUATE_INPUTS
from hf_distscale.analysis.statistics import distributional_statistics

_DESCRIPTION = """
Per (population, benchmark, family, scale, condition): the fraction of failed and
successful seeds (lines per benchmark in analysis/benchmarks.yaml: 0.1 and 0.5 for
counting EM, the same on the above-chance scale for multiple choice) and the
successful mean with 95% bootstrap intervals, Hartigan's dip test, the bimodality
coefficient, the Wasserstein distance to the next scale and a two-component
mixture. Per fixed-seed curve: breakthroughness B and linearity L. Per
(population, benchmark, family, condition): a logistic fit of P(success) against
scale with its 0.5 crossing, the successful-mean slope, inverse scaling, and (for
counting) the PassUntil law log(-log PU) against log N with its concavity.
"""

_KWARGS_DESCRIPTION = """
Args:
    scores: the metric of each (seed, scale, benchmark, condition) row (e.g. EM or acc).
    pass_probabilities: the exact-answer probability `p_exact` of each row (NaN off counting).
    populations, benchmarks, families: population, benchmark and scaling family of each row.
    scales: scale name of each row (e.g. "h64").
    scale_indices: position of the scale in its family, 0 = smallest.
    num_parameters: parameter count of each row's model.
    seeds: training seed of each row.
    conditions: condition of each row ("len18" for counting length 18, an lm-eval subject task).
    test_lengths: test length of each row (-1 off counting).
    n_examples: examples each score averages over.
    chances: the score of guessing (0 for counting, mean 1/choices for multiple choice).
    metric_name: what `scores` holds, a metric of analysis/benchmarks.yaml (em, acc, nll_correct, ...).
    breakthrough_condition: condition for B and L (default: the task aggregate, else the lower median).
    n_resamples: bootstrap resamples (1,000). bootstrap_seed: its Generator seed.
Returns:
    dict with "per_scale", "breakthrough", "scaling_fits", "passuntil" (lists of
    records), "messages" and "metric".
Example:
    >>> metric = evaluate.load("hf_distscale/metrics/distributional_scaling")
    >>> out = metric.compute(scores=..., pass_probabilities=..., populations=..., benchmarks=...,
    ...                      families=..., scales=..., scale_indices=..., num_parameters=..., seeds=...,
    ...                      conditions=..., test_lengths=..., n_examples=..., chances=...)
"""

_CITATION = """
@article{zhao2025distributional,
  title={Distributional Scaling Laws for Emergent Capabilities},
  author={Zhao, Rosie and Qin, Tian and Alvarez-Melis, David and Kakade, Sham and Saphra, Naomi},
  journal={arXiv preprint arXiv:2502.17356},
  year={2025}
}
"""



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
                    "populations": datasets.Value("string"),
                    "benchmarks": datasets.Value("string"),
                    "families": datasets.Value("string"),
                    "scales": datasets.Value("string"),
                    "scale_indices": datasets.Value("int64"),
                    "num_parameters": datasets.Value("int64"),
                    "seeds": datasets.Value("int64"),
                    "conditions": datasets.Value("string"),
                    "test_lengths": datasets.Value("int64"),
                    "n_examples": datasets.Value("int64"),
                    "chances": datasets.Value("float64"),
                }
            ),
        )

    def _compute(
        self,
        scores,
        metric_name="em",
        breakthrough_condition=None,
        n_resamples=N_RESAMPLES,
        bootstrap_seed=0,
        **columns,
    ):
        table = pd.DataFrame({EVALUATE_INPUTS[name]: values for name, values in columns.items()})
        table[metric_name] = scores
        statistics = distributional_statistics(
            table,
            metric=metric_name,
            breakthrough_condition=breakthrough_condition,
            n_resamples=n_resamples,
            seed=bootstrap_seed,
        )
        return statistics.to_dict()
