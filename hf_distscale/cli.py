"""`hf-distscale <verb>`: one verb per pipeline stage.

Each stage module owns its verb through `register(subparsers)`; the parser
sets `func`, which receives the parsed arguments. Bad input surfaces as a
ValueError or OSError and becomes one line on stderr with exit code 2
(`hf_distscale.console`). A verb module imports torch, transformers, datasets
and lm-eval only inside the function that runs, so `--help` and the errors
found before heavy work answer at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hf_distscale.console import ArgumentParser, report_errors

# Pipeline order: task -> training -> evaluation -> analysis -> hub -> leaderboard.
STAGE_MODULES = [
    "hf_distscale.data.cli",
    "hf_distscale.training.cli",
    "hf_distscale.training.reinit_cli",
    "hf_distscale.evaluation.cli",
    "hf_distscale.evaluation.lm_eval_cli",
    "hf_distscale.evaluation.ingest_cli",
    "hf_distscale.evaluation.verify_cli",
    "hf_distscale.analysis.cli",
    "hf_distscale.analysis.plan_cli",
    "hf_distscale.analysis.compare_cli",
    "hf_distscale.hub.cli",
    "hf_distscale.site",
    "hf_distscale.demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="hf-distscale",
        description="Train, evaluate and analyse seed populations for emergent capabilities.",
    )
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name in STAGE_MODULES:
        importlib.import_module(name).register(subparsers)
    add_verbose(parser, default=False)
    return parser


def add_verbose(parser: argparse.ArgumentParser, default) -> None:
    """`--verbose` on `parser` and on every verb and action below it, so it goes anywhere on the line."""
    parser.add_argument("--verbose", action="store_true", default=default,
                        help="let libraries' log lines, progress bars and warnings through")
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for sub in dict.fromkeys(action.choices.values()):
            add_verbose(sub, argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return report_errors(f"hf-distscale {args.verb}", args.func, args)


if __name__ == "__main__":
    sys.exit(main())
