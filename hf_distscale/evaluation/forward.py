"""Score a model on one test length: the fast teacher-forced path and the `generate()` reference.

Fast path: one batched forward pass per batch of windows, scored by
`score_answers` (EM = argmax right at every answer position, SPEC §2).
Reference path: greedy `model.generate`, then `score_tokens` on the decoded
tokens. Under greedy decoding the two give the same EM for every row.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from transformers import GenerationConfig

from hf_distscale.evaluation.metrics import score_tokens
from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.counting import PROMPT_LENGTH
from hf_distscale.tasks.scoring import score_answers

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


def autocast(device: torch.device, precision: str):
    """bf16 autocast for "bf16", nothing for "fp32"."""
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision: {precision!r} is unknown; choose one of {', '.join(PRECISIONS)}"
        )
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def _batches(task: CountingTask, length: int, batch_size: int, device: torch.device):
    examples = task.test_set(length)
    input_ids = torch.from_numpy(examples["input_ids"]).long()
    loss_mask = torch.from_numpy(examples["loss_mask"])
    for begin in range(0, len(input_ids), batch_size):
        yield input_ids[begin : begin + batch_size].to(device), loss_mask[
            begin : begin + batch_size
        ].to(device)


@torch.inference_mode()
def teacher_forced_scores(
    model, task: CountingTask, length: int, batch_size: int = 512, precision: str = "fp32"
) -> dict[str, np.ndarray]:
    """Per-row `score_answers` fields for every window of count length `length`."""
    device = model.device
    parts = []
    for input_ids, loss_mask in _batches(task, length, batch_size, device):
        with autocast(device, precision):
            logits = model(input_ids=input_ids).logits
        parts.append(score_answers(logits, input_ids, loss_mask, task.end_id))
    return {key: torch.cat([p[key] for p in parts]).cpu().numpy() for key in parts[0]}


def greedy_config(task: CountingTask, length: int) -> GenerationConfig:
    """Greedy decoding of exactly the answer and `.` (no early stop, no sampling)."""
    return GenerationConfig(
        do_sample=False, max_new_tokens=length + 1, eos_token_id=None, pad_token_id=task.pad_id
    )


@torch.inference_mode()
def generate_scores(
    model, task: CountingTask, length: int, batch_size: int = 512, precision: str = "fp32"
) -> dict[str, np.ndarray]:
    """Per-row EM fields from greedy `model.generate` on the prompts `$ a b >`."""
    device = model.device
    config = greedy_config(task, length)
    parts = []
    for input_ids, loss_mask in _batches(task, length, batch_size, device):
        prompts = input_ids[:, :PROMPT_LENGTH]
        with autocast(device, precision):
            generated = model.generate(
                prompts, attention_mask=torch.ones_like(prompts), generation_config=config
            )
        # Rows that all stopped at `.` early come back short; the missing tokens are wrong.
        generated = torch.nn.functional.pad(
            generated, (0, input_ids.shape[1] - generated.shape[1]), value=task.pad_id
        )
        parts.append(
            score_tokens(
                generated.cpu().numpy(),
                input_ids.cpu().numpy(),
                loss_mask.cpu().numpy(),
                end_id=task.end_id,
            )
        )
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
