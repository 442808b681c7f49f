"""Training throughput: our seed loop vs transformers' `Trainer`, measured in the same run.

    python benchmarks/train_throughput.py [--steps 40] [--paper-steps 4]

Rows: the `reduced` preset (batch 32 x 64 tokens) at cpu_depth l1/l2, and a
paper-sized batch (128 x 256 tokens, `paper` preset) at fixed_depth h64.
Each row trains the same model config from the same init on the same
data-stream batches three ways: `Trainer` (fp32, the baseline), our loop in
fp32 and (where bf16 matmuls beat fp32) our loop in bf16 autocast. Tokens/s counts every context position;
FLOP/s uses the training cost model of `flops_per_token`. The matmul peak of
this machine (fp32 and bf16) is measured first for scale.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import Dataset
from transformers import LlamaForCausalLM, Trainer, TrainingArguments
from transformers.utils import logging as hf_logging

from hf_distscale.models import llama_config, select_scales
from hf_distscale.models.cost import ASSUMED_H100_FLOPS, flops_per_token, gpu_hours, matmul_peak
from hf_distscale.tasks import CountingTask
from hf_distscale.training import TrainingConfig, train_seed
from hf_distscale.training.stack_data import stack_batches
from hf_distscale.training.trainer import build_model

CASES = [("reduced", "cpu_depth", "l1"), ("reduced", "cpu_depth", "l2"), ("paper", "fixed_depth", "h64")]
PAPER_FAMILIES = ("fixed_depth", "fixed_width", "fixed_params")
PAPER_SEEDS = 250  # seeds per scale (SPEC §3)


class StreamRows(Dataset):
    """The first `steps` batches of a data stream, as rows for `Trainer`."""

    def __init__(self, task: CountingTask, steps: int, batch_size: int):
        self.rows = []
        for input_ids, labels in stack_batches(task, [0], batch_size, 0, steps, torch.device("cpu")):
            self.rows += [{"input_ids": i, "labels": l} for i, l in zip(input_ids[0], labels[0])]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]


def trainer_arguments(training: TrainingConfig, output_dir: str, device: torch.device = torch.device("cpu"),
                      precision: str = "fp32") -> TrainingArguments:
    """The baseline `Trainer`'s arguments: `training`'s optimiser, schedule and clipping; no
    saving, logging, progress bar or loader workers, so only the training steps are timed."""
    return TrainingArguments(
        output_dir=output_dir, per_device_train_batch_size=training.batch_size,
        max_steps=training.max_steps, learning_rate=training.learning_rate,
        warmup_steps=training.warmup_steps, lr_scheduler_type="cosine",
        weight_decay=training.weight_decay, max_grad_norm=training.max_grad_norm,
        use_cpu=device.type == "cpu", bf16=precision == "bf16", report_to="none",
        save_strategy="no", logging_strategy="no", disable_tqdm=True,
        dataloader_num_workers=0, seed=0,
    )


def time_trainer(config, task, training: TrainingConfig) -> float:
    model: LlamaForCausalLM = build_model(config, 0)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(model=model, args=trainer_arguments(training, tmp),
                          train_dataset=StreamRows(task, training.max_steps, training.batch_size))
        start = time.perf_counter()
        trainer.train()
        return time.perf_counter() - start


def time_ours(config, task, training: TrainingConfig, precision: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        train_seed(config, task, training, Path(tmp), init_seed=0, data_seed=0,
                   precision=precision, progress=False)
        return time.perf_counter() - start


def print_cost_model(achieved_flops: float) -> None:
    """FLOPs of one paper seed-run at max_steps, per scale, and hours for the whole grid."""
    task = CountingTask.from_preset("paper")
    training = TrainingConfig.from_preset("paper")
    tokens = training.max_steps * training.batch_size * task.context_length
    print(f"\ncost model: one paper seed-run = {training.max_steps} steps x {training.batch_size} x "
          f"{task.context_length} = {tokens:.2e} tokens (an upper bound: runs stop early when converged)")
    grid = 0.0
    for family in PAPER_FAMILIES:
        for scale in select_scales(family, task, "all"):
            flops = flops_per_token(llama_config(scale, task), task.context_length) * tokens
            grid += PAPER_SEEDS * flops
            print(f"  {family + '/' + scale.name:>16}  {flops:.2e} FLOPs per seed-run")
    print(f"full grid: 15 scales x {PAPER_SEEDS} seeds = {grid:.2e} FLOPs; "
          f"{grid / achieved_flops / 3600:,.0f} h on this CPU at the measured "
          f"{achieved_flops / 1e9:.1f} GFLOP/s; {gpu_hours(grid):,.0f} h on one H100 "
          f"at an assumed {ASSUMED_H100_FLOPS / 1e12:.0f} TFLOP/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="steps per run, reduced preset")
    parser.add_argument("--paper-steps", type=int, default=4, help="steps per run, paper batch")
    args = parser.parse_args()
    hf_logging.set_verbosity_error()
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"threads {torch.get_num_threads()}; matmul peak: fp32 {peaks['fp32'] / 1e9:.0f} GFLOP/s, "
          f"bf16 {peaks['bf16'] / 1e9:.0f} GFLOP/s")
    # Without AMX/AVX-512 bf16 matmuls are emulated and many times slower; skip them then.
    precisions = ["fp32", "bf16"] if peaks["bf16"] > peaks["fp32"] else ["fp32"]
    if precisions == ["fp32"]:
        print("bf16 runs skipped: bf16 matmul is slower than fp32 on this CPU")
    header = (f"{'preset':>8} {'scale':>16} {'batch':>9} {'run':>14} {'tokens/s':>9} "
              f"{'GFLOP/s':>8} {'% peak':>7} {'vs Trainer':>10}")
    print(header)
    paper_flops_per_s = 0.0
    for preset, family, scale_name in CASES:
        task = CountingTask.from_preset(preset)
        steps = args.steps if preset == "reduced" else args.paper_steps
        training = TrainingConfig.from_preset(preset, max_steps=steps, warmup_steps=1,
                                              eval_every=steps + 1, checkpoint_every=steps + 1)
        config = llama_config(select_scales(family, task, scale_name)[0], task)
        tokens = steps * training.batch_size * task.context_length
        flops = flops_per_token(config, task.context_length) * tokens
        baseline = time_trainer(config, task, training)
        runs = [("Trainer fp32", "fp32", baseline)]
        runs += [(f"ours {p}", p, time_ours(config, task, training, p)) for p in precisions]
        for name, precision, seconds in runs:
            print(f"{preset:>8} {family + '/' + scale_name:>16} "
                  f"{f'{training.batch_size}x{task.context_length}':>9} {name:>14} "
                  f"{tokens / seconds:>9.0f} {flops / seconds / 1e9:>8.1f} "
                  f"{100 * flops / seconds / peaks[precision]:>6.1f}% {baseline / seconds:>9.2f}x")
        if preset == "paper":  # the paper-sized batch's fastest run sets this CPU's rate
            paper_flops_per_s = flops / min(seconds for _, _, seconds in runs)
    print_cost_model(paper_flops_per_s)


if __name__ == "__main__":
    main()
