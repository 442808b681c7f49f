"""Multiple-choice scores from per-choice log-likelihoods: gold NLL and probability, Brier."""

import datasets
import evaluate

from hf_distscale.evaluation.multiple_choice import mean_choice_scores

_DESCRIPTION = """
For each item, the log-likelihood of every choice's continuation (as lm-eval
logs with `log_samples`) and the gold index. Returns the mean NLL of the gold
choice, the mean probability of the gold choice normalised over the choices,
and the mean Brier score, which move before accuracy does.
"""

_CITATION = "Brier, Verification of forecasts expressed in terms of probability, 1950"

_KWARGS_DESCRIPTION = """
Args:
    loglikelihoods: per item, the list of per-choice log-likelihoods (any number of choices).
    references: per item, the index of the gold choice.
Returns:
    nll_correct: mean of -ll[y].
    p_correct: mean of softmax(ll)[y].
    brier: mean of sum_j (softmax(ll)_j - [j = y])^2.
    acc: mean of [argmax ll = y].
    chance: mean of 1 / number of choices.
    n_examples: number of items.
Examples:
    >>> metric = evaluate.load("hf_distscale/metrics/multiple_choice")
    >>> metric.compute(loglikelihoods=[[0.0, 0.0]], references=[1])["p_correct"]
    0.5
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class MultipleChoice(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "loglikelihoods": datasets.Sequence(datasets.Value("float64")),
                    "references": datasets.Value("int64"),
                }
            ),
        )

    def _compute(self, loglikelihoods, references):
        return mean_choice_scores(loglikelihoods, references)
