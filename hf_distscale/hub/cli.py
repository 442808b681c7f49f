"""`hf-distscale hub push population|dataset|results SRC REPO_ID` and `hf-distscale hub pull REPO_ID --out DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from hf_distscale.formats.outputs import GROWING, check_output, output_lock

SOURCES = {"population": "a population folder (OUT/<population>)",
           "dataset": "a dataset folder (`hf-distscale dataset build`)",
           "results": "a results table (Parquet)"}


def push(args: argparse.Namespace) -> None:
    extra = {}
    if args.kind in ("population", "results"):
        extra["dataset_repo"] = args.dataset_repo
    if args.kind == "population":
        extra["results"] = args.results
    elif args.results:
        raise ValueError("--results: only `hub push population` takes a results table for its card")
    from hf_distscale.formats.results import read_parquet
    from hf_distscale.hub import transfer  # pandas and the Hub client: after argument parsing

    if args.kind == "results" and Path(args.source).expanduser().is_file():
        read_parquet(args.source)  # a faulty table is refused before the staging folder's lock is taken

    pushers = {"population": transfer.push_population, "dataset": transfer.push_dataset,
               "results": transfer.push_results}
    staged = args.staging or transfer.staging_dir("model" if args.kind == "population" else "dataset", args.repo_id)
    with output_lock(staged):  # the staged tree is rewritten to match SRC: one push of a repo at a time
        url = pushers[args.kind](args.source, args.repo_id, private=args.private, revision=args.revision,
                                 staged=staged, **extra)
    print(f"pushed {args.kind} {args.source} to {url}")


def pull(args: argparse.Namespace) -> None:
    check_output(args.out, GROWING, example="pulled")
    from hf_distscale.hub.transfer import pull_folder  # pandas and the Hub client: after argument parsing

    with output_lock(args.out):  # the download resumes file by file; two into one folder would collide
        folder = pull_folder(args.repo_id, args.out, repo_type=args.repo_type, revision=args.revision)
    print(f"pulled {args.repo_id} into {folder}")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "hub",
        help="push populations, the dataset and results to the Hugging Face Hub, or pull a repo",
        description="Stage a repo tree and upload it (resumable), or download a repo. The token "
        "comes from HF_TOKEN or `hf auth login`; HF_ENDPOINT picks the server.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    push_parser = actions.add_parser("push", help="stage SRC as a Hub repo and upload it")
    push_parser.add_argument("kind", choices=sorted(SOURCES), help="what SRC is")
    push_parser.add_argument("source", metavar="SRC", help="; ".join(f"{k}: {v}" for k, v in SOURCES.items()))
    push_parser.add_argument("repo_id", metavar="REPO_ID", help="org/name of the repo (created if needed)")
    push_parser.add_argument("--private", action="store_true", help="create the repo private")
    push_parser.add_argument("--revision", help="branch to push to (created if needed; default: main)")
    push_parser.add_argument("--dataset-repo", help="the dataset repo id named in the card's metadata")
    push_parser.add_argument("--results", help="population: a results table whose summary goes in the card")
    push_parser.add_argument("--staging", help="folder to stage in (default: under HF_HOME)")
    push_parser.set_defaults(func=push)
    pull_parser = actions.add_parser("pull", help="download a repo (a population pulls as a population folder)")
    pull_parser.add_argument("repo_id", metavar="REPO_ID")
    pull_parser.add_argument("--out", required=True, help="folder to download into")
    pull_parser.add_argument("--repo-type", choices=["model", "dataset"], help="default: found out")
    pull_parser.add_argument("--revision", help="branch, tag or commit (default: main)")
    pull_parser.set_defaults(func=pull)
