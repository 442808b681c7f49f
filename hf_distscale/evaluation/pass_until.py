"""PassUntil (Hu et al. 2023): sample until r successes, PU = r / K (SPEC §5).

For one example, draw answers by ancestral sampling at temperature 1 with
`model.generate` until r of them equal the reference answer (all count
tokens and `.`), and record the number of draws K. The failures K - r follow
a negative binomial with success probability p, and:

- PU = r / K is the maximum-likelihood estimate of p. It is biased upward:
  E[r/K] > p (by Jensen, since r/K is convex in K), with relative bias about
  (1 - p) / r.
- (r - 1) / (K - 1) is unbiased for r >= 2 (`pass_until_unbiased`).
- Var(PU) ~= p^2 (1 - p) / r (delta method), so the relative standard error is
  about sqrt((1 - p) / r): r, not K, sets the precision.
- With a cap K <= max_samples, an example that finds s < r successes reports
  s / max_samples and `capped`; this censoring biases tiny p downward (to 0
  when s = 0).

When the answer is unique (as here) the exact p is the product of the
answer's token probabilities, `p_exact` in the results table; the sampler is
the reference that checks it.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import GenerationConfig

from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.counting import PROMPT_LENGTH


def pass_until_estimate(successes, samples, required: int) -> dict[str, np.ndarray]:
    """Per-example estimates from success counts s and draw counts K (r = `required`).

    Returns ``pass_until`` = s/K, ``pass_until_unbiased`` = (s-1)/(K-1) (NaN
    when capped or r < 2), ``stderr`` = PU sqrt((1 - PU)/s) and ``capped`` = s < r.
    """
    s = np.asarray(successes, dtype=float)
    k = np.asarray(samples, dtype=float)
    if np.any(k < 1) or np.any(s > k) or np.any(s < 0):
        raise ValueError(
            "pass_until: need 1 <= samples and 0 <= successes <= samples for every example"
        )
    estimate = s / k
    capped = s < required
    with np.errstate(divide="ignore", invalid="ignore"):
        unbiased = np.where(capped | (required < 2), np.nan, (s - 1) / (k - 1))
        stderr = np.where(s > 0, estimate * np.sqrt((1 - estimate) / s), np.nan)
    return {
        "pass_until": estimate,
        "pass_until_unbiased": unbiased,
        "stderr": stderr,
        "capped": capped,
    }


@torch.inference_mode()
def sample_until(
    model,
    task: CountingTask,
    length: int,
    required: int,
    max_samples: int,
    chunk: int = 256,
    seed: int = 0,
    starts: list[int] | None = None,
) -> dict[str, np.ndarray]:
    """Sample answers per window until `required` successes or `max_samples` draws.

    All active windows are sampled together, `chunk` draws each per round. K is
    the position of the r-th success in draw order, so extra draws in the last
    round do not count. `starts` picks windows by their first number (default:
    all). Returns ``start``, ``successes`` and ``samples`` arrays.
    """
    if required < 1 or max_samples < required:
        raise ValueError(
            f"pass_until: need 1 <= required ({required}) <= max_samples ({max_samples})"
        )
    examples = task.test_set(length)
    rows = np.arange(len(examples["start"])) if starts is None else np.asarray(starts)
    if rows.size and (rows.min() < 0 or rows.max() >= len(examples["start"])):
        raise ValueError(
            f"starts: windows of length {length} start at 0..{len(examples['start']) - 1}"
        )
    input_ids = torch.from_numpy(examples["input_ids"][rows]).long().to(model.device)
    config = GenerationConfig(
        do_sample=True,
        temperature=1.0,
        top_k=0,
        top_p=1.0,
        max_new_tokens=length + 1,
        eos_token_id=None,
        pad_token_id=task.pad_id,
    )
    successes = np.zeros(len(rows), dtype=np.int64)
    samples = np.zeros(len(rows), dtype=np.int64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        while True:
            active = np.flatnonzero((successes < required) & (samples < max_samples))
            if active.size == 0:
                break
            draws = min(chunk, max_samples - int(samples[active].min()))
            prompts = input_ids[active, :PROMPT_LENGTH].repeat_interleave(draws, dim=0)
            generated = model.generate(
                prompts, attention_mask=torch.ones_like(prompts), generation_config=config
            )
            answers = input_ids[active, PROMPT_LENGTH:].repeat_interleave(draws, dim=0)
            hit = (
                _matches(generated[:, PROMPT_LENGTH:], answers)
                .view(len(active), draws)
                .cpu()
                .numpy()
            )
            for row, hits in zip(active, hit):
                usable = hits[: max_samples - samples[row]]
                total = successes[row] + np.cumsum(usable)
                reached = np.flatnonzero(total >= required)
                used = reached[0] + 1 if reached.size else usable.size
                successes[row] += int(usable[:used].sum())
                samples[row] += used
    return {"start": examples["start"][rows], "successes": successes, "samples": samples}


def _matches(generated: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
    """Rows whose generated tokens equal the answer; a row cut short by `.` fails."""
    if generated.shape[1] < answers.shape[1]:
        return torch.zeros(len(answers), dtype=torch.bool, device=answers.device)
    return (generated[:, : answers.shape[1]] == answers).all(-1)
