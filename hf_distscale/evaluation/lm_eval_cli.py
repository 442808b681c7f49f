"""`hf-distscale lm-eval`: lm-evaluation-harness over a population into the results table."""

from __future__ import annotations

import argparse

from hf_distscale.evaluation.sources import check_sources
from hf_distscale.formats.outputs import check_output


def _limit(text: str) -> int | float:
    """lm-eval's --limit: a positive count of items per task, or a fraction between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0 or (value >= 1 and value != int(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive item count or a fraction "
                                         f"in (0, 1); e.g. --limit 100 or --limit 0.1")
    return value if value < 1 else int(value)


def run(args) -> None:
    tasks = [name.strip() for name in args.tasks.split(",") if name.strip()]
    if not tasks:
        raise ValueError("--tasks: give at least one lm-eval task, e.g. --tasks mmlu")
    if args.batch_size < 1 or (args.num_fewshot is not None and args.num_fewshot < 0):
        raise ValueError("--batch-size must be positive and --num-fewshot 0 or more; e.g. --batch-size 32")
    check_sources(args.sources)
    check_output(args.out, "file", inputs=[*args.sources, *filter(None, [args.include_path])],
                 example="results.parquet")
    from hf_distscale.formats.results import read_table  # pandas: after the instant checks

    read_table(args.out)
    from hf_distscale.evaluation.device import resolve_device  # torch: after the instant checks

    device = resolve_device(args.device)
    from hf_distscale.evaluation.lm_eval_run import evaluate_lm_population  # heavy: after the checks
    from hf_distscale.formats.items import items_path
    from hf_distscale.evaluation.models import DEFAULT_NAME_RULE

    table = evaluate_lm_population(
        args.sources, tasks, args.out, limit=args.limit, batch_size=args.batch_size,
        device=device, num_fewshot=args.num_fewshot, dtype=args.dtype,
        include_path=args.include_path, population=args.population, family=args.family,
        name_rule=args.name_rule or DEFAULT_NAME_RULE, items=args.items,
    )
    overall = table[table["benchmark"] == table["condition"]]
    summary = overall.groupby(["population", "scale", "benchmark"])[["acc", "nll_correct"]]
    print(summary.agg(["count", "mean"]).to_string())
    print(f"wrote {len(table)} rows to {args.out}"
          + (f", each item's result and log-likelihoods to {items_path(args.out)}" if args.items else ""))


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lm-eval",
        help="lm-evaluation-harness tasks (e.g. mmlu) on every model of a population",
        description="acc/acc_norm from lm-eval, NLL, p_correct and Brier from the per-item "
                    "log-likelihoods, per seed and subject; resumable.",
    )
    parser.add_argument(
        "sources", nargs="+",
        help="population folders, model folders (globs), or Hub repo ids with {a,b}/{1..9} "
             "patterns and @REVISION",
    )
    parser.add_argument("--tasks", required=True, help="comma-separated tasks/groups, e.g. mmlu")
    parser.add_argument("--out", required=True, help="results table (Parquet); existing rows kept")
    parser.add_argument("--limit", type=_limit, help="items per task (or a fraction below 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="lm-eval batch size")
    parser.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--num-fewshot", type=int, help="few-shot examples (default: the task's)")
    parser.add_argument(
        "--dtype", default="auto",
        help="weights dtype (default: float32 on CPU, the checkpoint's dtype elsewhere)",
    )
    parser.add_argument("--include-path", help="folder of extra lm-eval task YAMLs (lm-eval's --include_path)")
    parser.add_argument("--population", help="population name of models without a seed record")
    parser.add_argument("--family", help="family name of models without a seed record")
    parser.add_argument(
        "--name-rule",
        help="regex with (?P<seed>) and optional (?P<family>), (?P<scale>) groups, matched "
             "against repo/folder names (default: <family>-<scale>-seed<k>)",
    )
    parser.add_argument("--no-items", dest="items", action="store_false",
                        help="keep no items table beside --out (for very large runs; the seeds-versus-items "
                             "split and item-paired comparisons need it)")
    parser.set_defaults(func=run)
