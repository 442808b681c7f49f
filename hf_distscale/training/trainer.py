"""The training loop: one seed or a stack of seeds, on counting batches or packed text, resumable.

`train` is the only loop. What differs between kinds of training comes in
as parts: the learner (`OneSeed`, or `stacked.SeedStack` for K seeds as one
batched computation) and the `Objective` (the data stream, the in-training
metric, the run summary). The loop, in order: resume every seed from its
checkpoint (all at one step: a stack shares one LR schedule), then per step:
the next batch of the objective's stream, one optimiser step of the learner;
every LOG_EVERY steps each seed's loss and LR to its tracker; every
`eval_every` steps the objective's metric (a seed at 1.0 for
`converged_evals` evaluations in a row stops and leaves the stack); every
`checkpoint_every` steps an atomic checkpoint per seed.

A batch is a pure function of (data seed, step) and nothing draws random
numbers after the init, so a resumed run repeats the uninterrupted one bit
for bit (fp32, same threads and kernels).
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm
from transformers import LlamaConfig, LlamaForCausalLM, get_cosine_schedule_with_warmup

from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.scoring import score_answers
from hf_distscale.training.checkpoint import load_checkpoint, save_checkpoint
from hf_distscale.training.config import TrainingConfig
from hf_distscale.training.stack_data import stack_batches

LOG_EVERY = 10  # steps between loss/lr lines in the tracker; also the window of `Stop.recent_losses`
# torch.optim.AdamW's implementations. "default" is torch's choice for the device (a loop over the
# tensors on CPU): every shipped population was trained with it. "foreach" batches the update over
# the tensors (bit for bit the default on CPU), "fused" is one kernel that rounds differently; both
# are opt-ins of the loop with an agreement test, and neither was faster on CPU (README, "Performance").
ADAMW_IMPLEMENTATIONS = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}


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


def build_adamw(groups: list[dict], training, implementation: str = "default") -> torch.optim.AdamW:
    """AdamW at the preset's learning rate, in one of ADAMW_IMPLEMENTATIONS."""
    if implementation not in ADAMW_IMPLEMENTATIONS:
        raise ValueError(f"adamw: {implementation!r} is not one of {', '.join(ADAMW_IMPLEMENTATIONS)}")
    return torch.optim.AdamW(groups, lr=training.learning_rate, **ADAMW_IMPLEMENTATIONS[implementation])


def build_schedule(optimizer, training):
    """Linear warm-up over `warmup_steps`, then cosine decay to 0 at `max_steps`."""
    return get_cosine_schedule_with_warmup(optimizer, training.warmup_steps, training.max_steps)


def autocast(precision: str, device: torch.device):
    """bf16 autocast for "bf16" (weights and optimiser stay fp32), nothing for "fp32"."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()


@dataclass
class SeedRun:
    """One seed in the loop: its data seed, checkpoint folder and (optional) tracker."""

    data_seed: int
    checkpoint_dir: Path
    tracker: object | None = None


@dataclass(frozen=True)
class Stop:
    """How a seed's run ended: what an objective builds its run summary from."""

    steps: int
    stop_reason: str  # "converged" | "max_steps"
    wall_time_s: float  # summed over resumes
    recent_losses: list[float]  # batch losses of the last LOG_EVERY steps
    metric: float  # the in-training metric at the last evaluation (nan without one)
    stack_size: int  # the K the seed started in


@dataclass(frozen=True)
class Objective:
    """What one kind of training gives the loop.

    `batches(data_seeds, start)` yields (input_ids, labels), each [K, batch,
    context], for steps start, start+1, ... of the K seeds still training.
    `evaluate(learner)` is each seed's in-training metric (1.0: solved), run
    every `eval_every` steps (0: never) and logged as `metric`.
    `summary(run, model, stop)` is a stopped seed's run summary.
    """

    batches: Callable
    summary: Callable
    evaluate: Callable | None = None
    metric: str = ""
    eval_every: int = 0
    converged_evals: int = 0


class OneSeed:
    """One model with its own AdamW and schedule: the learner of one seed at a time."""

    size = 1

    def __init__(self, models: list, saved: list[dict | None], training, device: torch.device,
                 compile: bool = False, adamw: str = "default"):
        (self.model,) = models
        self.model.to(device).train()
        self.device, self.max_grad_norm = device, training.max_grad_norm
        self.optimizer = build_adamw(decay_groups(self.model.parameters(), training.weight_decay), training,
                                     adamw)
        self.schedule = build_schedule(self.optimizer, training)
        if saved[0] is not None:
            self.model.load_state_dict(saved[0]["model"])
            self.optimizer.load_state_dict(saved[0]["optimizer"])
            self.schedule.load_state_dict(saved[0]["schedule"])
        self.forward = torch.compile(self.model) if compile else self.model

    @property
    def lr(self) -> float:
        return self.schedule.get_last_lr()[0]

    def step(self, input_ids: torch.Tensor, labels: torch.Tensor, precision: str) -> torch.Tensor:
        """Forward, backward, clip, AdamW and schedule step on the stream's [1, batch, context]; the loss, [1]."""
        with autocast(precision, self.device):
            loss = self.forward(input_ids=input_ids[0], labels=labels[0]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach().view(1)

    def exact_match(self, sets: list[tuple], end_id: int, precision: str) -> list[float]:
        return [in_distribution_em(self.model, sets, end_id, precision)]

    def seed_model(self, row: int):
        return self.model

    def seed_state(self, row: int) -> dict:
        """The tensors of a checkpoint: model, optimiser and schedule."""
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict()}


def train(models: list, runs: list[SeedRun], objective: Objective, training, on_finished=None, *,
          learner=OneSeed, precision: str = "fp32", compile: bool = False, adamw: str = "default",
          device: torch.device = torch.device("cpu"), progress: bool = True,
          description: str = "") -> list[dict]:
    """Train `models` (one per run, as initialised) until each converges or reaches `max_steps`.

    `learner` is `OneSeed` (one model) or `stacked.SeedStack` (K models as
    one computation); `adamw` one of ADAMW_IMPLEMENTATIONS. Each stopped seed goes to `on_finished(index, model,
    summary)` as it stops; the summaries are returned in the order of `runs`.
    """
    saved = [load_checkpoint(run.checkpoint_dir) for run in runs]
    steps = sorted({state["step"] if state else 0 for state in saved})
    if len(steps) > 1:
        raise ValueError(f"stack: its seeds resume from different steps {steps}; a stack shares one "
                         f"LR schedule, so train seeds at different steps in separate stacks")
    step = steps[0]
    if saved[0] is not None and "rng" in saved[0]:
        torch.set_rng_state(saved[0]["rng"])
    learner = learner(models, saved, training, device, compile=compile, adamw=adamw)
    del models
    states = []  # each seed's scalar state: what its checkpoint carries beside step, RNG and tensors
    for old in saved:
        state = {"full_em_streak": 0, "em": math.nan, "elapsed_s": 0.0, "recent_losses": []}
        states.append({**state, **{key: value for key, value in (old or {}).items() if key in state}})
    started = [time.perf_counter() - state["elapsed_s"] for state in states]
    active = list(range(len(runs)))  # learner row -> index into `runs`
    summaries: list[dict | None] = [None] * len(runs)
    unread: list[torch.Tensor] = []  # losses of the steps since the last look, left on the device

    def read_losses() -> None:
        if unread:
            for row, values in enumerate(torch.stack(unread).T.tolist()):
                state = states[active[row]]
                state["recent_losses"] = (state["recent_losses"] + values)[-LOG_EVERY:]
            unread.clear()

    def finish(rows, stop_reason: str) -> None:
        for row in rows:
            i = active[row]
            model = learner.seed_model(row)
            stop = Stop(step, stop_reason, time.perf_counter() - started[i], states[i]["recent_losses"],
                        states[i]["em"], len(runs))
            summaries[i] = objective.summary(runs[i], model, stop)
            if on_finished is not None:
                on_finished(i, model, summaries[i])

    stream = objective.batches([runs[i].data_seed for i in active], step)
    bar = tqdm(total=training.max_steps, initial=step, desc=description, disable=not progress,
               leave=False, dynamic_ncols=True)
    while step < training.max_steps:
        input_ids, labels = next(stream)
        unread.append(learner.step(input_ids, labels, precision))
        step += 1
        bar.update(1)
        if step % LOG_EVERY == 0 or step == training.max_steps:
            read_losses()
            for i in active:
                if runs[i].tracker is not None:
                    runs[i].tracker.log({"loss": states[i]["recent_losses"][-1], "lr": learner.lr}, step=step)
            mean = sum(states[i]["recent_losses"][-1] for i in active) / len(active)
            bar.set_postfix(loss=f"{mean:.3f}", seeds=len(active), refresh=False)
        if objective.eval_every and step % objective.eval_every == 0:
            read_losses()
            converged = []
            for row, value in enumerate(objective.evaluate(learner)):
                state = states[active[row]]
                state["em"] = value
                state["full_em_streak"] = state["full_em_streak"] + 1 if value == 1.0 else 0
                if runs[active[row]].tracker is not None:
                    runs[active[row]].tracker.log({objective.metric: value}, step=step)
                if state["full_em_streak"] >= objective.converged_evals:
                    converged.append(row)
            if converged:
                finish(converged, "converged")
                rows = [row for row in range(len(active)) if row not in converged]
                active = [active[row] for row in rows]
                stream.close()
                if not active:
                    break
                learner.keep(rows)
                stream = objective.batches([runs[i].data_seed for i in active], step)
        if step % training.checkpoint_every == 0 and step < training.max_steps:
            read_losses()
            rng = torch.get_rng_state()
            for row, i in enumerate(active):
                states[i]["elapsed_s"] = time.perf_counter() - started[i]
                save_checkpoint(runs[i].checkpoint_dir,
                                {"step": step, **states[i], "rng": rng, **learner.seed_state(row)})
    bar.close()
    stream.close()
    read_losses()
    finish(range(len(active)), "max_steps")
    return summaries


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


def counting_summary(run: SeedRun, model, stop: Stop) -> dict:
    return {"steps": stop.steps, "stop_reason": stop.stop_reason, "wall_time_s": stop.wall_time_s,
            "final_train_loss": stop.recent_losses[-1], "in_distribution_em": stop.metric,
            "stack_size": stop.stack_size}


def counting_objective(task: CountingTask, training: TrainingConfig, precision: str,
                       device: torch.device, data_workers: int = 0) -> Objective:
    """The counting task: batches of its training stream (made by `data_workers` processes), the
    in-distribution EM every `eval_every` steps with the convergence stop.

    The summary holds `steps`, `stop_reason`, `wall_time_s`,
    `final_train_loss` (loss of the last batch), `in_distribution_em` (at the
    last evaluation) and `stack_size` (1: one seed at a time).
    """
    sets = in_distribution_sets(task, device)

    def batches(data_seeds: list[int], start: int):
        return stack_batches(task, data_seeds, training.batch_size, start, training.max_steps, device,
                             data_workers)

    return Objective(batches, counting_summary,
                     evaluate=lambda learner: learner.exact_match(sets, task.end_id, precision),
                     metric="in_distribution_em", eval_every=training.eval_every,
                     converged_evals=training.converged_evals)


def train_seed(config: LlamaConfig, task: CountingTask, training: TrainingConfig, checkpoint_dir: Path, *,
               init_seed: int, data_seed: int, precision: str = "fp32", compile: bool = False,
               adamw: str = "default", device: torch.device = torch.device("cpu"), tracker=None,
               progress: bool = True, description: str = "") -> tuple[LlamaForCausalLM, dict]:
    """One counting seed from `init_seed` to convergence or `max_steps`: (model, run summary)."""
    model = build_model(config, init_seed)
    (summary,) = train([model], [SeedRun(data_seed, Path(checkpoint_dir), tracker)],
                       counting_objective(task, training, precision, device), training,
                       precision=precision, compile=compile, adamw=adamw, device=device, progress=progress,
                       description=description)
    return model, summary
