"""Synthetic results tables with known truth, for known-answer checks and benchmarks of the analysis.

Each seed in a group succeeds with probability p (per scale, or per scale and
condition). A seed's true rate r is drawn from Beta(m c, (1 - m) c) (mean m,
concentration c) around `success_mean` if it succeeded, else around
`failure_mean`. Its score is what an evaluation on n examples reports:
k / n with k ~ Binomial(n, r), i.e. a k-of-n score like EM. A multiple-choice
benchmark (chance > 0) reports chance + (1 - chance) k / n. The table is
conformed to the results schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hf_distscale.formats.results import COLUMNS, COUNTING_BENCHMARK, conform, counting_condition

PAPER_VOCABULARY = 146  # number tokens of the paper's task: n = V - L + 1 windows at test length L


def synthetic_results(
    success_probability: Sequence[float] | np.ndarray,
    success_mean: Sequence[float] | float = 0.85,
    num_parameters: Sequence[int] | None = None,
    n_seeds: int = 50,
    test_lengths: Sequence[int] = (30, 40),
    family: str = "fixed_depth",
    failure_mean: float = 0.03,
    concentration: float = 40.0,
    seed: int = 0,
    n_examples: Sequence[int] | int = 100,
    benchmark: str = COUNTING_BENCHMARK,
    conditions: Sequence[str] | None = None,
    chance: float = 0.0,
    population: str | None = None,
) -> pd.DataFrame:
    """A conformed results table for one family: one row per (scale, seed, condition).

    `success_probability` is one value per scale, or a (scales, conditions)
    array. Scale s has `num_parameters[s]` parameters (default 10^(5 + s/2)).
    Counting rows (the default) have conditions len<L> for `test_lengths`;
    another benchmark names its `conditions` (test_length -1) and reports
    scores above `chance`. `n_examples` is one count, or one per condition.
    The counting metrics em, em_answer_only, token_accuracy and p_exact (or
    acc, acc_norm and p_correct off counting) all carry the same score.
    """
    rng = np.random.default_rng(seed)
    counting = benchmark == COUNTING_BENCHMARK
    names = [counting_condition(x) for x in test_lengths] if counting else list(conditions)
    lengths = list(test_lengths) if counting else [-1] * len(names)
    probability = np.asarray(success_probability, dtype=float)
    n_scales = probability.shape[0]
    probability = np.broadcast_to(probability.reshape(n_scales, -1), (n_scales, len(names)))
    means = np.broadcast_to(np.asarray(success_mean, dtype=float), (n_scales,))
    examples = np.broadcast_to(np.asarray(n_examples, dtype=int), (len(names),))
    if num_parameters is None:
        num_parameters = [int(10 ** (5 + s / 2)) for s in range(n_scales)]
    shape = (n_scales, len(names), n_seeds)
    succeeded = rng.random(shape) < probability[..., None]
    mean = np.where(succeeded, means[:, None, None], failure_mean)
    rate = rng.beta(mean * concentration, (1 - mean) * concentration)
    score = rng.binomial(examples[None, :, None], rate) / examples[None, :, None]
    score = chance + (1 - chance) * score
    scale_index, condition_index, seed_index = (a.ravel() for a in np.indices(shape))
    table = pd.DataFrame(
        {
            "population": population or f"synthetic-{family}",
            "family": family,
            "scale": "s" + pd.Series(scale_index).astype(str),
            "scale_index": scale_index,
            "num_parameters": np.asarray(num_parameters, dtype=np.int64)[scale_index],
            "num_layers": 4,
            "hidden_size": 64 * (scale_index + 1),
            "seed": seed_index,
            "data_seed": seed_index,
            "precision": "fp32",
            "preset": "synthetic",
            "benchmark": benchmark,
            "condition": np.asarray(names, dtype=object)[condition_index],
            "test_length": np.asarray(lengths, dtype=np.int64)[condition_index],
            "n_examples": examples[condition_index],
            "chance": chance,
            "model_path": (f"synthetic/{family}/s" + pd.Series(scale_index).astype(str) + "/seed-"
                           + pd.Series(seed_index).astype(str).str.zfill(4)),
        }
    )
    values = score.ravel()
    metrics = ("em", "em_answer_only", "token_accuracy", "p_exact") if counting else ("acc", "acc_norm", "p_correct")
    for metric in metrics:
        table[metric] = values
    if counting:
        table["nll_mean"] = table["nll_sum"] = -np.log(np.maximum(values, 1e-12))
    else:
        table["nll_correct"] = -np.log(np.maximum(values, 1e-12))
        table["brier"] = (1 - values) ** 2
    return conform(table.reindex(columns=list(COLUMNS)), "synthetic results")


def paper_size_results(n_seeds: int = 250, test_lengths: Sequence[int] = range(30, 101), seed: int = 0) -> pd.DataFrame:
    """A counting table of the paper's size: 3 families x 5 scales x `n_seeds` x `test_lengths`.

    P(success) at scale s and test length L is sigmoid(1.5 (s - 2) - (L - L_f) / 6),
    with the family's midpoint length L_f = 40, 50, 60: each family moves from
    all-succeed through two-mode populations to all-fail along the lengths, and
    success grows with scale. n = 147 - L windows per length (vocabulary 146).
    """
    lengths = np.asarray(list(test_lengths))
    tables = []
    for offset, (family, midpoint) in enumerate((("fixed_depth", 40), ("fixed_width", 50), ("fixed_params", 60))):
        logit = 1.5 * (np.arange(5)[:, None] - 2) - (lengths[None, :] - midpoint) / 6
        tables.append(
            synthetic_results(
                1 / (1 + np.exp(-logit)),
                success_mean=[0.7, 0.75, 0.8, 0.85, 0.9],
                n_seeds=n_seeds,
                test_lengths=lengths,
                family=family,
                seed=seed + offset,
                n_examples=PAPER_VOCABULARY - lengths + 1,
            )
        )
    return pd.concat(tables, ignore_index=True)
