"""K seeds of one scale trained as one batched computation: stacked parameters, `vmap` over `functional_call`.

`SeedStack` is the learner `trainer.train` takes for K seeds. Each seed of a
stack is the seed-run the one-seed learner would make, to the bit in fp32
eager (tests/test_training_stacked.py):

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
- checkpoints: each seed's slice, saved in the one-seed format in its own
  `checkpoint/` folder, so either path resumes the other's checkpoints.

Both paths use the model's default attention (sdpa), so they run the same
kernels. On CPU, `vmap` of sdpa falls back to a loop over the seeds for the
attention kernel alone; CUDA's flash, memory-efficient and cuDNN kernels have
batching rules that fold the seeds into their batch.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch.func import functional_call, stack_module_state, vmap

from hf_distscale.tasks.scoring import score_answers
from hf_distscale.training.trainer import autocast, build_adamw, build_schedule, decay_groups

# Expected on CPU (see above); the loop over seeds it announces is only the attention kernel.
warnings.filterwarnings("ignore", message=".*batching rule for aten::_scaled_dot_product_flash_attention_for_cpu")


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
    """The parameters, AdamW state and LR schedule of K models of one config, seed axis first.

    `saved` holds each seed's checkpoint (all at one step) or None for all.
    """

    def __init__(self, models: list, saved: list[dict | None], training, device: torch.device,
                 compile: bool = False, adamw: str = "default"):
        self.training, self.device, self.adamw = training, device, adamw
        for model, state in zip(models, saved):
            if state is not None:
                model.load_state_dict(state["model"])
        self.template = copy.deepcopy(models[0])  # unstacked copies are made from it
        self.base = copy.deepcopy(models[0]).to("meta")  # functional_call's module: shapes only
        self.buffers = {name: b.to(device) for name, b in models[0].named_buffers()}
        params, _ = stack_module_state(models)
        losses = vmap(self._loss, in_dims=(0, None, 0, 0))
        self._losses = torch.compile(losses) if compile else losses
        resumed = saved[0] is not None
        self._build({name: p.detach().to(device) for name, p in params.items()},
                    stacked_optimizer_state([s["optimizer"] for s in saved]) if resumed else None,
                    saved[0]["schedule"] if resumed else None)

    def _build(self, params: dict, optimizer_state: dict | None, schedule_state: dict | None) -> None:
        self.params = {name: p.requires_grad_() for name, p in params.items()}
        groups = decay_groups(self.params.values(), self.training.weight_decay, seed_axes=1)
        self.optimizer = build_adamw(groups, self.training, self.adamw)
        self.schedule = build_schedule(self.optimizer, self.training)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        if schedule_state is not None:
            self.schedule.load_state_dict(schedule_state)

    @property
    def size(self) -> int:
        return next(iter(self.params.values())).shape[0]

    @property
    def lr(self) -> float:
        return self.schedule.get_last_lr()[0]

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

    def exact_match(self, sets: list[tuple], end_id: int, precision: str) -> list[float]:
        return stacked_em(self, sets, end_id, precision)

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

    def seed_state(self, row: int) -> dict:
        """Seed `row`'s checkpoint tensors in the one-seed format: model, per-seed AdamW, schedule."""
        state = self.optimizer.state_dict()
        optimizer = {"state": {i: {key: value[row].cpu().clone() if value.ndim else value.clone()
                                   for key, value in entry.items()}
                               for i, entry in state["state"].items()},
                     "param_groups": state["param_groups"]}
        return {"model": {name: p[row].detach().cpu() for name, p in self.params.items()},
                "optimizer": optimizer, "schedule": self.schedule.state_dict()}


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


def stack_groups(pending: list[tuple[int, int, int]], size: int) -> list[list[tuple[int, int]]]:
    """(resume step, seed, data seed) triples -> stacks of at most `size` seeds, one resume step each."""
    groups = []
    for step in sorted({entry[0] for entry in pending}):
        same = sorted((seed, data_seed) for s, seed, data_seed in pending if s == step)
        groups += [same[i:i + size] for i in range(0, len(same), size)]
    return groups
