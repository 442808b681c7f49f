"""K seeds of one scale trained as one batched computation: stacked parameters, `vmap` over `functional_call`.

Each seed of a stack is the seed-run `train_seed` would make, to the bit in
fp32 eager (tests/test_training_stacked.py):

- init: K models from `build_model(config, init_seed)`, stacked on a leading
  seed axis (`torch.func.stack_module_state`);
- data: batch `step` of each seed's own data seed (`stack_data.py`);
- forward: `vmap` of `functional_call` over the same `LlamaForCausalLM`; the
  loss is the sum of the per-seed mean losses, so seed k's gradient is the
  gradient of its own loss;
- clipping: `clip_grad_norm_` per seed, the norm of seed k running over its
  slices of every tensor;
- AdamW: one optimiser over the stacked tensors (its update is elementwise),
  weight decay grouped by the ndim of one seed's tensor; one LR schedule, so
  every seed of a stack is at the same step;
- convergence: a converged seed leaves the stack (its parameters and AdamW
  state are sliced out), so momentum and weight decay never move it again;
- checkpoints: each seed's slice, saved in `train_seed`'s format in its own
  `checkpoint/` folder, so either path resumes the other's checkpoints.

Both paths use the model's default attention (sdpa), so they run the same
kernels. On CPU, `vmap` of sdpa falls back to a loop over the seeds for the
attention kernel alone; CUDA's flash, memory-efficient and cuDNN kernels have
batching rules that fold the seeds into their batch.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.func import functional_call, stack_module_state, vmap
from tqdm.auto import tqdm

from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.scoring import score_answers
from hf_distscale.training import trainer
from hf_distscale.training.checkpoint import load_checkpoint, save_checkpoint
from hf_distscale.training.config import TrainingConfig
from hf_distscale.training.stack_data import stack_batches
from hf_distscale.training.trainer import autocast, build_model, build_schedule, decay_groups

# Expected on CPU (see above); the loop over seeds it announces is only the attention kernel.
warnings.filterwarnings("ignore", message=".*batching rule for aten::_scaled_dot_product_flash_attention_for_cpu")


@dataclass
class StackSeed:
    """One seed of a stack: its init and data seeds, checkpoint folder and (optional) tracker."""

    init_seed: int
    data_seed: int
    checkpoint_dir: Path
    tracker: object | None = None


def clip_per_seed(grads: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """`clip_grad_norm_` of every seed of a stack: seed k's norm is over row k of every gradient.

    norm_k = || (||g_1[k]||, ..., ||g_n[k]||) ||, and row k is scaled by
    min(1, max_norm / (norm_k + 1e-6)), the same expressions in the same order
    as `torch.nn.utils.clip_grad_norm_`. Returns the norms before clipping, [K].
    """
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), 2, dim=1) for g in grads], dim=1)
    total = torch.linalg.vector_norm(norms, 2, dim=1)
    coefficient = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for grad in grads:
        grad.mul_(coefficient.view(-1, *[1] * (grad.ndim - 1)))
    return total


class SeedStack:
    """The parameters, AdamW state and LR schedule of K models of one config, seed axis first."""

    def __init__(self, models: list, training: TrainingConfig, device: torch.device, *,
                 optimizer_state: dict | None = None, schedule_state: dict | None = None,
                 compile: bool = False):
        self.training, self.device = training, device
        self.template = copy.deepcopy(models[0])  # unstacked copies are made from it
        self.base = copy.deepcopy(models[0]).to("meta")  # functional_call's module: shapes only
        self.buffers = {name: b.to(device) for name, b in models[0].named_buffers()}
        params, _ = stack_module_state(models)
        losses = vmap(self._loss, in_dims=(0, None, 0, 0))
        self._losses = torch.compile(losses) if compile else losses
        self._build({name: p.detach().to(device) for name, p in params.items()},
                    optimizer_state, schedule_state)

    def _build(self, params: dict, optimizer_state: dict | None, schedule_state: dict | None) -> None:
        self.params = {name: p.requires_grad_() for name, p in params.items()}
        groups = decay_groups(self.params.values(), self.training.weight_decay, seed_axes=1)
        self.optimizer = torch.optim.AdamW(groups, lr=self.training.learning_rate)
        self.schedule = build_schedule(self.optimizer, self.training)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        if schedule_state is not None:
            self.schedule.load_state_dict(schedule_state)

    @property
    def size(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def _loss(self, params, buffers, input_ids, labels):
        return functional_call(self.base, (params, buffers), (),
                               {"input_ids": input_ids, "labels": labels, "use_cache": False}).loss

    def _logits(self, params, buffers, input_ids):
        return functional_call(self.base, (params, buffers), (),
                               {"input_ids": input_ids, "use_cache": False}).logits

    def step(self, input_ids: torch.Tensor, labels: torch.Tensor, precision: str) -> torch.Tensor:
        """One AdamW step of every seed on its own [batch, context] slice; returns the K losses."""
        with autocast(precision, self.device):
            losses = self._losses(self.params, self.buffers, input_ids, labels)
        losses.sum().backward()
        clip_per_seed([p.grad for p in self.params.values()], self.training.max_grad_norm)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return losses.detach()

    @torch.no_grad()
    def exact_counts(self, sets: list[tuple], end_id: int, precision: str) -> list[int]:
        """Per seed, how many windows of `sets` are exactly right (teacher-forced, as `in_distribution_em`)."""
        exact = torch.zeros(self.size, dtype=torch.long, device=self.device)
        logits = vmap(self._logits, in_dims=(0, None, None))
        score = vmap(score_answers, in_dims=(0, None, None, None))
        for input_ids, loss_mask in sets:
            with autocast(precision, self.device):
                scores = score(logits(self.params, self.buffers, input_ids), input_ids, loss_mask, end_id)
            exact += scores["exact"].sum(-1)
        return exact.tolist()

    def keep(self, rows: list[int]) -> None:
        """Drop every seed not in `rows`: slice the parameters and the AdamW state, keep the schedule."""
        index = torch.tensor(rows, device=self.device)
        params = {name: p.detach().index_select(0, index) for name, p in self.params.items()}
        state = self.optimizer.state_dict()
        state["state"] = {i: {key: value.index_select(0, index.to(value.device)) if value.ndim else value
                              for key, value in entry.items()}
                          for i, entry in state["state"].items()}
        self._build(params, state, self.schedule.state_dict())

    def seed_model(self, row: int):
        """Seed `row` as a standalone `LlamaForCausalLM` on the CPU."""
        model = copy.deepcopy(self.template)
        model.load_state_dict({name: p[row].detach().cpu() for name, p in self.params.items()})
        return model

    def seed_optimizer_state(self, row: int) -> dict:
        """Seed `row`'s AdamW state in the format of a per-seed AdamW (`train_seed`'s optimiser)."""
        state = self.optimizer.state_dict()
        return {"state": {i: {key: value[row].cpu().clone() if value.ndim else value.clone()
                              for key, value in entry.items()}
                          for i, entry in state["state"].items()},
                "param_groups": state["param_groups"]}


def stacked_optimizer_state(states: list[dict]) -> dict:
    """Per-seed AdamW state dicts (same step) stacked into the state of a `SeedStack`'s optimiser."""
    return {"state": {i: {key: torch.stack([s["state"][i][key] for s in states]) if value.ndim else value
                          for key, value in entry.items()}
                      for i, entry in states[0]["state"].items()},
            "param_groups": states[0]["param_groups"]}


def stacked_em(stack: SeedStack, sets: list[tuple], end_id: int, precision: str) -> list[float]:
    """In-distribution EM of every seed of the stack (answer and `.`, teacher-forced)."""
    total = sum(len(input_ids) for input_ids, _ in sets)
    return [count / total for count in stack.exact_counts(sets, end_id, precision)]


def train_stack(
    config,
    task: CountingTask,
    training: TrainingConfig,
    seeds: list[StackSeed],
    on_finished,
    *,
    precision: str = "fp32",
    compile: bool = False,
    device: torch.device = torch.device("cpu"),
    data_workers: int = 0,
    progress: bool = True,
    description: str = "",
) -> None:
    """Train K seeds of one config together; call `on_finished(seed, model, summary)` as each stops.

    A seed stops when it converges (it then leaves the stack) or at
    `max_steps`. The summary has `train_seed`'s fields plus `stack_size` (the
    K it started in; its wall time is shared with the others). All seeds must
    resume from the same step: the LR schedule is shared.
    """
    saved = [load_checkpoint(seed.checkpoint_dir) for seed in seeds]
    steps = sorted({state["step"] if state else 0 for state in saved})
    if len(steps) > 1:
        raise ValueError(f"stack: its seeds resume from different steps {steps}; a stack shares one "
                         f"LR schedule, so train seeds at different steps in separate stacks")
    models = [build_model(config, seed.init_seed) for seed in seeds]
    for model, state in zip(models, saved):
        if state is not None:
            model.load_state_dict(state["model"])
    resumed = saved[0] is not None
    optimizer_state = stacked_optimizer_state([s["optimizer"] for s in saved]) if resumed else None
    stack = SeedStack(models, training, device, compile=compile, optimizer_state=optimizer_state,
                      schedule_state=saved[0]["schedule"] if resumed else None)
    del models
    states = []
    for state in saved:
        entry = {"full_em_streak": 0, "loss": float("nan"), "em": float("nan"), "elapsed_s": 0.0}
        entry.update({k: v for k, v in (state or {}).items() if k in entry})
        states.append(entry)
    step = steps[0]
    clock = time.perf_counter()
    started = [clock - state["elapsed_s"] for state in states]
    eval_sets = trainer.in_distribution_sets(task, device)
    active = list(range(len(seeds)))  # stack row -> index into `seeds`

    def finish(rows: list[int], losses: torch.Tensor, stop_reason: str) -> None:
        values = losses.tolist()
        for row in rows:
            i = active[row]
            on_finished(seeds[i], stack.seed_model(row), {
                "steps": step, "stop_reason": stop_reason,
                "wall_time_s": time.perf_counter() - started[i], "final_train_loss": values[row],
                "in_distribution_em": states[i]["em"], "stack_size": len(seeds)})

    def batches():
        return stack_batches(task, [seeds[i].data_seed for i in active], training.batch_size,
                             step, training.max_steps, device, data_workers)

    stream = batches()
    bar = tqdm(total=training.max_steps, initial=step, desc=description, disable=not progress,
               leave=False, dynamic_ncols=True)
    losses = None
    while step < training.max_steps:
        input_ids, labels = next(stream)
        losses = stack.step(input_ids, labels, precision)
        step += 1
        bar.update(1)
        if step % trainer.LOG_EVERY == 0 or step == training.max_steps:
            lr = stack.schedule.get_last_lr()[0]
            for row, value in enumerate(losses.tolist()):
                states[active[row]]["loss"] = value
                if seeds[active[row]].tracker is not None:
                    seeds[active[row]].tracker.log({"loss": value, "lr": lr}, step=step)
            bar.set_postfix(loss=f"{losses.mean().item():.3f}", seeds=len(active), refresh=False)
        if step % training.eval_every == 0:
            converged = []
            for row, em in enumerate(stacked_em(stack, eval_sets, task.end_id, precision)):
                state = states[active[row]]
                state["em"] = em
                state["full_em_streak"] = state["full_em_streak"] + 1 if em == 1.0 else 0
                if seeds[active[row]].tracker is not None:
                    seeds[active[row]].tracker.log({"in_distribution_em": em}, step=step)
                if state["full_em_streak"] >= training.converged_evals:
                    converged.append(row)
            if converged:
                finish(converged, losses, "converged")
                rows = [row for row in range(len(active)) if row not in converged]
                active = [active[row] for row in rows]
                losses = losses[rows]
                stream.close()
                if not active:
                    break
                stack.keep(rows)
                stream = batches()
        if step % training.checkpoint_every == 0 and step < training.max_steps:
            rng = torch.get_rng_state()
            for row, i in enumerate(active):
                states[i]["elapsed_s"] = time.perf_counter() - started[i]
                save_checkpoint(seeds[i].checkpoint_dir, {
                    "step": step, **states[i], "rng": rng,
                    "model": {name: p[row].detach().cpu() for name, p in stack.params.items()},
                    "optimizer": stack.seed_optimizer_state(row),
                    "schedule": stack.schedule.state_dict()})
    bar.close()
    stream.close()
    if active:
        finish(list(range(len(active))), losses, "max_steps")


def stack_groups(pending: list[tuple[int, int, int]], size: int) -> list[list[tuple[int, int]]]:
    """(resume step, seed, data seed) triples -> stacks of at most `size` seeds, one resume step each."""
    groups = []
    for step in sorted({entry[0] for entry in pending}):
        same = sorted((seed, data_seed) for s, seed, data_seed in pending if s == step)
        groups += [same[i:i + size] for i in range(0, len(same), size)]
    return groups
