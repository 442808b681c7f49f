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

Every command is printed before it runs, with its wall time after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "dataset_scripts"))

from olah_server import OlahServer  # noqa: E402
from real_assets import cache_dir  # noqa: E402

SUBJECTS = ["abstract_algebra", "astronomy", "high_school_geography", "marketing",
            "high_school_psychology"]


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
    with OlahServer(out / "olah", mirrors=published["mirrors"]) as hub:
        env = hub.env(HF_HOME=str(out / "hf_home"), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
        for command in commands:
            print("$ hf-distscale " + " ".join(command), flush=True)
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "hf_distscale.cli", *command], env=env, check=True)
            print(f"# {time.monotonic() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
