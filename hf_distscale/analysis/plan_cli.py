"""`hf-distscale plan RESULTS`: how many seeds a population needs, from a pilot population's results."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from hf_distscale.analysis.thresholds import metric_names
from hf_distscale.formats.outputs import FILE, check_output, output_lock, write_file
from hf_distscale.hub.errors import check_results_source


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="seeds needed to detect bimodality and to pin P(success), and their training cost",
        description="From a pilot population's results: per scale and condition, the seeds a test "
        "needs to detect the pilot's fitted two-mode mixture with the given power, the seeds that "
        "estimate P(success) within +- the half-width, their training FLOPs and GPU-hours, and what "
        "the paper's 250 seeds buy.",
    )
    parser.add_argument("results", help="the pilot's results table (Parquet, or a results repo id)")
    parser.add_argument("--power", type=float, default=0.8, help="power to detect bimodality (default: 0.8)")
    parser.add_argument("--alpha", type=float, default=0.001,
                        help="significance level of the bimodality test (default: 0.001, the paper's)")
    parser.add_argument("--ci-width", type=float, default=0.1,
                        help="half-width of the 95%% interval of P(success) (default: 0.1)")
    parser.add_argument("--metric", default="em", choices=metric_names(), help="metric column (default: em)")
    parser.add_argument("--preset", default=None,
                        help="preset whose training budget prices a seed (default: the table's preset column)")
    parser.add_argument("--out", default=None, help="also write the plan table here (CSV)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    check_results_source(args.results)
    if args.out:
        check_output(args.out, FILE, inputs=[args.results], example="plan.csv")
    from hf_distscale.analysis.plan import format_plan, plan_table  # heavy (scipy): after the checks
    from hf_distscale.hub.reading import read_results

    with output_lock(args.out) if args.out else nullcontext():  # held from the start: a second run fails at once
        plan = plan_table(read_results(args.results), args.power, args.alpha, args.ci_width,
                          metric=args.metric, preset=args.preset)
        print(format_plan(plan, args.power, args.alpha, args.ci_width))
        if args.out:
            write_file(args.out, lambda partial: plan.to_csv(partial, index=False))
            print(f"plan_csv: {args.out}")
