"""Training throughput: our seed loop vs transformers' `Trainer`, each path matched, interleaved.

    python benchmarks/train_throughput.py [--repeats 3] [--threads 2] [--paths fp32,bf16] [--cases l2,h64]
    python benchmarks/train_throughput.py --threads 1 --clock cpu   # on a machine other jobs share

Cases: the `reduced` preset (batch 32 x 64 tokens) at cpu_depth l1 and l2,
and the paper batch (128 x 256 tokens, `paper` preset) at fixed_depth h64.
Each trains the same model config from the same init on the same
data-stream batches, our loop (`train_seed`) and `Trainer`, along each path:

- fp32: the default, what every population is trained with;
- fp32 foreach / fp32 fused: AdamW's batched implementations (an opt-in, `adamw=`);
- fp32 compile: `torch.compile` of the model (`--compile` of `train`);
- bf16, bf16 compile fused: bf16 autocast (`--precision bf16`), only where this
  CPU's bf16 matmul beats its fp32 one (measured first).

`Trainer` gets what our loop gets on each path: the precision (`bf16=`),
`torch_compile`, the AdamW implementation (`optimizer_cls_and_kwargs`), and
the same process, so the same threads and allocator. A sample is a run's
steady-state steps/s: the clock runs between the loop's first and last loss
logs (every `trainer.LOG_EVERY` steps; `Trainer` is marked at the same
steps), so compilation and start-up stay outside it. Every run of a case takes
its turn in each round with the matmul peaks (`timing.interleave`); columns
give the median (min-max) of the rounds, and "vs Trainer" and "vs fp32"
divide samples of the same round. `--clock cpu` counts this process's CPU
seconds instead of wall time, so time spent waiting for a core other jobs
hold does not count (with one thread; see `timing.py`). Tokens/s counts every context position;
FLOP/s uses the training cost model of `flops_per_token`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from functools import partial
from pathlib import Path

import torch
from timing import CLOCKS, Measurement, interleave, machine_line, matmul_variants, paired_ratio, spread_report
from torch.utils.data import Dataset
from transformers import LlamaForCausalLM, Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_callback import PrinterCallback
from transformers.utils import logging as hf_logging

from hf_distscale.models import llama_config, select_scales
from hf_distscale.models.cost import ASSUMED_H100_FLOPS, flops_per_token, gpu_hours
from hf_distscale.tasks import CountingTask
from hf_distscale.training import TrainingConfig, train_seed, trainer
from hf_distscale.training.stack_data import stack_batches
from hf_distscale.training.trainer import ADAMW_IMPLEMENTATIONS, build_model

# name -> (preset, family, scale, steps per run, steps between clock marks)
CASES = {"l1": ("reduced", "cpu_depth", "l1", 40, 10), "l2": ("reduced", "cpu_depth", "l2", 40, 10),
         "h64": ("paper", "fixed_depth", "h64", 6, 2)}
# name -> (precision, compile, AdamW implementation)
PATHS = {"fp32": ("fp32", False, "default"), "fp32 foreach": ("fp32", False, "foreach"),
         "fp32 fused": ("fp32", False, "fused"), "fp32 compile": ("fp32", True, "default"),
         "bf16": ("bf16", False, "default"), "bf16 compile fused": ("bf16", True, "fused")}
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


class StepClock:
    """A tracker that notes when each loss is logged, on `clock`; the loop has synced the device by then."""

    def __init__(self, clock=time.perf_counter):
        self.clock = clock
        self.marks: list[tuple[int, float]] = []

    def log(self, values: dict, step: int | None = None) -> None:
        if "loss" in values:
            self.marks.append((step, self.clock()))

    def steps_per_second(self) -> float:
        (first, start), (last, end) = self.marks[0], self.marks[-1]
        return (last - first) / (end - start)


class Tick(TrainerCallback):
    """The `Trainer` side of `StepClock`: a mark after every `every`-th optimiser step."""

    def __init__(self, clock: StepClock, device: torch.device, every: int = 1):
        self.clock, self.device, self.every = clock, device, every

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step % self.every == 0:
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            self.clock.log({"loss": None}, step=state.global_step)


def trainer_arguments(training: TrainingConfig, output_dir: str, device: torch.device = torch.device("cpu"),
                      precision: str = "fp32", compile: bool = False) -> TrainingArguments:
    """The baseline `Trainer`'s arguments: `training`'s schedule and clipping, our precision and
    compilation; no saving, logging, progress bar or loader workers, so only training is timed."""
    return TrainingArguments(
        output_dir=output_dir, per_device_train_batch_size=training.batch_size,
        max_steps=training.max_steps, learning_rate=training.learning_rate,
        warmup_steps=training.warmup_steps, lr_scheduler_type="cosine",
        weight_decay=training.weight_decay, max_grad_norm=training.max_grad_norm,
        use_cpu=device.type == "cpu", bf16=precision == "bf16", torch_compile=compile, report_to="none",
        save_strategy="no", logging_strategy="no", disable_tqdm=True,
        dataloader_num_workers=0, seed=0,
    )


def loop_run(config, task, precision: str, device: torch.device, compile: bool = False,
             adamw: str = "default", timer=time.perf_counter):
    """A variant: our loop on `training`'s steps, its steady-state steps/s on `timer`."""
    def run(training: TrainingConfig) -> float:
        clock = StepClock(timer)
        with tempfile.TemporaryDirectory() as tmp:
            train_seed(config, task, training, Path(tmp), init_seed=0, data_seed=0, precision=precision,
                       compile=compile, adamw=adamw, device=device, tracker=clock, progress=False)
        return clock.steps_per_second()
    return run


def trainer_run(config, task, precision: str, device: torch.device, compile: bool = False,
                adamw: str = "default", timer=time.perf_counter):
    """A variant: `Trainer` with our precision, compilation and AdamW, its steady-state steps/s on `timer`."""
    def run(training: TrainingConfig) -> float:
        clock = StepClock(timer)
        model: LlamaForCausalLM = build_model(config, 0)
        with tempfile.TemporaryDirectory() as tmp:
            rows = StreamRows(task, training.max_steps, training.batch_size)
            baseline = Trainer(model=model, args=trainer_arguments(training, tmp, device, precision, compile),
                               train_dataset=rows, callbacks=[Tick(clock, device, trainer.LOG_EVERY)],
                               optimizer_cls_and_kwargs=(torch.optim.AdamW, {
                                   "lr": training.learning_rate, **ADAMW_IMPLEMENTATIONS[adamw]}))
            baseline.remove_callback(PrinterCallback)  # its end-of-run metrics line would split the table
            baseline.train()
        return clock.steps_per_second()
    return run


def short_run(preset: str, steps: int) -> TrainingConfig:
    """The preset's training at `steps` steps, without evaluations or checkpoints inside the run."""
    return TrainingConfig.from_preset(preset, max_steps=steps, warmup_steps=1,
                                      eval_every=steps + 1, checkpoint_every=steps + 1)


def bf16_is_faster(repeats: int, timer) -> bool:
    """Whether this CPU's bf16 matmul beats its fp32 one (median of interleaved rounds): without
    AVX-512 BF16 or AMX, bf16 is emulated and many times slower, and its rows are skipped."""
    peaks = interleave(matmul_variants(clock=timer), repeats)
    return peaks["matmul bf16"].median > peaks["matmul fp32"].median


def measure_case(case: str, paths: list[str], repeats: int, with_trainer: bool, timer) -> tuple[dict, float]:
    """Every path of `case`, ours and `Trainer`, and the matmul peaks, interleaved; and the FLOPs of
    one training step. Sets `trainer.LOG_EVERY` to the case's clock interval (our loop's loss logs)."""
    preset, family, scale_name, steps, every = CASES[case]
    task = CountingTask.from_preset(preset)
    config = llama_config(select_scales(family, task, scale_name)[0], task)
    training = short_run(preset, steps)
    device = torch.device("cpu")
    dtypes = ("fp32", "bf16") if any(path.startswith("bf16") for path in paths) else ("fp32",)
    variants = matmul_variants(dtypes, clock=timer)
    for path in paths:
        precision, compile, adamw = PATHS[path]
        options = (config, task, precision, device, compile, adamw, timer)
        variants[f"ours {path}"] = partial(loop_run(*options), training)
        if with_trainer:
            variants[f"Trainer {path}"] = partial(trainer_run(*options), training)
    trainer.LOG_EVERY = every
    results = interleave(variants, repeats, failures=(RuntimeError,))
    step_flops = flops_per_token(config, task.context_length) * training.batch_size * task.context_length
    return results, step_flops


def ratio_text(rate: Measurement, baseline: Measurement | None) -> str:
    """'median (min-max)x' of the round-by-round ratio, '-' without a baseline."""
    if baseline is None:
        return "-"
    ratio = paired_ratio(rate, baseline)
    return ratio.missing or f"{ratio.text()}x"


def print_case(case: str, paths: list[str], results: dict, step_flops: float) -> None:
    preset, family, scale_name, _, _ = CASES[case]
    task = CountingTask.from_preset(preset)
    tokens_per_step = TrainingConfig.from_preset(preset).batch_size * task.context_length
    batch = f"{tokens_per_step // task.context_length}x{task.context_length}"
    for path in paths:
        precision = PATHS[path][0]
        peak = results[f"matmul {precision}"].median
        for run in ("Trainer", "ours"):
            name = f"{run} {path}"
            if name not in results:
                continue
            rate = results[name]
            label = f"| {preset} | {family}/{scale_name} | {batch} | {name} |"
            if rate.missing:
                print(f"{label} {rate.missing} ||||||")
                continue
            print(f"{label} {rate.text(tokens_per_step, 0)} | {rate.median * step_flops / 1e9:.1f} | "
                  f"{100 * rate.median * step_flops / peak:.1f}% | "
                  f"{ratio_text(rate, results.get(f'Trainer {path}'))} | "
                  f"{ratio_text(rate, results.get(f'{run} fp32'))} |")


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


def comma_list(text: str, known) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown {unknown}; choose from {', '.join(known)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds per case after the warm-up (default 3)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma list of {', '.join(CASES)}")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma list of {', '.join(PATHS)}")
    parser.add_argument("--no-trainer", action="store_true", help="our loop only (each path's effect)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (with --threads 1: waiting for a busy "
                             "core does not count; default wall)")
    args = parser.parse_args()
    cases, paths = comma_list(args.cases, CASES), comma_list(args.paths, PATHS)
    if args.threads:
        torch.set_num_threads(args.threads)
    hf_logging.set_verbosity_error()
    began = time.perf_counter()
    print(machine_line())
    allocator = os.environ.get("LD_PRELOAD") or "the C library's malloc"
    print(f"torch {torch.__version__}, kernels {torch.backends.cpu.get_cpu_capability()}, "
          f"{torch.get_num_threads()} threads, allocator {allocator} (ours and Trainer share the process)")
    timer = CLOCKS[args.clock]
    if any(path.startswith("bf16") for path in paths) and not bf16_is_faster(args.repeats, timer):
        print("bf16 paths skipped: this CPU's bf16 matmul is slower than its fp32 one")
        paths = [path for path in paths if not path.startswith("bf16")]
    print(f"medians (min-max) of {args.repeats} interleaved rounds after one warm-up round, {args.clock} clock\n")
    print("| preset | scale | batch | run | tokens/s | GFLOP/s | % peak | vs Trainer | vs fp32 |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    peaks, spread_results, paper_flops = {}, {}, 0.0
    for case in cases:
        results, step_flops = measure_case(case, paths, args.repeats, not args.no_trainer, timer)
        print_case(case, paths, results, step_flops)
        peaks.update({f"{case} {name}": result for name, result in results.items() if name.startswith("matmul")})
        spread_results.update({f"{case} {name}": result for name, result in results.items()})
        if CASES[case][0] == "paper":  # the paper-sized batch's fastest run sets this CPU's rate
            paper_flops = step_flops * max(r.median for n, r in results.items()
                                           if not n.startswith("matmul") and not r.missing)
    print("\nmatmul peaks, GFLOP/s, in the same rounds: "
          + "; ".join(f"{name} {result.text(1e-9, 0)}" for name, result in peaks.items()))
    print(spread_report(spread_results))
    if paper_flops:
        print_cost_model(paper_flops)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
