"""`hf-distscale lm-eval` throughput: tasks built once against lm-eval per model, same run.

Tiny (default): a population folder of random-weight Llamas on the toy world
(speed does not depend on training) goes through `evaluate_lm_population`
(tasks built once, `HFLM` over the loaded model). The baseline is what a loop
over lm-eval's own entry point does per model: `simple_evaluate` with a fresh
`TaskManager` and `HFLM(pretrained=<folder>)`. Both score the same items.

Real (`--real`): N copies of SmolLM2-135M-Instruct (`make real-assets`), each
with its last attention layer and LM head re-initialised under its own seed, on
a few MMLU subjects served by olah. One `hf-distscale lm-eval` process over the
population folder against N stock `lm_eval` CLI calls, one per copy; both are
whole processes (start-up, task indexing, data loading included), after one
untimed call that fills the dataset cache.

The two paths take turns (`timing.interleave`), `--repeats` rounds (after a
warm-up round in the tiny benchmark; the real one has its cache-filling call);
the tables give the median (min-max) and the ratio within a round.

    python benchmarks/lm_eval_population.py [--seeds 4] [--hidden 64] [--threads 1] [--repeats 1]
    python benchmarks/lm_eval_population.py --real --seeds 3 --limit 20 [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import itertools
import tempfile
from pathlib import Path

import torch
from timing import interleave, machine_line, paired_ratio, spread_report, timed
from transformers import LlamaConfig, LlamaForCausalLM

from hf_distscale.data.lm_eval_tasks import SHIPPED_TASKS
from hf_distscale.evaluation.lm_eval_run import evaluate_lm_population
from hf_distscale.tasks.toy_knowledge import build_tokenizer

TASK = "distscale_mc"
ROOT = Path(__file__).resolve().parents[1]
REAL_SUBJECTS = "mmlu_astronomy,mmlu_marketing"


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
        manager = TaskManager(include_path=str(SHIPPED_TASKS), include_defaults=False)
        lm = HFLM(pretrained=str(folder), device="cpu", batch_size=batch_size)
        simple_evaluate(model=lm, tasks=[TASK], task_manager=manager, bootstrap_iters=0,
                        log_samples=True, verbosity="ERROR")


def write_real_population(root: Path, base: Path, seeds: int) -> list[Path]:
    """N copies of the real base, each with the paper's parameters re-drawn under its seed."""
    from hf_distscale.training.reinit import default_patterns, load_base, reinit_parameters, select_parameters

    folders = []
    for seed in range(seeds):
        model, tokenizer = load_base(str(base))
        reinit_parameters(model, select_parameters(model, default_patterns(model)), seed)
        folder = root / "SmolLM2-135M" / f"seed-{seed:04d}"
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        record = {"population": root.name, "family": "bench", "scale": "SmolLM2-135M",
                  "scale_index": 0, "num_parameters": model.num_parameters(), "num_layers": 30,
                  "hidden_size": 576, "seed": seed, "data_seed": seed, "precision": "fp32",
                  "preset": "bench"}
        (folder / "seed_record.json").write_text(json.dumps(record))
        folders.append(folder)
    return folders


def run_quietly(command: list[str], env: dict) -> None:
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def real_benchmark(args) -> None:
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "dataset_scripts")]
    from olah_server import OlahServer
    from real_assets import cache_dir

    published = json.loads((cache_dir() / "published.json").read_text())
    common = ["--tasks", REAL_SUBJECTS, "--limit", str(args.limit)]
    with tempfile.TemporaryDirectory() as tmp, OlahServer(Path(tmp) / "hub", published["mirrors"]) as hub:
        env = hub.env(OMP_NUM_THREADS=str(args.threads), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        folders = write_real_population(Path(tmp) / "bench", Path(published["model"]["folder"]), args.seeds)
        run_quietly(["hf-distscale", "lm-eval", str(folders[0]), "--tasks", REAL_SUBJECTS, "--limit", "1",
                     "--out", f"{tmp}/warm.parquet"], env)
        calls = itertools.count()

        def stock():
            for folder in folders:
                run_quietly(["lm_eval", "--model", "hf", "--model_args", f"pretrained={folder},dtype=float32",
                             *common, "--batch_size", str(args.batch_size), "--device", "cpu",
                             "--output_path", f"{tmp}/stock-{next(calls)}", "--log_samples"], env)

        def ours():
            run_quietly(["hf-distscale", "lm-eval", str(Path(tmp) / "bench"), *common,
                         "--batch-size", str(args.batch_size), "--out", f"{tmp}/ours-{next(calls)}.parquet"], env)

        times = interleave({"stock": timed(stock), "ours": timed(ours)}, args.repeats, warmup=0)
    items = args.seeds * args.limit * len(REAL_SUBJECTS.split(","))
    stock, ours = times["stock"], times["ours"]
    print(f"\n{machine_line()}")
    print(f"{REAL_SUBJECTS} (--limit {args.limit}), {args.seeds} re-initialised copies of "
          f"SmolLM2-135M-Instruct, {items} items per path, {args.threads} thread(s), CPU, "
          f"median (min-max) of {args.repeats} rounds")
    print("| path | wall s | items/s | speed-up |")
    print("|---|---:|---:|---:|")
    print(f"| {args.seeds} stock `lm_eval` CLI calls, one per copy | {stock.text(1, 1)} | "
          f"{items / stock.median:.2f} | 1.0x |")
    print(f"| one `hf-distscale lm-eval` over the population folder | {ours.text(1, 1)} | "
          f"{items / ours.median:.2f} | {paired_ratio(stock, ours).median:.2f}x |")
    print(spread_report(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="SmolLM2-135M copies on MMLU subjects")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=20, help="MMLU items per subject (--real)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="rounds per path (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("lm_eval").setLevel(logging.ERROR)
    if args.real:
        return real_benchmark(args)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_population(Path(tmp) / "bench", args.seeds, args.hidden, args.layers)
        folders = sorted(root.glob("*/seed-*"))
        outputs = itertools.count()
        times = interleave({
            "baseline": timed(lambda: per_model_loop(folders, args.batch_size)),
            "ours": timed(lambda: evaluate_lm_population([str(root)], [TASK], Path(tmp) / f"r-{next(outputs)}.parquet",
                                                         batch_size=args.batch_size, device="cpu")),
        }, args.repeats)
    baseline, ours = times["baseline"], times["ours"]
    per_model = 1 / len(folders)
    print(f"\n{machine_line()}")
    print(f"{TASK} (72 items x 4 choices), {args.seeds} seeds of a {args.layers}-layer "
          f"h{args.hidden} Llama, {args.threads} thread(s), CPU, median (min-max) of {args.repeats} rounds")
    print("| path | s / model | speed-up |")
    print("|---|---:|---:|")
    print(f"| simple_evaluate per model (fresh TaskManager, HFLM from the folder) | "
          f"{baseline.text(per_model)} | 1.0x |")
    print(f"| hf-distscale lm-eval (tasks built once, side tables written) | {ours.text(per_model)} | "
          f"{paired_ratio(baseline, ours).median:.1f}x |")
    print(spread_report(times))


if __name__ == "__main__":
    main()
