"""`hf-distscale compare A [B]`: does one population beat another by more than the seed lottery?"""

from __future__ import annotations

import argparse
from pathlib import Path

from hf_distscale.analysis.bootstrap import N_PERMUTATIONS, N_RESAMPLES, check_resamples
from hf_distscale.analysis.thresholds import metric_names
from hf_distscale.formats.outputs import COMPARISON, check_output, folder_output
from hf_distscale.hub.errors import check_results_source


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare two populations (or two sides of one table) group by group, seeds as the unit",
        description="For every (family, scale, benchmark, condition) both sides measured: the differences "
        "in mean, P(success) and successful mean with intervals, a permutation test across seeds "
        "(Benjamini-Hochberg across groups), a verdict, and the seeds per side needed to detect --effect.",
    )
    parser.add_argument("a", help="side A: a results table (Parquet) or results repo id")
    parser.add_argument("b", nargs="?", default=None,
                        help="side B: another results table (default: A again, split with --a and --b)")
    parser.add_argument("--a", dest="filter_a", default=None, metavar="COLUMN=VALUE,...",
                        help="keep only these rows on side A, e.g. family=cpu_width,scale=h64")
    parser.add_argument("--b", dest="filter_b", default=None, metavar="COLUMN=VALUE,...",
                        help="keep only these rows on side B, e.g. family=cpu_width,scale=h128")
    parser.add_argument("--metric", default="em", choices=metric_names(), help="metric column (default: em)")
    parser.add_argument("--alpha", type=float, default=0.05, help="level of each test after BH (default: 0.05)")
    parser.add_argument("--power", type=float, default=0.8, help="power for the seeds-needed columns (default: 0.8)")
    parser.add_argument("--effect", type=float, default=0.15,
                        help="difference the seeds-needed columns are for, in metric units (default: 0.15)")
    parser.add_argument("--resamples", type=int, default=N_RESAMPLES, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--permutations", type=int, default=N_PERMUTATIONS,
                        help=f"random permutations per group (default: {N_PERMUTATIONS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling generator")
    parser.add_argument("--out", default=None, help="also write comparison.json and comparison.md into this folder")
    parser.set_defaults(func=run)


def check_settings(args: argparse.Namespace) -> None:
    """The flags' ranges and the two sides, before anything is read."""
    for name, value in (("alpha", args.alpha), ("power", args.power)):
        if not 0 < value < 1:
            raise ValueError(f"--{name}: {value} must lie strictly between 0 and 1")
    if not args.effect > 0:
        raise ValueError(f"--effect: {args.effect} must be positive (in the metric's units, e.g. 0.15)")
    if args.permutations < 99:
        raise ValueError(f"--permutations: {args.permutations} is too few to reach p < 0.01; give at least 99")
    try:
        check_resamples(args.resamples)
    except ValueError as err:
        raise ValueError(f"--{err}") from None
    same_source = args.b is None or (Path(args.a).expanduser().resolve() == Path(args.b).expanduser().resolve())
    if same_source and (args.filter_a or "") == (args.filter_b or ""):
        raise ValueError("A and B are the same rows; compare two tables, or two sides of one table with "
                         "--a and --b, e.g. --a scale=h64 --b scale=h128")
    for source in (args.a, args.b):
        if source is not None:
            check_results_source(source)
    if args.out:
        check_output(args.out, COMPARISON, inputs=[source for source in (args.a, args.b) if source],
                     example="comparison")


def run(args: argparse.Namespace) -> None:
    check_settings(args)
    from hf_distscale.analysis.compare import comparison_text, compare_tables, match_keys, parse_filter, select
    from hf_distscale.formats.comparison import COMPARISON_FILE, COMPARISON_MD, comparison_json
    from hf_distscale.hub.reading import read_results

    from hf_distscale.formats.items import items_beside, read_items

    def side_items(source: str, results):
        path = items_beside(source)
        return None if path is None else read_items(path, results)

    filters_a, filters_b = parse_filter(args.filter_a, "--a"), parse_filter(args.filter_b, "--b")
    table_a = read_results(args.a)
    table_b = table_a if args.b is None else read_results(args.b)
    items_a = side_items(args.a, table_a)
    items_b = items_a if args.b is None else side_items(args.b, table_b)
    side_a, side_b = select(table_a, filters_a, "A"), select(table_b, filters_b, "B")
    keys = match_keys(filters_a, filters_b)
    groups = compare_tables(side_a, side_b, keys, args.metric, alpha=args.alpha, power=args.power,
                            effect=args.effect, n_resamples=args.resamples, n_permutations=args.permutations,
                            seed=args.seed, items_a=items_a, items_b=items_b)
    text = comparison_text(groups, args.metric, args.alpha, args.power, args.effect)
    print(text)
    if args.out:
        sides = {"a": {"source": str(args.a), "filter": filters_a},
                 "b": {"source": str(args.b or args.a), "filter": filters_b}}
        settings = {name: getattr(args, name) for name in ("metric", "alpha", "power", "effect", "resamples",
                                                            "permutations", "seed")}
        with folder_output(args.out, COMPARISON) as folder:
            (folder / COMPARISON_FILE).write_bytes(comparison_json(sides, settings, keys, groups))
            (folder / COMPARISON_MD).write_text(text + "\n")
        print(f"\nwrote {COMPARISON_FILE} and {COMPARISON_MD} to {args.out}")
