"""The demo pipeline: a recipe of stages read from a preset, run in order into one folder, resumably.

A recipe is a preset's `demo` section: `stages`, the stage names in the order
they run (the keys of `STAGES`), and the sizes the stages read. A counting
preset (`hf_distscale/presets/<name>.yaml`) runs

    dataset -> train -> evaluate -> analyze (+ the seed-count planner) -> hub -> leaderboard -> reference

with `family`, `scales`, `seeds`, an optional `breakthrough_test_length`,
and `reference`: the shipped reference population (hf_distscale/reference/)
whose results the last stage analyses, so that the demo ends on the
verdicts and the paper's findings of a population large enough to test them;
an LM preset (`hf_distscale/presets/lm/<name>.yaml`) runs

    base -> reinit -> lm_eval -> analyze (one folder per metric) -> leaderboard

with `seeds`, `tasks` and `metrics`. Every stage skips finished work, so a
killed run rerun picks up where it stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from hf_distscale.analysis import analyze
from hf_distscale.analysis.summary import console_tables
from hf_distscale.data import export_dataset
from hf_distscale.evaluation import evaluate_population
from hf_distscale.evaluation.lm_eval_run import evaluate_lm_population
from hf_distscale.formats.items import items_beside, read_items
from hf_distscale.hub import stage_all
from hf_distscale.leaderboard import build_site
from hf_distscale.presets import available_lm_presets, available_presets, load_lm_preset, load_preset
from hf_distscale.training import parse_seeds, train_population
from hf_distscale.training.reinit_population import build_reinit_population
from hf_distscale.training.tiny_base import train_tiny_base, write_corpus


# Results tables that ship with the package (each with a dataset card saying how it was made).
REFERENCE_DIR = Path(__file__).with_name("reference")


@dataclass
class Run:
    """One pipeline run: what the stages read (preset, recipe, folder) and what they wrote so far."""

    preset: str
    recipe: dict
    out_dir: Path
    processes: int
    outputs: dict[str, Path] = field(default_factory=dict)


def build_dataset(run: Run) -> list[str]:
    """Export the Hub-ready dataset folder once; its card (written last) marks it finished."""
    folder = run.out_dir / "dataset"
    if not (folder / "README.md").is_file():
        export_dataset([run.preset], folder, overwrite=True)
    run.outputs["dataset"] = folder
    return [f"dataset: {folder}"]


def train_counting(run: Run) -> list[str]:
    recipe, runs_dir = run.recipe, run.out_dir / "runs"
    train_in_processes(
        run, lambda: train_population(recipe["family"], recipe["scales"], parse_seeds(str(recipe["seeds"])),
                                      run.preset, runs_dir),
        ["hf_distscale.training", "--family", recipe["family"], "--scales", ",".join(recipe["scales"]),
         "--seeds", str(recipe["seeds"]), "--preset", run.preset, "--out", str(runs_dir)])
    run.outputs["population"] = runs_dir / f"{recipe['family']}-{run.preset}"
    return [f"population: {run.outputs['population']}"]


def train_base(run: Run) -> list[str]:
    run.outputs["base"] = train_tiny_base(run.out_dir / "base", run.preset)
    run.outputs["corpus"] = write_corpus(run.out_dir / "corpus.txt", run.preset)
    return [f"tiny base model: {run.outputs['base']}; corpus: {run.outputs['corpus']}"]


def train_reinit(run: Run) -> list[str]:
    base, corpus, seeds = str(run.outputs["base"]), str(run.outputs["corpus"]), str(run.recipe["seeds"])
    runs_dir = run.out_dir / "runs"
    train_in_processes(
        run, lambda: build_reinit_population([base], corpus, parse_seeds(seeds), run.preset, runs_dir),
        ["hf_distscale.training.reinit_cli", base, "--dataset", corpus, "--seeds", seeds,
         "--preset", run.preset, "--out", str(runs_dir)])
    run.outputs["population"] = runs_dir / f"reinit-{run.preset}"
    return [f"reinit population: {run.outputs['population']}"]


def train_in_processes(run: Run, in_process: Callable[[], object], module_and_arguments: list[str]) -> None:
    """Train in this process, or in `run.processes` torchrun processes of one thread each."""
    if run.processes == 1:
        in_process()
        return
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(run.processes),
               "-m", *module_and_arguments]
    if subprocess.run(command, env=dict(os.environ, OMP_NUM_THREADS="1")).returncode != 0:
        raise ValueError("training stopped before the end; rerun `hf-distscale demo` to resume")


def evaluate_counting(run: Run) -> list[str]:
    run.outputs["results"] = run.out_dir / "results.parquet"
    evaluate_population(run.outputs["population"], run.outputs["results"])
    return [f"results table: {run.outputs['results']}"]


def evaluate_lm(run: Run) -> list[str]:
    run.outputs["results"] = run.out_dir / "results.parquet"
    evaluate_lm_population([str(run.outputs["population"])], run.recipe["tasks"], run.outputs["results"])
    return [f"results table: {run.outputs['results']}"]


def analysis_folders(run: Run) -> dict[str, Path]:
    """Metric -> analysis folder: analysis/ for EM, or with `metrics` analysis-<metric>/ each."""
    metrics = run.recipe.get("metrics")
    if metrics:
        return {metric: run.out_dir / f"analysis-{metric}" for metric in metrics}
    return {"em": run.out_dir / "analysis"}


def analyze_results(run: Run) -> list[str]:
    """One analysis of EM into analysis/, or with `metrics` one per metric into analysis-<metric>/.

    Prints the verdicts (with the planner's seed counts) and the findings; `seed_plan` adds the
    command that plans every condition and prices it.
    """
    folders = analysis_folders(run)
    if run.recipe.get("metrics"):
        for metric, folder in folders.items():
            written = analyze(run.outputs["results"], folder, metric=metric)
            run.outputs.update({f"{metric}_{name}": path for name, path in written.items()})
    else:
        run.outputs.update(analyze(run.outputs["results"], folders["em"],
                                   breakthrough_test_length=run.recipe.get("breakthrough_test_length")))
    lines = [f"analysis: {', '.join(map(str, folders.values()))}", console_tables(next(iter(folders.values())))]
    if run.recipe.get("seed_plan"):
        lines.append(f"Seeds needed at every condition, with GPU-hours: "
                     f"hf-distscale plan {run.outputs['results']} --preset {run.preset}")
    return lines


def stage_hub_repos(run: Run) -> list[str]:
    staged = stage_all(run.out_dir, run.outputs["population"], run.outputs["dataset"], run.outputs["results"])
    lines = [f"Hub repos, staged under {run.out_dir / 'hub'}; push each with:"]
    for kind, (folder, command) in staged.items():
        run.outputs[f"hub_{kind}"] = folder
        lines.append(f"  {command}")
    return lines


def build_leaderboard(run: Run) -> list[str]:
    """The site from the first analysis folder: the page reads what `analyze` wrote."""
    folder = run.out_dir / "leaderboard"
    run.outputs["leaderboard"] = build_site(next(iter(analysis_folders(run).values())), folder)
    return [f"leaderboard: {run.outputs['leaderboard']} (serve it with `python -m http.server -d {folder}`)"]


def analyze_reference(run: Run) -> list[str]:
    """Analyse the shipped reference population's results table, with its items table where it ships one
    (no training: both ship with the package)."""
    reference = run.recipe["reference"]
    results = REFERENCE_DIR / reference["name"] / "results.parquet"
    folder = run.out_dir / "reference-analysis"
    run.outputs["reference_analysis"] = folder
    items_file = items_beside(results)
    items = None if items_file is None else read_items(items_file)
    analyze(results, folder, breakthrough_test_length=reference.get("breakthrough_test_length"), plan=False,
            items=items)
    return [f"reference population {reference['name']} ({results}): analysis in {folder}", console_tables(folder)]


# Recipe stage name -> the stage: it reads `run`, adds its outputs, returns its printed lines.
STAGES: dict[str, Callable[[Run], list[str]]] = {
    "dataset": build_dataset,
    "train": train_counting,
    "base": train_base,
    "reinit": train_reinit,
    "evaluate": evaluate_counting,
    "lm_eval": evaluate_lm,
    "analyze": analyze_results,
    "hub": stage_hub_repos,
    "leaderboard": build_leaderboard,
    "reference": analyze_reference,
}


def load_recipe(preset: str, lm: bool = False) -> dict:
    """The `demo` section of the counting preset (or with `lm` the LM preset) `preset`."""
    kind, load, names = ("LM preset", load_lm_preset, available_lm_presets) if lm else \
        ("preset", load_preset, available_presets)
    recipe = load(preset).get("demo")
    if not recipe:
        with_demo = [name for name in names() if load(name).get("demo")]
        raise ValueError(f"{kind}: {preset!r} has no demo section; choose one of {', '.join(with_demo)}")
    unknown = [name for name in recipe.get("stages", []) if name not in STAGES]
    if unknown or not recipe.get("stages"):
        raise ValueError(f"{kind}: {preset!r} demo stages {recipe.get('stages')!r} are not a list "
                         f"of {', '.join(STAGES)}")
    return recipe


def default_processes() -> int:
    """One training process per GPU; on a CPU one single-thread process per core, up to two."""
    if torch.cuda.is_available():
        return torch.cuda.device_count()
    return min(2, os.cpu_count() or 1)


def run_pipeline(preset: str, out_dir: str | Path, lm: bool = False,
                 processes: int | None = None) -> dict[str, Path]:
    """Run the preset's recipe into `out_dir`, printing a numbered header before each stage and its
    outputs after it; return {output name: path}."""
    recipe = load_recipe(preset, lm)
    processes = default_processes() if processes is None else processes
    if processes < 1:
        raise ValueError(f"processes: {processes} is not a process count; give 1 or more")
    run = Run(preset, recipe, Path(out_dir), processes)
    for number, name in enumerate(recipe["stages"], 1):
        print(f"\n[{number}/{len(recipe['stages'])}] {name}", flush=True)
        for line in STAGES[name](run):
            print(line, flush=True)
    return run.outputs
