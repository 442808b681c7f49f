"""Continuous multiple-choice scores from per-choice log-likelihoods (what lm-eval logs per item).

Accuracy only says whether the gold choice had the highest log-likelihood;
these scores say by how much, so they separate seeds that accuracy ties.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import logsumexp


def choice_scores(loglikelihoods: Sequence[Sequence[float]], gold: Sequence[int]) -> dict:
    """Per-item scores; item i has log-likelihoods ll_i (one per choice) and gold index y_i.

    With p_i = softmax(ll_i), the choices' probabilities normalised over the choices:

    - ``nll_correct`` = -ll_i[y_i], the NLL of the gold continuation (nats, summed over its tokens);
    - ``p_correct``   = p_i[y_i];
    - ``brier``       = sum_j (p_ij - [j = y_i])^2, in [0, 2] (lm-eval's `brier_score`);
    - ``acc``         = [argmax_j ll_ij = y_i] (ties go to the first choice, as in lm-eval);
    - ``chance``      = 1 / len(ll_i).

    Returns a dict of float arrays of length len(gold).
    """
    if len(loglikelihoods) != len(gold):
        raise ValueError(
            f"loglikelihoods: {len(loglikelihoods)} items but {len(gold)} gold indices; "
            f"give one list of per-choice log-likelihoods per gold index"
        )
    out = {name: np.empty(len(gold)) for name in ("nll_correct", "p_correct", "brier", "acc",
                                                   "chance")}
    for i, (ll, y) in enumerate(zip(loglikelihoods, gold)):
        ll = np.asarray(ll, dtype=np.float64)
        if not 0 <= y < len(ll):
            raise ValueError(f"gold: index {y} of item {i} is outside its {len(ll)} choices")
        p = np.exp(ll - logsumexp(ll))
        onehot = np.zeros_like(p)
        onehot[y] = 1.0
        out["nll_correct"][i] = -ll[y]
        out["p_correct"][i] = p[y]
        out["brier"][i] = np.sum((p - onehot) ** 2)
        out["acc"][i] = float(np.argmax(ll) == y)
        out["chance"][i] = 1.0 / len(ll)
    return out


def mean_choice_scores(loglikelihoods: Sequence[Sequence[float]], gold: Sequence[int]) -> dict:
    """The means of `choice_scores` over the items, and `n_examples`: one results row's metrics.

    The one place that turns items into a row, for `hf-distscale lm-eval` (through the
    `multiple_choice` evaluate module) and for lm-eval samples files read by `ingest`.
    """
    scores = choice_scores(loglikelihoods, gold)
    return {**{name: float(np.mean(values)) for name, values in scores.items()},
            "n_examples": len(gold)}


def leaves_under(name: str, group_map: dict, leaves: list[str]) -> list[str]:
    """The leaf tasks whose items the row of a task or group pools (every leaf for a name that is
    neither, e.g. a tag); `group_map` is lm-eval's group -> children (its `group_subtasks`)."""
    if name in leaves:
        return [name]
    if name not in group_map:
        return leaves
    return [leaf for child in group_map[name] for leaf in leaves_under(str(child), group_map, leaves)]
