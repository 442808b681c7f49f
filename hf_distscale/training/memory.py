"""How many seeds fit in one stack: bytes per seed against the device's free memory.

bytes per seed = 16 x parameters              (fp32 weights, gradients, AdamW's two moments)
               + HEADROOM x activations(batch)  (tensors saved for backward, plus transients)

activations(rows) is measured, not modelled: one training forward of the real
model on the target device and precision, counting the distinct storages
that autograd saves (`torch.autograd.graph.saved_tensors_hooks`), at 1 and 2
rows of full context. The difference is the cost of one row; the rest (for
example bf16 copies of the weights under autocast) is paid once per seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil
import torch
from transformers import LlamaForCausalLM

from hf_distscale.training.trainer import autocast

OPTIMIZER_BYTES_PER_PARAMETER = 16  # fp32 weight, gradient, exp_avg, exp_avg_sq
HEADROOM = 1.25  # backward transients (activation gradients) on top of the saved tensors
USABLE_FRACTION = 0.9  # of the free memory: allocator fragmentation, kernels' workspaces


@dataclass(frozen=True)
class StackBudget:
    """The memory arithmetic of one scale's stacks on one device."""

    bytes_per_seed: int
    free_bytes: int
    largest: int  # the most seeds per stack that fit

    def describe(self) -> str:
        return (f"about {self.bytes_per_seed / 2**30:.2f} GiB per seed, "
                f"{self.free_bytes / 2**30:.1f} GiB free")


def free_bytes(device: torch.device) -> int:
    """Free memory of a CUDA device (`mem_get_info`), or the RAM available to a CPU process."""
    if device.type == "cuda":
        torch.cuda.empty_cache()  # blocks this process cached but no longer uses are free too
        return torch.cuda.mem_get_info(device)[0]
    return psutil.virtual_memory().available


def saved_activation_bytes(model, rows: int, context: int, precision: str) -> int:
    """Bytes of the distinct non-parameter storages one training forward saves for backward."""
    device = next(model.parameters()).device
    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameters:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    input_ids = torch.zeros(rows, context, dtype=torch.long, device=device)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        with autocast(precision, device):
            model(input_ids=input_ids, labels=input_ids, use_cache=False)
    return sum(saved.values())


def stack_budget(config, context: int, batch_size: int, precision: str,
                 device: torch.device) -> StackBudget:
    """Bytes per seed at this batch and the largest stack that fits the free memory now."""
    model = LlamaForCausalLM(config).to(device)
    one, two = (saved_activation_bytes(model, rows, context, precision) for rows in (1, 2))
    per_row, fixed = two - one, 2 * one - two
    parameters = sum(p.numel() for p in model.parameters())
    del model
    per_seed = int(OPTIMIZER_BYTES_PER_PARAMETER * parameters + HEADROOM * (fixed + batch_size * per_row))
    free = free_bytes(device)
    return StackBudget(per_seed, free, int(USABLE_FRACTION * free) // per_seed)
