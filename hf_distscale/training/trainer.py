"""One seed-run: init seed -> model, data seed -> batch stream, train until converged.

The loop, in order: build (model from `init_seed`, AdamW, warm-up + cosine),
resume from the checkpoint if there is one, then per step: batch number
`step` of the `data_seed` stream, forward/backward (bf16 autocast if asked),
clip, step; every `eval_every` steps the in-distribution EM; every
`checkpoint_every` steps an atomic checkpoint.

The batch is a pure function of (data_seed, step) and nothing else draws
random numbers after the init, so a resumed run repeats the uninterrupted
one bit for bit (fp32, same threads and kernels).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import LlamaConfig, LlamaForCausalLM, get_cosine_schedule_with_warmup

from hf_distscale.tasks import CountingTask, labels_from_mask
from hf_distscale.tasks.scoring import score_answers
from hf_distscale.training.checkpoint import load_checkpoint, save_checkpoint
from hf_distscale.training.config import TrainingConfig

LOG_EVERY = 10  # steps between loss/lr lines in the tracker


def build_model(config: LlamaConfig, init_seed: int) -> LlamaForCausalLM:
    """A fresh model whose weights depend only on `init_seed`."""
    torch.manual_seed(init_seed)
    return LlamaForCausalLM(config)


def decay_groups(params, weight_decay: float, seed_axes: int = 0) -> list[dict]:
    """AdamW parameter groups: weight decay on matrices (embeddings, projections), none on norms.

    The test is the ndim of one seed's tensor: with `seed_axes` leading axes
    of stacked seeds, a stack of norm weights is 2-D but is still a norm.
    """
    params = [p for p in params if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim - seed_axes >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim - seed_axes < 2], "weight_decay": 0.0},
    ]


def build_optimizer(model: torch.nn.Module, training: TrainingConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices (embeddings, projections) and none on norms."""
    return torch.optim.AdamW(decay_groups(model.parameters(), training.weight_decay),
                             lr=training.learning_rate)


def build_schedule(optimizer, training: TrainingConfig):
    """Linear warm-up over `warmup_steps`, then cosine decay to 0 at `max_steps`."""
    return get_cosine_schedule_with_warmup(optimizer, training.warmup_steps, training.max_steps)


def autocast(precision: str, device: torch.device):
    """bf16 autocast for "bf16" (weights and optimiser stay fp32), nothing for "fp32"."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()


def restore_training_state(checkpoint_dir: Path, model, optimizer, schedule) -> dict | None:
    """Load the verified checkpoint into model, optimiser and schedule; return the rest of
    its state (step, elapsed time, ...), or None when there is no checkpoint."""
    saved = load_checkpoint(checkpoint_dir)
    if saved is not None:
        model.load_state_dict(saved.pop("model"))
        optimizer.load_state_dict(saved.pop("optimizer"))
        schedule.load_state_dict(saved.pop("schedule"))
    return saved


def save_training_state(checkpoint_dir: Path, state: dict, model, optimizer, schedule) -> None:
    """Checkpoint `state` with the model, optimiser and schedule: what `restore_training_state` reads."""
    save_checkpoint(checkpoint_dir, {**state, "model": model.state_dict(),
                                     "optimizer": optimizer.state_dict(),
                                     "schedule": schedule.state_dict()})


def optimizer_step(model, optimizer, schedule, loss: torch.Tensor, max_grad_norm: float) -> None:
    """Backward, clip the gradient norm to `max_grad_norm`, AdamW step, schedule step."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad(set_to_none=True)


def to_tensors(batch: dict, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, labels) with -100 outside the loss mask."""
    labels = labels_from_mask(batch["input_ids"], batch["loss_mask"])
    return (torch.from_numpy(batch["input_ids"]).long().to(device),
            torch.from_numpy(labels).long().to(device))


def in_distribution_sets(task: CountingTask, device: torch.device) -> list[tuple]:
    """Every window of every training length: the task's own training distribution."""
    sets = []
    for length in range(task.min_train_length, task.max_train_length + 1):
        rows = task.test_set(length)
        sets.append((torch.from_numpy(rows["input_ids"]).long().to(device),
                     torch.from_numpy(rows["loss_mask"]).to(device)))
    return sets


@torch.no_grad()
def in_distribution_em(model, sets: list[tuple], end_id: int, precision: str) -> float:
    """Exact match (answer and `.`) over all in-distribution windows, teacher-forced."""
    exact = total = 0
    for input_ids, loss_mask in sets:
        with autocast(precision, input_ids.device):
            logits = model(input_ids=input_ids).logits
        exact += int(score_answers(logits, input_ids, loss_mask, end_id)["exact"].sum())
        total += len(input_ids)
    return exact / total


def train_seed(
    config: LlamaConfig,
    task: CountingTask,
    training: TrainingConfig,
    checkpoint_dir: Path,
    *,
    init_seed: int,
    data_seed: int,
    precision: str = "fp32",
    compile: bool = False,
    device: torch.device = torch.device("cpu"),
    tracker=None,
    progress: bool = True,
    description: str = "",
) -> tuple[LlamaForCausalLM, dict]:
    """Train one seed to convergence or `max_steps`; return the model and its run summary.

    The summary holds `steps`, `stop_reason` ("converged" | "max_steps"),
    `wall_time_s` (summed over resumes), `final_train_loss` (loss of the last
    batch), `in_distribution_em` (at the last evaluation) and `stack_size` (1:
    one seed at a time; `stacked.py` trains K).
    """
    model = build_model(config, init_seed).to(device)
    optimizer = build_optimizer(model, training)
    schedule = build_schedule(optimizer, training)
    state = {"step": 0, "full_em_streak": 0, "loss": float("nan"), "em": float("nan"),
             "elapsed_s": 0.0, "rng": torch.get_rng_state()}
    saved = restore_training_state(checkpoint_dir, model, optimizer, schedule)
    if saved is not None:
        state.update(saved)
        torch.set_rng_state(state["rng"])
    forward = torch.compile(model) if compile else model
    eval_sets = in_distribution_sets(task, device)
    started = time.perf_counter() - state["elapsed_s"]
    model.train()
    bar = tqdm(total=training.max_steps, initial=state["step"], desc=description,
               disable=not progress, leave=False, dynamic_ncols=True)
    stop_reason = "max_steps"
    while state["step"] < training.max_steps:
        input_ids, labels = to_tensors(
            task.training_batch(data_seed, state["step"], training.batch_size), device)
        with autocast(precision, device):
            loss = forward(input_ids=input_ids, labels=labels).loss
        optimizer_step(model, optimizer, schedule, loss, training.max_grad_norm)
        state["step"] += 1
        step = state["step"]
        if step % LOG_EVERY == 0 or step == training.max_steps:
            state["loss"] = loss.item()
            bar.set_postfix(loss=f"{state['loss']:.3f}", em=f"{state['em']:.3f}", refresh=False)
            if tracker is not None:
                tracker.log({"loss": state["loss"], "lr": schedule.get_last_lr()[0]}, step=step)
        bar.update(1)
        if step % training.eval_every == 0:
            state["em"] = in_distribution_em(model, eval_sets, task.end_id, precision)
            state["full_em_streak"] = state["full_em_streak"] + 1 if state["em"] == 1.0 else 0
            if tracker is not None:
                tracker.log({"in_distribution_em": state["em"]}, step=step)
            if state["full_em_streak"] >= training.converged_evals:
                stop_reason = "converged"
                break
        if step % training.checkpoint_every == 0 and step < training.max_steps:
            state["elapsed_s"] = time.perf_counter() - started
            state["rng"] = torch.get_rng_state()
            save_training_state(checkpoint_dir, state, model, optimizer, schedule)
    bar.close()
    summary = {
        "steps": state["step"],
        "stop_reason": stop_reason,
        "wall_time_s": time.perf_counter() - started,
        "final_train_loss": loss.item(),
        "in_distribution_em": state["em"],
        "stack_size": 1,
    }
    return model, summary
