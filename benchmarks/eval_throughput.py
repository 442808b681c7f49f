"""Evaluation throughput: teacher-forced fast path against `generate()`, in the same run.

Paper preset (vocab 150). Part 1: one model at one test length (default 60).
Part 2: a whole population folder (seeds x scales, random weights; speed does
not depend on training), end to end through `evaluate_population`, against
loading each model and running `generate()` on the same splits. The paths of
each part take turns (`timing.interleave`); the tables give the median
(min-max) seconds of `--repeats` rounds after a warm-up round, and the ratio
to `generate()` within a round.

    python benchmarks/eval_throughput.py [--length 60] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from timing import interleave, machine_line, paired_ratio, spread_report, timed
from transformers import LlamaForCausalLM
from transformers.utils import logging as hf_logging

from hf_distscale.evaluation import evaluate_population, generate_scores, load_model, resolve_models
from hf_distscale.evaluation import teacher_forced_scores
from hf_distscale.models import Scale, llama_config, make_scale
from hf_distscale.tasks import CountingTask, build_tokenizer
from hf_distscale.training.population import save_model_folder, seed_record

SCALES = [make_scale("bench", "h64", 0, 2, 64), make_scale("bench", "h128", 1, 2, 128)]


def llama(task: CountingTask, scale: Scale, seed: int) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    return LlamaForCausalLM(llama_config(scale, task)).eval()


def write_population(root: Path, task: CountingTask, seeds: int) -> Path:
    """Untrained seed folders in the training stage's layout (`seed_record.json` included)."""
    for scale in SCALES:
        for seed in range(seeds):
            folder = root / scale.name / f"seed-{seed:04d}"
            save_model_folder(llama(task, scale, seed), folder)
            build_tokenizer(task).save_pretrained(folder)
            record = seed_record(root.name, scale, "paper", task, "fp32", seed, seed, {"steps": 0})
            (folder / "seed_record.json").write_text(json.dumps(record))
    return root


def print_table(title: str, examples: int, times: dict) -> None:
    """Rows of `times` (name -> seconds Measurement), the first row the baseline."""
    baseline = next(iter(times.values()))
    print(f"\n{title}")
    print("| path | examples | seconds | examples/s | vs generate() |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {examples} | {seconds.text(1, 3)} | {examples / seconds.median:,.0f} | "
              f"{paired_ratio(baseline, seconds).median:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=60)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=2, help="seeds per scale in part 2")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hf_logging.disable_progress_bar()
    task = CountingTask.from_preset("paper")
    examples = len(task.test_set(args.length)["start"])

    print(machine_line())
    model = llama(task, make_scale("bench", f"h{args.hidden}", 0, args.layers, args.hidden), seed=0)
    paths = {"generate() fp32": timed(lambda: generate_scores(model, task, args.length))}
    for precision in ("fp32", "bf16"):
        paths[f"teacher-forced {precision}"] = timed(
            lambda precision=precision: teacher_forced_scores(model, task, args.length, precision=precision))
    times = interleave(paths, args.repeats)
    print_table(f"One model (hidden {args.hidden}, {args.layers} layers), paper preset, test length "
                f"{args.length}, {args.threads} threads", examples, times)
    # Both paths run the same matmuls over the same tokens (teacher forcing only removes the
    # per-token decode loop), so on a CPU the ratio is capped by the fast path's matmul rate.
    matmul_parameters = model.num_parameters() - model.model.embed_tokens.weight.numel()
    flops = 2 * matmul_parameters * examples * (args.length + 5)
    print(f"forward matmul work: {flops / 1e9:.2f} GFLOP; achieved "
          + ", ".join(f"{name} {flops / seconds.median / 1e9:.1f} GFLOP/s" for name, seconds in times.items()))

    with tempfile.TemporaryDirectory() as tmp:
        population = write_population(Path(tmp) / "bench_population", task, args.seeds)
        lengths = [args.length]
        total = len(resolve_models([str(population)])) * examples

        def reference():
            for entry in resolve_models([str(population)]):
                generate_scores(load_model(entry), entry.task, args.length)

        def fast():
            evaluate_population(
                population,
                Path(tmp) / f"results-{time.perf_counter_ns()}.parquet",
                test_lengths=lengths,
            )

        population_times = interleave({"generate() fp32, load + score": timed(reference),
                                       "evaluate_population fp32, load + score + write": timed(fast)},
                                      args.repeats)
        print_table(f"Population {len(SCALES)} scales x {args.seeds} seeds, test length {args.length}",
                    total, population_times)
    print(f"\n{spread_report({**times, **population_times})}")


if __name__ == "__main__":
    main()
