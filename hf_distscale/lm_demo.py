"""The LM-population path on a CPU, end to end and resumably (`hf-distscale demo --lm`).

tiny base LM -> reinit population -> lm-eval on `distscale_mc` -> analysis of
accuracy and of the correct answer's NLL -> the leaderboard site. What it builds is data: the `tiny`
LM preset (`hf_distscale/presets/lm/tiny.yaml`: base, corpus, training, demo
seeds). Every stage skips finished work, so a killed demo rerun picks up
where it stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PRESET = "tiny"
TASK = "distscale_mc"
METRICS = ("acc", "nll_correct")


def build_population(base: Path, corpus: Path, seeds: str, runs_dir: Path, processes: int) -> Path:
    """Build the reinit population in-process, or in `processes` torchrun processes of one thread."""
    if processes == 1:
        from hf_distscale.training.reinit_population import build_reinit_population
        from hf_distscale.training.seeds import parse_seeds

        build_reinit_population([str(base)], str(corpus), parse_seeds(seeds), PRESET, runs_dir)
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
                   "-m", "hf_distscale.training.reinit_cli", str(base), "--dataset", str(corpus),
                   "--seeds", seeds, "--preset", PRESET, "--out", str(runs_dir)]
        environment = dict(os.environ, OMP_NUM_THREADS="1")
        if subprocess.run(command, env=environment).returncode != 0:
            raise ValueError("the reinit population stopped before the end; rerun the demo to resume")
    return runs_dir / f"reinit-{PRESET}"


def run_lm_demo(out_dir: str | Path = "outputs/demo-lm", processes: int | None = None) -> dict[str, Path]:
    """Run every stage into `out_dir`; return {output name: path}."""
    from hf_distscale.analysis.report import analyze
    from hf_distscale.demo import default_processes
    from hf_distscale.evaluation.lm_eval_run import evaluate_lm_population
    from hf_distscale.leaderboard.build import build_leaderboard
    from hf_distscale.training.lm_objective import load_lm_preset
    from hf_distscale.training.tiny_base import train_tiny_base, write_corpus

    processes = default_processes() if processes is None else processes
    if processes < 1:
        raise ValueError(f"processes: {processes} is not a process count; give 1 or more")
    out_dir = Path(out_dir)
    outputs = {"base": train_tiny_base(out_dir / "base", PRESET)}
    outputs["corpus"] = write_corpus(out_dir / "corpus.txt", PRESET)
    print(f"[1/5] tiny base model: {outputs['base']}; corpus: {outputs['corpus']}", flush=True)
    seeds = str(load_lm_preset(PRESET)["demo"]["seeds"])
    outputs["population"] = build_population(outputs["base"], outputs["corpus"], seeds,
                                             out_dir / "runs", processes)
    print(f"[2/5] reinit population: {outputs['population']}", flush=True)
    outputs["results"] = out_dir / "results.parquet"
    evaluate_lm_population([str(outputs["population"])], [TASK], outputs["results"])
    print(f"[3/5] results table: {outputs['results']}", flush=True)
    for metric in METRICS:
        analysis = analyze(outputs["results"], out_dir / f"analysis-{metric}", metric=metric)
        outputs.update({f"{metric}_{name}": path for name, path in analysis.items()})
    print(f"[4/5] analysis: {', '.join(str(out_dir / f'analysis-{m}') for m in METRICS)}", flush=True)
    outputs["leaderboard"] = build_leaderboard(outputs["results"], out_dir / "leaderboard")
    print(f"[5/5] leaderboard: {outputs['leaderboard']} "
          f"(serve it with `python -m http.server -d {out_dir / 'leaderboard'}`)", flush=True)
    return outputs
