"""Training cost model: FLOPs of a seed-run, and the hours a population costs.

One implementation for the benchmarks, the seed-count planner and the
throughput projections. Measured rates come from the benchmarks; an assumed
rate is always named as one where it is printed.
"""

from __future__ import annotations

import time

import torch

from hf_distscale.models.scales import count_parameters

# An assumption, not a measurement: an H100 sustaining 40% of its dense bf16 peak.
ASSUMED_H100_FLOPS = 400e12


def flops_per_token(config, context: int) -> float:
    """Training FLOPs per token: 6 N_matmul + 6 n_layer * context * d_attn (Kaplan et al. 2020).

    N_matmul is every parameter that multiplies activations: the non-embedding
    weights plus the LM head (the input embedding is a lookup). The attention
    term counts QK^T and AV over the full context, forward (2x) plus backward (4x).
    """
    _, non_embedding = count_parameters(config.num_hidden_layers, config.hidden_size, config.vocab_size)
    matmul = non_embedding + config.vocab_size * config.hidden_size
    d_attn = config.num_attention_heads * config.head_dim
    return 6 * matmul + 6 * config.num_hidden_layers * context * d_attn


def seed_run_flops(config, context: int, batch_size: int, steps: int) -> float:
    """FLOPs of one seed-run: flops_per_token x steps x batch x context (an upper bound
    where runs stop early on convergence)."""
    return flops_per_token(config, context) * steps * batch_size * context


def gpu_hours(flops: float, flops_per_second: float = ASSUMED_H100_FLOPS) -> float:
    """Hours to do `flops` at a sustained `flops_per_second`."""
    return flops / flops_per_second / 3600


def matmul_peak(dtype: torch.dtype, size: int = 1024, repeats: int = 5, device: str = "cpu",
                clock=time.perf_counter) -> float:
    """Measured FLOP/s of a square matmul (2 n^3 FLOPs each), best of `repeats`, timed by `clock`
    (wall time; a benchmark may pass `time.process_time` to count only this process's CPU time)."""
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        if device != "cpu":
            torch.cuda.synchronize()
        start = clock()
        a @ b
        if device != "cpu":
            torch.cuda.synchronize()
        best = min(best, clock() - start)
    return 2 * size**3 / best
