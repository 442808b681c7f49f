"""`hf-distscale lm-eval`: lm-evaluation-harness over a population into the results table."""

from __future__ import annotations

from transformers.utils import logging

from hf_distscale.evaluation.lm_eval_run import evaluate_lm_population, items_path
from hf_distscale.evaluation.models import DEFAULT_NAME_RULE


def _limit(text: str) -> int | float:
    """lm-eval's --limit: a count of items per task, or a fraction below 1."""
    value = float(text)
    return value if value < 1 else int(value)


def run(args) -> None:
    logging.disable_progress_bar()
    tasks = [name.strip() for name in args.tasks.split(",") if name.strip()]
    table = evaluate_lm_population(
        args.sources, tasks, args.out, limit=args.limit, batch_size=args.batch_size,
        device=args.device, num_fewshot=args.num_fewshot, dtype=args.dtype,
        include_path=args.include_path, population=args.population, family=args.family,
        name_rule=args.name_rule,
    )
    overall = table[table["benchmark"] == table["condition"]]
    summary = overall.groupby(["population", "scale", "benchmark"])[["acc", "nll_correct"]]
    print(summary.agg(["count", "mean"]).to_string())
    print(f"wrote {len(table)} rows to {args.out}, item log-likelihoods to "
          f"{items_path(args.out)}")


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
        "--name-rule", default=DEFAULT_NAME_RULE,
        help="regex with (?P<seed>) and optional (?P<family>), (?P<scale>) groups, matched "
             "against repo/folder names (default: <family>-<scale>-seed<k>)",
    )
    parser.set_defaults(func=run)
