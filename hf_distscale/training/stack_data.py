"""The training batches of a stack of seeds: each seed's own stream, stacked, made by worker processes.

Batch `step` of a stack is `task.training_batch(data_seed, step, batch_size)`
for every data seed of the stack, stacked to [K, batch, context]: the same
rows the per-seed loop reads, so the stream stays a pure function of
(data seed, step). One step of K seeds is one item of a map-style dataset, and
a `DataLoader` with worker processes makes the next steps while the device
trains on the current one (K = 250 at paper batch is 32,000 packed rows per
step, about half a second of one core).
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.counting import IGNORE_INDEX

PREFETCH_STEPS = 4  # steps queued per worker


class StackBatches(Dataset):
    """Item `step`: (input_ids int32, loss_mask bool), each [K, batch, context], K = len(data_seeds)."""

    def __init__(self, task: CountingTask, data_seeds: list[int], batch_size: int):
        self.task, self.data_seeds, self.batch_size = task, list(data_seeds), batch_size

    def __len__(self) -> int:
        return np.iinfo(np.int32).max  # the stream is endless; the sampler picks the steps

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [self.task.training_batch(seed, step, self.batch_size) for seed in self.data_seeds]
        input_ids = np.stack([part["input_ids"] for part in parts])
        loss_mask = np.stack([part["loss_mask"] for part in parts]).astype(bool)
        return torch.from_numpy(input_ids), torch.from_numpy(loss_mask)


def default_data_workers(device: torch.device, num_processes: int = 1) -> int:
    """No workers on CPU (the cores train); on CUDA this process's share of the cores, less one."""
    if device.type != "cuda":
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores // max(1, num_processes) - 1)


def stack_batches(task: CountingTask, data_seeds: list[int], batch_size: int, start: int, stop: int,
                  device: torch.device, workers: int = 0):
    """Yield (input_ids, labels) as int64 [K, batch, context] on `device` for steps start..stop-1.

    Labels are the input ids inside the loss mask and -100 elsewhere, as
    `labels_from_mask` makes them for the per-seed loop. Rows travel as int32
    and bool (pinned on CUDA) and are widened on the device.
    """
    loader = DataLoader(StackBatches(task, data_seeds, batch_size), batch_size=None,
                        sampler=range(start, stop), num_workers=workers,
                        pin_memory=device.type == "cuda",
                        prefetch_factor=PREFETCH_STEPS if workers else None)
    for input_ids, loss_mask in loader:
        input_ids = input_ids.to(device, non_blocking=True).long()
        loss_mask = loss_mask.to(device, non_blocking=True)
        yield input_ids, input_ids.masked_fill(~loss_mask, IGNORE_INDEX)
