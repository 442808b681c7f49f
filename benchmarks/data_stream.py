"""Can the packed training stream keep up with training?

For each preset it measures, in the same run:
- the stream's generation rate (packed rows/s from `CountingTask.training_batch`),
- the model's consumption rate (rows/s of one fp32 AdamW training step of the
  preset's batch on the smallest scale of a family, i.e. the fastest consumer),
and prints their ratio (the stream's headroom; > 1 means it keeps up). The
two take turns (`timing.interleave`): each sample is the rate over about a
second, the table gives the median (min-max) of `--repeats` rounds, and the
headroom is the median of the ratios within a round.

    python benchmarks/data_stream.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import torch
from timing import interleave, machine_line, paired_ratio, spread_report
from transformers import LlamaForCausalLM

from hf_distscale.models.scales import family_scales, llama_config
from hf_distscale.presets import load_preset
from hf_distscale.tasks import CountingTask, labels_from_mask

CASES = [("smoke", "cpu_depth"), ("reduced", "cpu_depth"), ("paper", "fixed_depth")]


def rate(work, rows: int, min_seconds: float = 1.0) -> float:
    """Rows per second of `work()` (which handles `rows` rows), over at least `min_seconds`."""
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        work()
        calls += 1
    return calls * rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds after the warm-up (default 3)")
    args = parser.parse_args()
    print(f"{machine_line()}; median (min-max) of {args.repeats} interleaved rounds")
    print("| preset | consumer | batch x context | stream rows/s | training rows/s | headroom |")
    print("|---|---|---|---:|---:|---:|")
    spread_results = {}
    for preset, family in CASES:
        task = CountingTask.from_preset(preset)
        batch_size = load_preset(preset)["training"]["batch_size"]
        scale = family_scales(family, task)[0]
        model = LlamaForCausalLM(llama_config(scale, task))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        batch = task.training_batch(0, 0, batch_size)
        input_ids = torch.from_numpy(batch["input_ids"]).long()
        labels = torch.from_numpy(labels_from_mask(batch["input_ids"], batch["loss_mask"])).long()

        def train_step():
            model(input_ids=input_ids, labels=labels).loss.backward()
            optimizer.step()
            optimizer.zero_grad()

        rates = interleave({"stream": lambda: rate(lambda: task.training_batch(0, 0, batch_size), batch_size),
                            "train": lambda: rate(train_step, batch_size)}, args.repeats)
        spread_results.update({f"{preset} {name}": result for name, result in rates.items()})
        print(f"| {preset} | {family}/{scale.name} | {batch_size} x {task.context_length} | "
              f"{rates['stream'].text(1, 0)} | {rates['train'].text(1, 1)} | "
              f"{paired_ratio(rates['stream'], rates['train']).median:,.0f}x |")
    print(f"\n{spread_report(spread_results)}")


if __name__ == "__main__":
    main()
