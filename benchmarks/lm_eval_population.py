"""`hf-distscale lm-eval` throughput: tasks built once against lm-eval per model, same run.

A population folder of random-weight Llamas on the toy world (speed does not
depend on training) goes through `evaluate_lm_population` (tasks built once,
`HFLM` over the loaded model). The baseline is what a loop over lm-eval's own
entry point does per model: `simple_evaluate` with a fresh `TaskManager` and
`HFLM(pretrained=<folder>)`. Both score the same items.

    python benchmarks/lm_eval_population.py [--seeds 4] [--hidden 64] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from hf_distscale.evaluation.lm_eval_run import OUR_TASKS, evaluate_lm_population
from hf_distscale.tasks.toy_knowledge import build_tokenizer

TASK = "distscale_mc"


def write_population(root: Path, seeds: int, hidden: int, layers: int) -> Path:
    tokenizer = build_tokenizer()
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 8 // 3,
            num_hidden_layers=layers, num_attention_heads=max(1, hidden // 64),
            num_key_value_heads=max(1, hidden // 64), max_position_embeddings=64,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ))
        folder = root / f"h{hidden}" / f"seed-{seed:04d}"
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        record = {"population": root.name, "family": "bench", "scale": f"h{hidden}",
                  "scale_index": 0, "num_parameters": model.num_parameters(),
                  "num_layers": layers, "hidden_size": hidden, "seed": seed, "data_seed": seed,
                  "precision": "fp32", "preset": "bench"}
        (folder / "seed_record.json").write_text(json.dumps(record))
    return root


def per_model_loop(folders: list[Path], batch_size: int) -> None:
    """The baseline: lm-eval's entry point once per model, tasks rebuilt each time."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    for folder in folders:
        manager = TaskManager(include_path=str(OUR_TASKS), include_defaults=False)
        lm = HFLM(pretrained=str(folder), device="cpu", batch_size=batch_size)
        simple_evaluate(model=lm, tasks=[TASK], task_manager=manager, bootstrap_iters=0,
                        log_samples=True, verbosity="ERROR")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("lm_eval").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_population(Path(tmp) / "bench", args.seeds, args.hidden, args.layers)
        folders = sorted(root.glob("*/seed-*"))
        start = time.perf_counter()
        per_model_loop(folders, args.batch_size)
        baseline = (time.perf_counter() - start) / len(folders)
        start = time.perf_counter()
        evaluate_lm_population([str(root)], [TASK], Path(tmp) / "r.parquet",
                               batch_size=args.batch_size, device="cpu")
        ours = (time.perf_counter() - start) / len(folders)
    print(f"\n{TASK} (72 items x 4 choices), {args.seeds} seeds of a {args.layers}-layer "
          f"h{args.hidden} Llama, {args.threads} thread(s), CPU")
    print("| path | s / model | speed-up |")
    print("|---|---:|---:|")
    print(f"| simple_evaluate per model (fresh TaskManager, HFLM from the folder) | "
          f"{baseline:.2f} | 1.0x |")
    print(f"| hf-distscale lm-eval (tasks built once, side tables written) | {ours:.2f} | "
          f"{baseline / ours:.1f}x |")


if __name__ == "__main__":
    main()
