"""`hf-distscale train` (and `train.py`): train a population of seeds."""

from __future__ import annotations

import argparse

from hf_distscale.models import available_families
from hf_distscale.presets import available_presets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--family", required=True,
                        help=f"scale family ({', '.join(available_families())})")
    parser.add_argument("--scales", default="all", help="'all' or a comma list, e.g. l1,l2")
    parser.add_argument("--seeds", required=True, help="seeds, e.g. 0-7 or 0,3,5")
    parser.add_argument("--data-seeds", help="data seeds, one per seed or one for all "
                                             "(default: data seed = seed)")
    parser.add_argument("--preset", default="paper",
                        help=f"task + training preset ({', '.join(available_presets())})")
    parser.add_argument("--out", default="runs", help="output folder (default: runs)")
    parser.add_argument("--population", help="population name (default: FAMILY-PRESET)")
    parser.add_argument("--precision", choices=["fp32", "bf16"],
                        help="fp32 or bf16 autocast (default: fp32 on CPU, bf16 on CUDA)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a training field of the preset, e.g. --set max_steps=200")
    parser.add_argument("--compile", action="store_true", help="torch.compile the training step")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> list[dict]:
    from hf_distscale.training.config import parse_overrides
    from hf_distscale.training.population import train_population
    from hf_distscale.training.seeds import parse_seeds

    records = train_population(
        args.family, args.scales, parse_seeds(args.seeds), args.preset, args.out,
        precision=args.precision,
        data_seeds=parse_seeds(args.data_seeds) if args.data_seeds else None,
        population=args.population, training_overrides=parse_overrides(args.set),
        compile=args.compile, progress=not args.no_progress,
    )
    from accelerate import PartialState

    if PartialState().is_main_process:
        print(f"{'scale':>6} {'seed':>5} {'steps':>6} {'stop':>10} {'loss':>8} {'ID EM':>6} {'time s':>7}")
        for r in records:
            print(f"{r['scale']:>6} {r['seed']:>5} {r['steps']:>6} {r['stop_reason']:>10} "
                  f"{r['final_train_loss']:>8.4f} {r['in_distribution_em']:>6.3f} {r['wall_time_s']:>7.1f}")
    return records


def main(argv: list[str] | None = None) -> int:
    """The `train.py` / `python -m hf_distscale.training` entry point (torchrun-friendly)."""
    from hf_distscale.cli import report_errors

    parser = argparse.ArgumentParser(description="Train a population of seeds.")
    add_arguments(parser)
    return report_errors("train", run, parser.parse_args(argv))


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a population (scales x seeds)")
    add_arguments(parser)
    parser.set_defaults(func=run)
