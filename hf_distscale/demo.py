"""`hf-distscale demo`: the whole pipeline on a small built-in preset, resumably.

dataset -> population training -> evaluation -> analysis (with the verdicts
and the seed-count planner) -> the three Hub repos, staged -> the leaderboard
site. What the demo trains (family, scales, seeds) is data: the `demo` section
of the preset's YAML. Every stage skips finished work, so a killed demo rerun
picks up where it stopped. `--lm` runs the LM-population path instead
(`hf_distscale.lm_demo`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from hf_distscale.presets import available_presets, load_preset

DEFAULT_PRESET = "reduced"


def demo_plan(preset: str) -> dict:
    """The preset's `demo` section: {"family", "scales", "seeds", optional "breakthrough_test_length"}."""
    plan = load_preset(preset).get("demo")
    if not plan:
        with_demo = [name for name in available_presets() if load_preset(name).get("demo")]
        raise ValueError(
            f"preset: {preset!r} has no demo section; choose one of {', '.join(with_demo)}"
        )
    return plan


def build_dataset(preset: str, out_dir: Path) -> Path:
    """Export the Hub-ready dataset folder once; its card (written last) marks it finished."""
    from hf_distscale.data.export import export_dataset

    if (out_dir / "README.md").is_file():
        return out_dir
    return export_dataset([preset], out_dir, overwrite=True)


def train(preset: str, plan: dict, runs_dir: Path, processes: int) -> Path:
    """Train the population in-process, or in `processes` torchrun processes of one thread each."""
    if processes == 1:
        from hf_distscale.training.population import train_population
        from hf_distscale.training.seeds import parse_seeds

        train_population(plan["family"], plan["scales"], parse_seeds(str(plan["seeds"])), preset,
                         runs_dir)
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
                   str(processes), "-m", "hf_distscale.training", "--family", plan["family"],
                   "--scales", ",".join(plan["scales"]), "--seeds", str(plan["seeds"]),
                   "--preset", preset, "--out", str(runs_dir)]
        environment = dict(os.environ, OMP_NUM_THREADS="1")
        if subprocess.run(command, env=environment).returncode != 0:
            raise ValueError("training stopped before the end; rerun `hf-distscale demo` to resume")
    return runs_dir / f"{plan['family']}-{preset}"


def default_processes() -> int:
    """One training process per GPU; on a CPU one single-thread process per core, up to two."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.device_count()
    return min(2, os.cpu_count() or 1)


def run_demo(out_dir: str | Path = "outputs/demo", preset: str = DEFAULT_PRESET,
             processes: int | None = None) -> dict[str, Path]:
    """Run every stage into `out_dir`; return {output name: path}."""
    from hf_distscale.analysis import DistributionalStatistics, describe_plan
    from hf_distscale.analysis.report import analyze
    from hf_distscale.evaluation.run import evaluate_population
    from hf_distscale.hub import stage_all
    from hf_distscale.leaderboard import build_site

    plan = demo_plan(preset)
    processes = default_processes() if processes is None else processes
    if processes < 1:
        raise ValueError(f"processes: {processes} is not a process count; give 1 or more")
    out_dir = Path(out_dir)
    outputs = {"dataset": build_dataset(preset, out_dir / "dataset")}
    print(f"[1/6] dataset: {outputs['dataset']}", flush=True)
    outputs["population"] = train(preset, plan, out_dir / "runs", processes)
    print(f"[2/6] population: {outputs['population']}", flush=True)
    outputs["results"] = out_dir / "results.parquet"
    evaluate_population(outputs["population"], outputs["results"])
    print(f"[3/6] results table: {outputs['results']}", flush=True)
    analysis = analyze(outputs["results"], out_dir / "analysis",
                       breakthrough_test_length=plan.get("breakthrough_test_length"))
    outputs.update(analysis)
    print(f"[4/6] analysis: {out_dir / 'analysis'}", flush=True)
    statistics = DistributionalStatistics.from_dict(
        json.loads(Path(analysis["statistics_json"]).read_text()))
    print(describe_plan(outputs["results"], preset=preset, statistics=statistics), flush=True)
    print(f"[5/6] Hub repos, staged under {out_dir / 'hub'}; push each with:", flush=True)
    for kind, (folder, command) in stage_all(out_dir, outputs["population"], outputs["dataset"],
                                             outputs["results"]).items():
        outputs[f"hub_{kind}"] = folder
        print(f"  {command}", flush=True)
    outputs["leaderboard"] = build_site(out_dir / "analysis", out_dir / "leaderboard")
    print(f"[6/6] leaderboard: {outputs['leaderboard']} "
          f"(serve it with `python -m http.server -d {out_dir / 'leaderboard'}`)", flush=True)
    return outputs


def run(args: argparse.Namespace) -> None:
    if args.lm:
        from hf_distscale.lm_demo import run_lm_demo

        outputs = run_lm_demo(args.out or "outputs/demo-lm", args.processes)
    else:
        outputs = run_demo(args.out or "outputs/demo", args.preset, args.processes)
    print("\nOutputs:")
    for name, path in outputs.items():
        print(f"  {name:28s} {path}")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole pipeline on a small built-in preset",
        description="dataset -> training -> evaluation -> analysis on a CPU-sized preset; "
                    "rerun to resume after an interruption.",
    )
    parser.add_argument("--out", help="output folder (default: outputs/demo, or outputs/demo-lm with --lm)")
    parser.add_argument("--preset", default=DEFAULT_PRESET,
                        help=f"preset with a demo section (default: {DEFAULT_PRESET})")
    parser.add_argument("--lm", action="store_true",
                        help="the LM-population path: a tiny base LM, a reinit population, "
                             "lm-eval on the self-written multiple-choice task, analysis")
    parser.add_argument("--processes", type=int,
                        help="training processes (default: one per GPU, else min(2, CPU count))")
    parser.set_defaults(func=run)
