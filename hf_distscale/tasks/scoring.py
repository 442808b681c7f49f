"""Teacher-forced scoring of answers: one forward pass gives EM and the continuous metrics.

Under greedy decoding an answer is generated exactly iff the argmax is right at
every scored position under teacher forcing: each step's input is then the
token greedy decoding would have produced. So one batched forward pass
replaces `generate()`.
"""

from __future__ import annotations

import torch


def score_answers(
    logits: torch.Tensor, input_ids: torch.Tensor, loss_mask: torch.Tensor, end_id: int
) -> dict[str, torch.Tensor]:
    """Per-row scores of the positions in `loss_mask` (the answer and `.`).

    Logits at position t-1 predict token t. With S the scored positions of a
    row and p_t the probability of the true token at t:

    - ``exact``: argmax correct at every t in S (the answer and `.`).
    - ``exact_answer_only``: the same, leaving out the end token `.`.
    - ``correct_tokens`` / ``scored_tokens``: how many t in S are right / scored.
    - ``nll_sum``: -sum_{t in S} log p_t, so p_exact = exp(-nll_sum).

    Returns float/bool tensors of shape [rows].
    """
    targets = input_ids[:, 1:]
    mask = loss_mask[:, 1:].bool()
    log_probs = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    target_log_probs = log_probs.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    correct = logits[:, :-1].argmax(-1) == targets  # raw logits, as greedy decoding
    wrong = mask & ~correct
    answer_only = mask & (targets != end_id)
    return {
        "exact": ~wrong.any(-1),
        "exact_answer_only": ~(wrong & answer_only).any(-1),
        "correct_tokens": (mask & correct).sum(-1).float(),
        "scored_tokens": mask.sum(-1).float(),
        "nll_sum": -(target_log_probs * mask).sum(-1),
    }
