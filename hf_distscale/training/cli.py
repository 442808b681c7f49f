"""`hf-distscale train` (and `train.py`): train a population of seeds."""

from __future__ import annotations

import argparse

from hf_distscale.console import ArgumentParser, report_errors
from hf_distscale.formats.outputs import GROWING, check_output
from hf_distscale.models import available_families
from hf_distscale.presets import available_presets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--family", required=True,
                        help=f"scale family ({', '.join(available_families())})")
    parser.add_argument("--scales", default="all", help="'all' or a comma list, e.g. l1,l2")
    add_population_arguments(parser, seeds_example="0-7", preset="paper",
                             preset_help=f"task + training preset ({', '.join(available_presets())})",
                             population_default="FAMILY-PRESET")
    parser.add_argument("--compile", action="store_true", help="torch.compile the training step")
    parser.add_argument("--seeds-per-process", default="auto", metavar="K",
                        help="seeds trained at once per process as one batched computation; 1 is "
                             "one seed at a time (default 'auto': 1 on CPU, on CUDA the largest K "
                             "that fits the free memory)")
    parser.add_argument("--data-workers", type=int, metavar="N",
                        help="processes making batches for K > 1 (default: 0 on CPU, this "
                             "process's share of the cores less one on CUDA)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def add_population_arguments(parser: argparse.ArgumentParser, *, seeds_example: str, preset: str,
                             preset_help: str, population_default: str) -> None:
    """The arguments every population-building verb takes: seeds, data seeds, preset, output
    folder and name, precision and training overrides."""
    parser.add_argument("--seeds", required=True, help=f"seeds, e.g. {seeds_example} or 0,3,5")
    parser.add_argument("--data-seeds", help="data seeds, one per seed or one for all "
                                             "(default: data seed = seed)")
    parser.add_argument("--preset", default=preset, help=preset_help)
    parser.add_argument("--out", default="runs", help="output folder (default: runs)")
    parser.add_argument("--population", help=f"population name (default: {population_default})")
    parser.add_argument("--precision", choices=["fp32", "bf16"],
                        help="fp32 or bf16 autocast (default: fp32 on CPU, bf16 on CUDA)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a training field of the preset, e.g. --set max_steps=200")


def population_options(args: argparse.Namespace) -> dict:
    """The keyword arguments `add_population_arguments` gives a population builder, parsed
    (the positional seeds are `parse_seeds(args.seeds)`)."""
    from hf_distscale.training.config import parse_overrides
    from hf_distscale.training.seeds import parse_seeds

    return dict(precision=args.precision,
                data_seeds=parse_seeds(args.data_seeds) if args.data_seeds else None,
                population=args.population, training_overrides=parse_overrides(args.set),
                progress=not args.no_progress)


def print_records(records: list[dict], columns: list[tuple[str, str, int, str]]) -> None:
    """Seed records as a table on stdout, printed by the main process only (every process
    holds all records). Each column is (header, record key, width, number format)."""
    from accelerate import PartialState

    if PartialState().is_main_process:
        print(" ".join(f"{header:>{width}}" for header, _, width, _ in columns))
        for record in records:
            print(" ".join(f"{record[key]:>{width}{spec}}" for _, key, width, spec in columns))


def standalone_main(verb: str, description: str, add_arguments, run, argv: list[str] | None) -> int:
    """A verb as its own program (what torchrun and `accelerate launch` start): parse `argv`,
    run, and report bad input as one line with exit code 2, as `hf-distscale VERB` does."""
    parser = ArgumentParser(prog=verb, description=description)
    add_arguments(parser)
    return report_errors(verb, run, parser.parse_args(argv))


def parse_seeds_per_process(text: str) -> int | None:
    """'auto' -> None (chosen from memory), else a positive integer."""
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"--seeds-per-process: {text!r} is not 'auto' or a positive integer, e.g. 64")
    return value


def run(args: argparse.Namespace) -> list[dict]:
    from hf_distscale.models import select_scales
    from hf_distscale.tasks.counting import CountingTask
    from hf_distscale.training.config import TrainingConfig
    from hf_distscale.training.seeds import parse_seeds

    seeds, options = parse_seeds(args.seeds), population_options(args)
    seeds_per_process = parse_seeds_per_process(args.seeds_per_process)
    check_output(args.out, GROWING, example="runs")
    # Preset, family, scales and overrides checked without torch (`train_population` imports it).
    select_scales(args.family, CountingTask.from_preset(args.preset), args.scales)
    TrainingConfig.from_preset(args.preset, **options["training_overrides"])
    from hf_distscale.training.population import train_population

    records = train_population(
        args.family, args.scales, seeds, args.preset, args.out, **options, compile=args.compile,
        seeds_per_process=seeds_per_process, data_workers=args.data_workers,
    )
    print_records(records, [("scale", "scale", 6, ""), ("seed", "seed", 5, ""), ("steps", "steps", 6, ""),
                            ("stop", "stop_reason", 10, ""), ("loss", "final_train_loss", 8, ".4f"),
                            ("ID EM", "in_distribution_em", 6, ".3f"), ("time s", "wall_time_s", 7, ".1f")])
    return records


def main(argv: list[str] | None = None) -> int:
    """The `train.py` / `python -m hf_distscale.training` entry point (torchrun-friendly)."""
    return standalone_main("train", "Train a population of seeds.", add_arguments, run, argv)


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a population (scales x seeds)")
    add_arguments(parser)
    parser.set_defaults(func=run)
