"""PassUntil: pass probability from sampling until r successes, PU = r / K (Hu et al. 2023)."""

import datasets
import evaluate
import numpy as np

from hf_distscale.evaluation.pass_until import pass_until_estimate

_DESCRIPTION = """
For each example, answers were sampled until `required` (r) were correct,
taking K draws (or up to a cap). PU = r / K estimates the pass probability;
(r - 1) / (K - 1) is its unbiased variant. See the card for bias and variance.
"""

_CITATION = "Hu et al., Predicting Emergent Abilities with Infinite Resolution Evaluation, 2023"

_KWARGS_DESCRIPTION = """
Args:
    successes: correct draws per example (r, or fewer when the cap was hit).
    samples: draws per example (K).
    required: the target r.
Returns:
    pass_until: mean over examples of s / K.
    pass_until_unbiased: mean of (s - 1) / (K - 1) over uncapped examples (NaN if none or r < 2).
    stderr: standard error of `pass_until` from the per-example delta-method variances.
    capped_fraction: share of examples that hit the cap with s < r.
    per_example: the per-example s / K.
Examples:
    >>> metric = evaluate.load("hf_distscale/metrics/pass_until")
    >>> metric.compute(successes=[10, 10], samples=[20, 40], required=10)["pass_until"]
    0.375
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PassUntil(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"successes": datasets.Value("int64"), "samples": datasets.Value("int64")}
            ),
        )

    def _compute(self, successes, samples, required):
        per_example = pass_until_estimate(successes, samples, required)
        uncapped = per_example["pass_until_unbiased"][~per_example["capped"]]
        variance = np.nan_to_num(per_example["stderr"], nan=0.0) ** 2
        return {
            "pass_until": float(per_example["pass_until"].mean()),
            "pass_until_unbiased": float(uncapped.mean()) if uncapped.size else float("nan"),
            "stderr": float(np.sqrt(variance.sum()) / len(variance)),
            "capped_fraction": float(per_example["capped"].mean()),
            "per_example": per_example["pass_until"].tolist(),
        }
