"""`hf-distscale demo`: the whole pipeline on a small built-in preset, resumably.

What runs is the preset's recipe (`hf_distscale.pipeline`): its `demo` section
names the stages and their sizes. Without `--lm` that is a counting preset:
dataset -> population training -> evaluation -> analysis (with the verdicts
and the seed-count planner) -> the three Hub repos, staged -> the leaderboard
site. With `--lm` it is an LM preset: tiny base LM -> reinit population ->
lm-eval -> analysis per metric -> the leaderboard site.
"""

from __future__ import annotations

import argparse

from hf_distscale.formats.outputs import GROWING, check_output
from hf_distscale.presets import load_lm_preset, load_preset

DEFAULT_PRESET = "reduced"
DEFAULT_LM_PRESET = "tiny"
# Output names of the files `analyze` writes (figures, tables): listed by their folder, not one by one.
ANALYSIS_FILE_SUFFIXES = ("_png", "_svg", "_csv", "_json", "_md")


def run(args: argparse.Namespace) -> None:
    preset, out = (DEFAULT_LM_PRESET, "outputs/demo-lm") if args.lm else (DEFAULT_PRESET, "outputs/demo")
    (load_lm_preset if args.lm else load_preset)(args.preset or preset)  # an unknown name, before torch loads
    check_output(args.out or out, GROWING, example="demo")
    from hf_distscale.pipeline import run_pipeline  # imports torch and every stage; the CLI must stay fast

    outputs = run_pipeline(args.preset or preset, args.out or out, lm=args.lm, processes=args.processes)
    print("\nOutputs (figures and tables are inside the analysis folders):")
    for name, path in outputs.items():
        if not name.endswith(ANALYSIS_FILE_SUFFIXES):
            print(f"  {name:20s} {path}")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole pipeline on a small built-in preset",
        description="dataset -> training -> evaluation -> analysis on a CPU-sized preset; "
                    "rerun to resume after an interruption.",
    )
    parser.add_argument("--out", help="output folder (default: outputs/demo, or outputs/demo-lm with --lm)")
    parser.add_argument("--preset",
                        help=f"preset with a demo section (default: {DEFAULT_PRESET}, "
                             f"or the LM preset {DEFAULT_LM_PRESET} with --lm)")
    parser.add_argument("--lm", action="store_true",
                        help="the LM-population path: a tiny base LM, a reinit population, "
                             "lm-eval on the self-written multiple-choice task, analysis")
    parser.add_argument("--processes", type=int,
                        help="training processes (default: one per GPU, else min(2, CPU count))")
    parser.set_defaults(func=run)
