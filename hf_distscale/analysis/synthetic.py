"""Synthetic results tables with known truth, for known-answer checks of the analysis.

Each seed at a scale succeeds with probability p_s. A successful seed's
metric is drawn from Beta around `success_mean[s]`, a failed seed's from Beta
around `failure_mean`; both use concentration `concentration` (a Beta(m c,
(1 - m) c) has mean m). The table follows the evaluation results schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def synthetic_results(
    success_probability: Sequence[float],
    success_mean: Sequence[float] | float = 0.85,
    num_parameters: Sequence[int] | None = None,
    n_seeds: int = 50,
    test_lengths: Sequence[int] = (30, 40),
    family: str = "fixed_depth",
    failure_mean: float = 0.03,
    concentration: float = 40.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A results table for one family: one row per (scale, seed, test length).

    Scale s has `num_parameters[s]` parameters (default 10^(5 + s/2)) and
    success probability `success_probability[s]`. The metric columns em,
    em_answer_only, token_accuracy and p_exact all carry the same draw, so
    every metric choice sees the known truth.
    """
    rng = np.random.default_rng(seed)
    n_scales = len(success_probability)
    success_mean = np.broadcast_to(np.asarray(success_mean, dtype=float), (n_scales,))
    if num_parameters is None:
        num_parameters = [int(10 ** (5 + s / 2)) for s in range(n_scales)]
    rows = []
    for s in range(n_scales):
        for test_length in test_lengths:
            succeeded = rng.random(n_seeds) < success_probability[s]
            mean = np.where(succeeded, success_mean[s], failure_mean)
            values = rng.beta(mean * concentration, (1 - mean) * concentration)
            for seed_index, value in enumerate(values):
                rows.append(
                    {
                        "population": f"synthetic-{family}",
                        "family": family,
                        "scale": f"s{s}",
                        "scale_index": s,
                        "num_parameters": int(num_parameters[s]),
                        "num_layers": 4,
                        "hidden_size": 64 * (s + 1),
                        "seed": seed_index,
                        "data_seed": seed_index,
                        "precision": "fp32",
                        "preset": "synthetic",
                        "test_length": int(test_length),
                        "n_examples": 100,
                        "em": float(value),
                        "em_answer_only": float(value),
                        "token_accuracy": float(value),
                        "nll_mean": float(-np.log(max(value, 1e-12))),
                        "nll_sum": float(-np.log(max(value, 1e-12))),
                        "p_exact": float(value),
                        "model_path": f"synthetic/{family}/s{s}/seed-{seed_index:04d}",
                    }
                )
    return pd.DataFrame(rows)
