"""Per-row scores of decoded tokens, and the summary of a split: the one implementation.

Teacher-forced scores come from `hf_distscale.tasks.scoring.score_answers`
(logits in); `score_tokens` gives the same per-row fields for tokens already
decoded (the `generate()` reference path and the `length_generalization`
evaluate module). `summarize` turns per-row fields into the results-table
metrics, for the CLI and the evaluate module alike.
"""

from __future__ import annotations

import numpy as np


def score_tokens(predictions, references, masks, end_id: int | None = None, token_nll=None) -> dict:
    """Per-row scores from aligned token arrays of shape [rows, T].

    ``predictions[i, t]`` is the model's token at position t (the argmax under
    teacher forcing, or the generated token), ``references`` the true tokens,
    ``masks`` 1 where a position is scored (the answer and `.`). With S_i the
    scored positions of row i:

    - ``exact``: predictions == references at every t in S_i;
    - ``exact_answer_only``: the same over S_i without `end_id` (needs end_id);
    - ``correct_tokens`` / ``scored_tokens``: |{t in S_i: right}| and |S_i|;
    - ``nll_sum``: sum_{t in S_i} token_nll[i, t] (needs token_nll).
    """
    predictions, references = np.asarray(predictions), np.asarray(references)
    mask = np.asarray(masks).astype(bool)
    if not predictions.shape == references.shape == mask.shape:
        raise ValueError(
            f"predictions, references and masks must have the same shape; got "
            f"{predictions.shape}, {references.shape} and {mask.shape}"
        )
    wrong = mask & (predictions != references)
    scores = {
        "exact": ~wrong.any(-1),
        "correct_tokens": (mask & ~wrong).sum(-1).astype(float),
        "scored_tokens": mask.sum(-1).astype(float),
    }
    if end_id is not None:
        scores["exact_answer_only"] = ~(wrong & (references != end_id)).any(-1)
    if token_nll is not None:
        scores["nll_sum"] = (np.asarray(token_nll, dtype=float) * mask).sum(-1)
    return scores


def summarize(scores: dict) -> dict[str, float]:
    """Split-level metrics from per-row scores (numpy arrays or tensors of shape [rows]).

    - ``em`` = mean_i exact_i; ``em_answer_only`` likewise;
    - ``token_accuracy`` = sum_i correct_i / sum_i scored_i (pooled over tokens);
    - ``nll_mean`` = sum_i nll_i / sum_i scored_i (mean NLL per scored token);
    - ``nll_sum`` = mean_i nll_i (mean per-example summed NLL);
    - ``p_exact`` = mean_i exp(-nll_i), the probability of sampling the exact
      answer at temperature 1 (the exact PassUntil value, SPEC §5).

    Fields missing from `scores` are left out of the result.
    """
    rows = {key: np.asarray(value, dtype=float) for key, value in scores.items()}
    if rows["exact"].size == 0:
        raise ValueError("scores: no rows to summarize; a split must hold at least one example")
    scored = rows["scored_tokens"].sum()
    summary = {
        "n_examples": int(rows["exact"].size),
        "em": float(rows["exact"].mean()),
        "token_accuracy": float(rows["correct_tokens"].sum() / scored),
    }
    if "exact_answer_only" in rows:
        summary["em_answer_only"] = float(rows["exact_answer_only"].mean())
    if "nll_sum" in rows:
        summary["nll_mean"] = float(rows["nll_sum"].sum() / scored)
        summary["nll_sum"] = float(rows["nll_sum"].mean())
        summary["p_exact"] = float(np.exp(-rows["nll_sum"]).mean())
    return summary
