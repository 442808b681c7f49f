"""Can the packed training stream keep up with training?

For each preset it measures, in the same run:
- the stream's generation rate (packed rows/s from `CountingTask.training_batch`),
- the model's consumption rate (rows/s of one fp32 AdamW training step of the
  preset's batch on the smallest scale of a family, i.e. the fastest consumer),
and prints their ratio (the stream's headroom; > 1 means it keeps up).

    python benchmarks/data_stream.py
"""

from __future__ import annotations

import time

import torch
from transformers import LlamaForCausalLM

from hf_distscale.models.scales import family_scales, llama_config
from hf_distscale.presets import load_preset
from hf_distscale.tasks import CountingTask, labels_from_mask

CASES = [("smoke", "cpu_depth"), ("reduced", "cpu_depth"), ("paper", "fixed_depth")]


def rate(work, rows: int, min_seconds: float = 1.0) -> float:
    """Rows per second of `work()` (which handles `rows` rows), after one warm-up call."""
    work()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        work()
        calls += 1
    return calls * rows / elapsed


def main() -> None:
    print(f"{'preset':<8} {'consumer':<16} {'batch':>5} {'ctx':>4} "
          f"{'stream rows/s':>14} {'train rows/s':>13} {'headroom':>9}")
    for preset, family in CASES:
        task = CountingTask.from_preset(preset)
        batch_size = load_preset(preset)["training"]["batch_size"]
        stream = rate(lambda: task.training_batch(0, 0, batch_size), batch_size)

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

        train = rate(train_step, batch_size, min_seconds=3.0)
        print(f"{preset:<8} {family + '/' + scale.name:<16} {batch_size:>5} {task.context_length:>4} "
              f"{stream:>14,.0f} {train:>13,.1f} {stream / train:>8,.0f}x")


if __name__ == "__main__":
    main()
