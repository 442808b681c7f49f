"""Causal-LM training on packed text: the loop behind the tiny base model and reinit populations.

The loop, in order: AdamW and warm-up + cosine (the counting trainer's own),
resume from the checkpoint if there is one, then per step: batch `step` of
the `data_seed` order, forward/backward (bf16 autocast if asked), clip, step;
every `checkpoint_every` steps an atomic checkpoint. At the end, the mean
token loss on the held-out blocks: the same data for every seed, so final
losses are comparable across seeds (the last batch's loss is not).

Training hyperparameters are data: the `training` section of an LM preset
(`hf_distscale/presets/lm/<name>.yaml`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from hf_distscale.named_configs import config_names, load_named_config
from hf_distscale.training.config import check_training_fields, training_from_dict
from hf_distscale.training.text_data import PackedText
from hf_distscale.training.trainer import (
    LOG_EVERY, autocast, build_optimizer, build_schedule, optimizer_step, restore_training_state,
    save_training_state,
)

LM_PRESET_DIR = Path(__file__).resolve().parents[1] / "presets" / "lm"
EVAL_BATCH = 16


def available_lm_presets() -> list[str]:
    return config_names(LM_PRESET_DIR)


def load_lm_preset(name: str) -> dict:
    """The LM preset's sections: "description", "training", optional "base" and "demo"."""
    return load_named_config(LM_PRESET_DIR, "LM preset", name)


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


def train_causal_lm(
    model,
    packed: PackedText,
    training: LMTrainingConfig,
    checkpoint_dir: Path,
    *,
    data_seed: int,
    precision: str = "fp32",
    device: torch.device = torch.device("cpu"),
    tracker=None,
    progress: bool = True,
    description: str = "",
) -> dict:
    """Train `model` (already initialised) in place for `max_steps`; return its run summary.

    The summary holds `steps`, `wall_time_s` (summed over resumes),
    `final_train_loss` (mean of the last logged steps' batch losses) and
    `heldout_loss`. Nothing draws random numbers, so a resumed run repeats
    the uninterrupted one bit for bit (fp32, same threads and kernels).
    """
    model.to(device).train()
    optimizer = build_optimizer(model, training)
    schedule = build_schedule(optimizer, training)
    state = {"step": 0, "recent_losses": [], "elapsed_s": 0.0}
    saved = restore_training_state(checkpoint_dir, model, optimizer, schedule)
    if saved is not None:
        state.update(saved)
    started = time.perf_counter() - state["elapsed_s"]
    bar = tqdm(total=training.max_steps, initial=state["step"], desc=description,
               disable=not progress, leave=False, dynamic_ncols=True)
    while state["step"] < training.max_steps:
        ids = torch.from_numpy(packed.batch(data_seed, state["step"], training.batch_size)).to(device)
        with autocast(precision, device):
            loss = model(input_ids=ids, labels=ids).loss
        optimizer_step(model, optimizer, schedule, loss, training.max_grad_norm)
        state["step"] += 1
        step = state["step"]
        state["recent_losses"] = (state["recent_losses"] + [loss.item()])[-LOG_EVERY:]
        if step % LOG_EVERY == 0 or step == training.max_steps:
            bar.set_postfix(loss=f"{state['recent_losses'][-1]:.3f}", refresh=False)
            if tracker is not None:
                tracker.log({"loss": state["recent_losses"][-1], "lr": schedule.get_last_lr()[0]}, step=step)
        bar.update(1)
        if step % training.checkpoint_every == 0 and step < training.max_steps:
            state["elapsed_s"] = time.perf_counter() - started
            save_training_state(checkpoint_dir, state, model, optimizer, schedule)
    bar.close()
    summary = {
        "steps": state["step"],
        "wall_time_s": time.perf_counter() - started,
        "final_train_loss": sum(state["recent_losses"]) / max(len(state["recent_losses"]), 1),
        "heldout_loss": heldout_loss(model, packed, precision, device),
    }
    if tracker is not None:
        tracker.log({"heldout_loss": summary["heldout_loss"]}, step=state["step"])
    return summary
