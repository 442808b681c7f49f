"""`hf-distscale analyze RESULTS.parquet --out DIR`: statistics, figures and summary of a population."""

from __future__ import annotations

import argparse
from pathlib import Path

from hf_distscale.analysis.bootstrap import N_RESAMPLES, check_resamples
from hf_distscale.analysis.thresholds import metric_names
from hf_distscale.formats.outputs import ANALYSIS, check_output
from hf_distscale.hub.errors import check_results_source


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="distributional statistics, figures and a summary table from a results table",
        description="Turn the evaluation results table into distributional statistics "
        "(bootstrap CIs, bimodality tests and verdicts, B/L, scaling fits, PassUntil law), figures (PNG + SVG) "
        "and a summary table (CSV + Markdown).",
    )
    parser.add_argument(
        "results",
        help="the results table: a Parquet file written by `hf-distscale eval`, or a results repo "
        "id on the Hub (REPO_ID, or REPO_ID:POPULATION for one population)",
    )
    parser.add_argument("--out", required=True, help="folder for statistics, summary and figures/")
    parser.add_argument("--metric", default="em", choices=metric_names(), help="metric column to analyse (default: em)")
    parser.add_argument(
        "--breakthrough-length",
        type=int,
        default=None,
        help="counting test length for breakthroughness/linearity (default: the lower median test length)",
    )
    parser.add_argument(
        "--breakthrough-condition",
        default=None,
        help="condition for breakthroughness/linearity, e.g. len60 or an lm-eval subject "
        "(default: the task aggregate, else the lower median condition)",
    )
    parser.add_argument("--resamples", type=int, default=N_RESAMPLES, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap generator")
    parser.add_argument("--items", default=None, metavar="ITEMS.parquet",
                        help="the items table for the seeds-versus-items split (default: RESULTS.items.parquet "
                             "beside a local results table, when `eval` or `lm-eval` wrote one)")
    parser.add_argument("--no-plan", dest="plan", action="store_false",
                        help="skip the seed planner (the slowest part at paper size); 'seeds needed' stays empty")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    check_results_source(args.results)
    items = items_file(args)
    out = check_output(args.out, ANALYSIS, inputs=[args.results], example="analysis")
    try:
        check_resamples(args.resamples)  # the analysis's own rule, found before the heavy imports
    except ValueError as err:
        raise ValueError(f"--{err}") from None
    from hf_distscale.analysis.report import analyze  # heavy (scipy, matplotlib): after the checks
    from hf_distscale.analysis.summary import console_tables
    from hf_distscale.formats.items import read_items
    from hf_distscale.hub.reading import read_results

    results = read_results(args.results)
    paths = analyze(
        results,
        args.out,
        metric=args.metric,
        breakthrough_test_length=args.breakthrough_length,
        n_resamples=args.resamples,
        seed=args.seed,
        breakthrough_condition=args.breakthrough_condition,
        plan=args.plan,
        items=None if items is None else read_items(items, results),
    )
    print("\n" + console_tables(out))
    print(f"\nwrote {len(paths)} files to {args.out}: summary.md (every table), statistics.json, claims.json, "
          "figures/")


def items_file(args: argparse.Namespace) -> Path | None:
    """The items table the split reads: `--items` (which must exist), else the one beside a local results
    table if `eval` or `lm-eval` wrote it, else None (no split)."""
    from hf_distscale.formats.items import items_beside

    if args.items is None:
        return items_beside(args.results)
    path = Path(args.items).expanduser()
    if not path.is_file():
        raise ValueError(
            f"--items: no items table at {args.items}; `hf-distscale eval` and `lm-eval` write one beside "
            f"their results table (RESULTS.items.parquet, unless run with --no-items): evaluate again "
            f"without --no-items, or drop --items to analyse without the seeds-versus-items split")
    return path
