"""`hf-distscale reinit` (and `python -m hf_distscale.training.reinit_cli` under torchrun): build a
population by re-initialising parts of pretrained causal LMs and continuing their pretraining."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hf_distscale.formats.outputs import GROWING, check_output
from hf_distscale.training.cli import (
    add_population_arguments, population_options, print_records, standalone_main,
)
from hf_distscale.presets import available_lm_presets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", nargs="+",
                        help="base causal LM(s): model folders or Hub repo ids; one scale each")
    parser.add_argument("--dataset", required=True,
                        help="text for continued pretraining: a `load_dataset` path or repo id, "
                             "or local .txt/.parquet/.jsonl files (comma-separated)")
    parser.add_argument("--dataset-config", help="config name of a `load_dataset` dataset, "
                                                 "e.g. wikitext-103-raw-v1")
    parser.add_argument("--split", default="train",
                        help="dataset split, slices allowed, e.g. 'train[:10%%]' (default: train)")
    parser.add_argument("--text-column", default="text", help="column holding the text (default: text)")
    parser.add_argument("--reinit", action="append", metavar="PATTERN",
                        help="parameter-name pattern to re-initialise (fnmatch, repeatable, e.g. "
                             "'model.layers.23.self_attn.*'); default: the last decoder layer's "
                             "attention and the LM head")
    parser.add_argument("--revision", help="revision (branch, tag or commit) of Hub-repo bases")
    add_population_arguments(parser, seeds_example="0-79", preset="tiny",
                             preset_help=f"LM training preset ({', '.join(available_lm_presets())})",
                             population_default="reinit-PRESET")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> list[dict]:
    from hf_distscale.hub.errors import looks_like_path, no_such_path
    from hf_distscale.presets import load_lm_preset
    from hf_distscale.training.seeds import parse_seeds

    seeds, options = parse_seeds(args.seeds), population_options(args)
    # Preset and local base paths checked without torch (`build_reinit_population` imports it).
    load_lm_preset(args.preset)
    for base in args.base:
        if looks_like_path(base) and not Path(base).expanduser().exists():
            raise no_such_path(base, "base model folder")
    check_output(args.out, GROWING, inputs=[*args.base, *args.dataset.split(",")], example="runs")
    from hf_distscale.training.reinit_population import build_reinit_population

    records = build_reinit_population(
        args.base, args.dataset, seeds, args.preset, args.out,
        split=args.split, text_column=args.text_column, dataset_config=args.dataset_config,
        patterns=args.reinit, revision=args.revision, **options,
    )
    print_records(records, [("scale", "scale", 16, ""), ("seed", "seed", 5, ""), ("steps", "steps", 6, ""),
                            ("train loss", "final_train_loss", 10, ".4f"),
                            ("held-out", "heldout_loss", 9, ".4f"), ("time s", "wall_time_s", 7, ".1f")])
    return records


def main(argv: list[str] | None = None) -> int:
    """The torchrun entry point: `torchrun -m hf_distscale.training.reinit_cli BASE ...`."""
    return standalone_main("reinit", "Build a reinit population of seeds.", add_arguments, run, argv)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reinit", help="build a population from pretrained LMs: re-initialise, continue pretraining")
    add_arguments(parser)
    parser.set_defaults(func=run)


if __name__ == "__main__":
    sys.exit(main())
