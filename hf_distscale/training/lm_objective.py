"""Causal-LM continued pretraining (the tiny base model, reinit populations): its presets, its
training config, and the objective it gives `trainer.train`.

Batch `step` of a seed is block-batch `step` of its data seed's order. At the
end, the mean token loss on the held-out blocks: the same data for every
seed, so final losses are comparable across seeds (the last batch's loss is not).

Training hyperparameters are data: the `training` section of an LM preset
(`hf_distscale/presets/lm/<name>.yaml`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from hf_distscale.presets import load_lm_preset
from hf_distscale.training.config import check_training_fields, training_from_dict
from hf_distscale.training.text_data import PackedText
from hf_distscale.training.trainer import Objective, SeedRun, Stop, autocast

EVAL_BATCH = 16


@dataclass(frozen=True)
class LMTrainingConfig:
    """AdamW with warm-up + cosine decay for `max_steps` steps on `block_size`-token blocks."""

    batch_size: int
    block_size: int
    max_steps: int
    learning_rate: float
    warmup_steps: int
    weight_decay: float
    max_grad_norm: float
    checkpoint_every: int
    eval_blocks: int

    def __post_init__(self):
        check_training_fields(self, ("batch_size", "block_size", "max_steps", "checkpoint_every",
                                     "eval_blocks"))

    @classmethod
    def from_dict(cls, values: dict) -> "LMTrainingConfig":
        return training_from_dict(cls, values)

    @classmethod
    def from_preset(cls, name: str, **overrides) -> "LMTrainingConfig":
        return cls.from_dict(dict(load_lm_preset(name)["training"], **overrides))

    def to_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def heldout_loss(model, packed: PackedText, precision: str, device: torch.device) -> float:
    """Mean next-token cross-entropy (nats) over every position of the held-out blocks."""
    model.eval()
    total = count = 0.0
    for start in range(0, len(packed.heldout), EVAL_BATCH):
        ids = torch.from_numpy(packed.heldout[start:start + EVAL_BATCH]).to(device)
        with autocast(precision, device):
            loss = model(input_ids=ids, labels=ids).loss
        positions = ids.shape[0] * (ids.shape[1] - 1)
        total += float(loss) * positions
        count += positions
    model.train()
    return total / count


def text_objective(packed: PackedText, training: LMTrainingConfig, precision: str,
                   device: torch.device) -> Objective:
    """Continued pretraining: blocks of packed text in each data seed's order, no in-training
    metric, and the held-out loss at the end.

    The summary holds `steps`, `wall_time_s` (summed over resumes),
    `final_train_loss` (mean of the last logged steps' batch losses) and
    `heldout_loss`, which also goes to the seed's tracker.
    """
    def batches(data_seeds: list[int], start: int):
        for step in range(start, training.max_steps):
            ids = np.stack([packed.batch(seed, step, training.batch_size) for seed in data_seeds])
            ids = torch.from_numpy(ids).to(device)
            yield ids, ids

    def summary(run: SeedRun, model, stop: Stop) -> dict:
        loss = heldout_loss(model, packed, precision, device)
        if run.tracker is not None:
            run.tracker.log({"heldout_loss": loss}, step=stop.steps)
        return {"steps": stop.steps, "wall_time_s": stop.wall_time_s,
                "final_train_loss": sum(stop.recent_losses) / len(stop.recent_losses),
                "heldout_loss": loss}

    return Objective(batches, summary)
