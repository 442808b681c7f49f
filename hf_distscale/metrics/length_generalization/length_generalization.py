"""Length-generalization metrics: exact match, per-token accuracy and NLL of scored positions."""

import datasets
import evaluate

from hf_distscale.evaluation.metrics import score_tokens
from hf_distscale.evaluation.metrics import summarize

_DESCRIPTION = """
Exact match of whole answers (every scored position right), pooled per-token
accuracy, and, given per-token NLLs, the mean and summed NLL and p_exact.
The same functions fill the `hf-distscale eval` results table.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: token ids per row, aligned with references (the model's token at each position).
    references: true token ids per row.
    masks: 1 where a position is scored (the answer and the end token), 0 elsewhere.
    token_nll: -log p(reference token) per position; only in the "nll" config
        (`evaluate.load(path, "nll")`), which adds the NLL outputs.
    end_id: optional id of the end token; adds `em_answer_only`.
Returns:
    n_examples, em, token_accuracy; em_answer_only with end_id;
    nll_mean, nll_sum, p_exact in the "nll" config.
Examples:
    >>> metric = evaluate.load("hf_distscale/metrics/length_generalization")
    >>> metric.compute(predictions=[[5, 1, 2, 9]], references=[[0, 1, 2, 9]],
    ...                masks=[[0, 1, 1, 1]], end_id=9)
    {'n_examples': 1, 'em': 1.0, 'token_accuracy': 1.0, 'em_answer_only': 1.0}
"""

_TOKENS = {
    "predictions": datasets.Sequence(datasets.Value("int64")),
    "references": datasets.Sequence(datasets.Value("int64")),
    "masks": datasets.Sequence(datasets.Value("int8")),
}

# Extra inputs per config name; "default" needs only the tokens.
_CONFIG_INPUTS = {"nll": {"token_nll": datasets.Sequence(datasets.Value("float64"))}}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class LengthGeneralization(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({**_TOKENS, **_CONFIG_INPUTS.get(self.config_name, {})}),
        )

    def _compute(self, predictions, references, masks, token_nll=None, end_id=None):
        return summarize(score_tokens(predictions, references, masks, end_id, token_nll))
