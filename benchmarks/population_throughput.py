"""Population throughput: K seeds per process as one batched computation, against one seed at a time.

    PYTHONPATH=. python benchmarks/population_throughput.py               # GPU size on CUDA, else CPU size
    PYTHONPATH=. python benchmarks/population_throughput.py --size tiny   # seconds (the tests run it)

For each scale, in the same run: seed-steps/s of our per-seed loop
(`train_seed`, K=1), of transformers' `Trainer` on the same model and
batches, and of stacks of K seeds (`trainer.train` with `SeedStack`) for K in the size's list
that fit the free memory (plus the largest K that fits, when it is below the
next listed K). Rates are steady state: the time between the first and the
last loss log (each follows a device sync) of a run long enough to take about
`--seconds`, after a short calibration run of the same configuration (the
warm-up); the median of `--repeats` such runs, the runs of a scale and the
matmul peak taking turns (`timing.interleave`).

Columns: median seed-steps/s and its ratio to the loop and to `Trainer`
(medians of the ratios within a round); achieved
FLOP/s (`flops_per_token` x tokens) and % of the matmul peak of the same rounds
(bf16 on CUDA, fp32 on CPU: the default precisions); the data stream's rows/s
(inline numpy for K=1, `stack_data`'s worker processes for K>1) against the
rows/s the step consumes; the min-max of the seed-steps/s. `--clock cpu`
times by this process's CPU seconds instead (see `timing.py`). Then, from
the paper-preset rows, the projected device-hours of the paper grid (15 scales x 250 seeds x 10,000 steps, an upper bound) from the measured FLOP/s
(each unmeasured scale takes the rate of the measured scale nearest in FLOPs
per token), one seed at a time against the best stack; and on the GPU size the
teacher-forced evaluation against `generate()` at test length 60.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import torch
from timing import CLOCKS, interleave, machine_line, matmul_variants, paired_ratio, spread_report, timed
from train_throughput import StepClock, loop_run, short_run, trainer_run
from transformers.utils import logging as hf_logging

from hf_distscale.models import llama_config, select_scales
from hf_distscale.models.cost import flops_per_token, gpu_hours
from hf_distscale.tasks import CountingTask
from hf_distscale.training import TrainingConfig, trainer
from hf_distscale.training.memory import stack_budget
from hf_distscale.training.population import DEFAULT_PRECISION
from hf_distscale.training.stack_data import default_data_workers, stack_batches
from hf_distscale.training.stacked import SeedStack
from hf_distscale.training.trainer import SeedRun, build_model, counting_objective

# (preset, family, scale, stack sizes K) per size; `log_every` is the steps between the clock's marks.
SIZES = {
    "gpu": dict(cases=[("paper", "fixed_depth", "h64", [16, 64, 250]),
                       ("paper", "fixed_params", "l4", [16, 64, 250]),
                       ("paper", "fixed_width", "l8", [16, 64, 250])],
                seconds=5.0, repeats=1, log_every=5),
    "cpu": dict(cases=[("reduced", "cpu_depth", "l1", [4, 8]), ("reduced", "cpu_depth", "l2", [4, 8]),
                       ("paper", "fixed_depth", "h64", [2])], seconds=4.0, repeats=3, log_every=2),
    "tiny": dict(cases=[("smoke", "cpu_depth", "l1", [2])], seconds=0.3, repeats=1, log_every=2),
}
GRID_FAMILIES = ("fixed_depth", "fixed_params", "fixed_width")
GRID_SEEDS = 250


def calibrated(run, preset: str, k: int, seconds: float):
    """A variant of `timing.interleave`: its first call (the warm-up) finds the steps for a run of about
    `seconds`; each later call is such a run, its seed-steps/s."""
    steps = []

    def variant() -> float:
        if not steps:
            every = trainer.LOG_EVERY
            rate = run(short_run(preset, 3 * every))
            steps.append(every * max(3, min(400, round(seconds * rate / every))))
            return rate
        return k * run(short_run(preset, steps[0]))
    return variant


def stack_run(config, task, k, precision, device, workers, compile=False, timer=time.perf_counter):
    def run(training):
        clock = StepClock(timer)
        with tempfile.TemporaryDirectory() as tmp:
            runs = [SeedRun(i, Path(tmp) / f"seed-{i}", clock if i == 0 else None) for i in range(k)]
            trainer.train([build_model(config, i) for i in range(k)], runs,
                          counting_objective(task, training, precision, device, workers), training,
                          learner=SeedStack, precision=precision, compile=compile, device=device,
                          progress=False)
        return clock.steps_per_second()
    return run


def stream_rate(task, k, batch_size, workers, seconds=2.0) -> float:
    """Packed rows/s the stream makes for a stack of k seeds (workers=0: inline, one core)."""
    stream = stack_batches(task, list(range(k)), batch_size, 0, 10**6, torch.device("cpu"), workers)
    next(stream)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(stream)
        steps += 1
    rate = steps * k * batch_size / (time.perf_counter() - start)
    stream.close()
    return rate


def stack_sizes(listed: list[int], largest: int) -> list[int]:
    """The listed K that fit, plus the largest that fits when it falls short of the next listed K."""
    sizes = [k for k in listed if k <= largest]
    if largest > 1 and largest not in sizes and any(k > largest for k in listed):
        sizes.append(largest)
    return sizes


def grid_hours(measured: dict[float, float], task: CountingTask, training: TrainingConfig) -> float:
    """Hours of the paper grid at measured FLOP/s, keyed by FLOPs per token of the measured scales."""
    hours = 0.0
    for family in GRID_FAMILIES:
        for scale in select_scales(family, task, "all"):
            per_token = flops_per_token(llama_config(scale, task), task.context_length)
            nearest = min(measured, key=lambda known: abs(math.log(known / per_token)))
            flops = GRID_SEEDS * training.max_steps * training.batch_size * task.context_length * per_token
            hours += gpu_hours(flops, measured[nearest])
    return hours


def evaluation_rows(device: torch.device, precision: str, repeats: int = 3) -> dict:
    """Teacher-forced EM against greedy `generate()`, one paper-preset model, test length 60."""
    from hf_distscale.evaluation.forward import generate_scores, teacher_forced_scores

    task = CountingTask.from_preset("paper")
    scale = select_scales("fixed_params", task, "l4")[0]
    model = build_model(llama_config(scale, task), 0).to(device).eval()
    examples = task.num_numbers - 60 + 1

    times = interleave({"generate()": timed(lambda: generate_scores(model, task, 60, precision=precision)),
                        "teacher-forced": timed(lambda: teacher_forced_scores(model, task, 60, precision=precision))},
                       repeats)
    print(f"\nevaluation, fixed_params/l4, paper preset, test length 60 ({examples} windows), "
          f"{precision}, {device.type}, median (min-max) of {repeats} rounds:")
    print("| path | seconds | windows/s | vs generate() |")
    print("|---|---:|---:|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds.text(1, 4)} | {examples / seconds.median:,.0f} | "
              f"{paired_ratio(times['generate()'], seconds).text()}x |")
    return {f"evaluation {name}": seconds for name, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--size", choices=sorted(SIZES), help="default: gpu on CUDA, else cpu")
    parser.add_argument("--seconds", type=float, help="length of each measured run")
    parser.add_argument("--repeats", type=int, help="measured runs per row; the median counts")
    parser.add_argument("--compile", action="store_true", help="add a torch.compile row at the largest K")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (CPU only, with --threads 1: waiting "
                             "for a busy core does not count; default wall)")
    parser.add_argument("--no-trainer", action="store_true", help="skip the Trainer baseline")
    parser.add_argument("--budget", type=float, default=420.0,
                        help="seconds after which the remaining rows are skipped (default 420)")
    args = parser.parse_args()
    began = time.perf_counter()
    timer = CLOCKS[args.clock]
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    size = SIZES[args.size or ("gpu" if device.type == "cuda" else "cpu")]
    seconds = args.seconds or size["seconds"]
    repeats = args.repeats or size["repeats"]
    precision = DEFAULT_PRECISION[device.type]
    hf_logging.set_verbosity_error()
    trainer.LOG_EVERY = size["log_every"]
    workers = default_data_workers(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    peak_name = f"matmul {precision}"
    print(machine_line())
    print(f"device {name}, {torch.get_num_threads()} threads, {precision}, data workers {workers}; "
          f"median (min-max) of {repeats} interleaved rounds, {args.clock} clock")
    print("| scale | batch | run | seed-steps/s | vs loop | vs Trainer | TFLOP/s | % peak "
          "| stream rows/s | consumed rows/s | headroom | seed-steps/s min-max |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    loop_flops, stack_flops, spread_results = {}, {}, {}
    for preset, family, scale_name, listed in size["cases"]:
        task = CountingTask.from_preset(preset)
        config = llama_config(select_scales(family, task, scale_name)[0], task)
        batch = TrainingConfig.from_preset(preset).batch_size
        per_seed_step = flops_per_token(config, task.context_length) * batch * task.context_length
        budget = stack_budget(config, task.context_length, batch, precision, device)
        runs = [("loop K=1", loop_run(config, task, precision, device, timer=timer), 1, 0)]
        if not args.no_trainer:
            runs.append(("Trainer", trainer_run(config, task, precision, device, timer=timer), 1, 0))
        sizes = stack_sizes(listed, budget.largest)
        runs += [(f"stack K={k}", stack_run(config, task, k, precision, device, workers, timer=timer), k, workers)
                 for k in sizes]
        if args.compile and sizes:
            runs.append((f"stack K={sizes[-1]} compiled",
                         stack_run(config, task, sizes[-1], precision, device, workers, True, timer),
                         sizes[-1], workers))
        variants = matmul_variants((precision,), size=8192 if device.type == "cuda" else 1024,
                                   device=device.type, clock=timer)
        variants.update({run_name: calibrated(run, preset, k, seconds) for run_name, run, k, _ in runs})
        rates = interleave(variants, repeats, deadline=began + args.budget,
                           failures=(RuntimeError, torch.OutOfMemoryError))
        spread_results.update({f"{family}/{scale_name} {n}": r for n, r in rates.items()})
        peak = rates[peak_name].median
        loop = rates["loop K=1"]
        for run_name, run, k, run_workers in runs:
            label = f"| {family}/{scale_name} | {batch}x{task.context_length} | {run_name} |"
            rate = rates[run_name]
            if rate.missing or loop.missing:
                print(f"{label} {rate.missing or 'no loop rate to compare with'} ||||||||")
                continue
            seed_steps = rate.median
            flops = seed_steps * per_seed_step
            stream = stream_rate(task, k, batch, run_workers)
            consumed = seed_steps * batch
            ratio_trainer = (f"{paired_ratio(rate, rates['Trainer']).median:.2f}x"
                             if "Trainer" in rates and not rates["Trainer"].missing else "-")
            print(f"{label} {seed_steps:,.2f} | {paired_ratio(rate, loop).median:.2f}x | {ratio_trainer} | "
                  f"{flops / 1e12:.4f} | {100 * flops / peak:.1f}% | {stream:,.0f} | {consumed:,.0f} | "
                  f"{stream / consumed:.1f}x | {rate.low:,.2f}-{rate.high:,.2f} |")
        per_token = flops_per_token(config, task.context_length)
        if preset == "paper" and not loop.missing:
            loop_flops[per_token] = loop.median * per_seed_step
            best = max((r.median for n, r in rates.items() if n.startswith("stack") and not r.missing),
                       default=loop.median)
            stack_flops[per_token] = best * per_seed_step
        print(f"| {family}/{scale_name} | memory | {budget.describe()}: largest K {budget.largest} "
              f"| {peak_name} {rates[peak_name].text(1e-12, 3)} TFLOP/s ||||||||")
    if loop_flops:
        paper_task, paper = CountingTask.from_preset("paper"), TrainingConfig.from_preset("paper")
        one, many = grid_hours(loop_flops, paper_task, paper), grid_hours(stack_flops, paper_task, paper)
        print(f"\npaper grid ({len(GRID_FAMILIES) * 5} scales x {GRID_SEEDS} seeds x {paper.max_steps} steps, "
              f"an upper bound) at the rates measured here on {name}: one seed at a time {one:,.0f} "
              f"device-hours, best stack {many:,.0f} device-hours (one at a time / stack = {one / many:.2f}x)")
    if device.type == "cuda" or args.size == "cpu":
        try:
            spread_results.update(evaluation_rows(device, precision, repeats))
        except ImportError as err:
            print(f"\nevaluation rows skipped: {err} (install the evaluation stage's dependencies)")
    print(f"\n{spread_report(spread_results)}")
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
