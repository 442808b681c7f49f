"""`hf-distscale ingest`: lm-eval results files someone already has -> a results table."""

from __future__ import annotations

from pathlib import Path

from hf_distscale.evaluation.sources import results_files
from hf_distscale.formats.outputs import check_output, output_lock


def check_new(out: Path) -> None:
    """ingest writes whole tables only: an existing --out is someone's table, never replaced."""
    if out.exists():
        raise ValueError(f"--out: {out} exists; give a new file name (ingest writes a whole results "
                         f"table and leaves {out} as it is)")


def run(args) -> None:
    results_files(args.paths)
    out = check_output(args.out, "file", inputs=args.paths, example="results.parquet")
    check_new(out)
    from hf_distscale.evaluation.ingest import ingest  # pandas, scipy: after the instant checks
    from hf_distscale.formats.results import write_table

    with output_lock(out):
        check_new(out)  # again under the lock: another run may have written it since
        table = ingest(args.paths, name_rule=args.name_rule,
                       population=args.population, family=args.family)
        write_table(table, out)
    overall = table[table["benchmark"] == table["condition"]]
    summary = overall.groupby(["population", "scale", "benchmark"], sort=False)[["acc", "nll_correct"]]
    print(summary.agg(["count", "mean"]).to_string())
    print(f"wrote {len(table)} rows of {table['model_path'].nunique()} models to {out}")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="lm-eval results files you already have (e.g. PolyPythias') into a results table",
        description="Reads lm-eval's results_*.json (found in folders at any depth) and, where they "
                    "sit beside them, its samples_<task>_*.jsonl, whose per-item log-likelihoods give "
                    "NLL, p_correct and Brier. Models are named by --name-rule; the table goes to "
                    "`analyze`, `plan`, `leaderboard` and `hub push` unchanged.",
    )
    parser.add_argument("paths", nargs="+", help="results_*.json files, or folders holding them")
    parser.add_argument("--out", required=True, help="the results table to write (Parquet; a new file)")
    parser.add_argument(
        "--name-rule",
        help="regex with (?P<seed>) and (?P<scale>), and optional (?P<family>) and (?P<variant>) groups, "
             "matched against the model's name without its org; the variant is appended to the family "
             "(default: <family>-<size>[-<variant>][-seed<k>], e.g. pythia-70m-seed3 or "
             "Qwen2.5-0.5B-Instruct, the seed-less name being seed 0, the size a count such as 70m)",
    )
    parser.add_argument("--population", help="population name (default: <org>/<family>[@<revision>])")
    parser.add_argument("--family", help="family name (default: the name rule's family group)")
    parser.set_defaults(func=run)
