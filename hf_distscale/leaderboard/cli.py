"""`hf-distscale leaderboard build RESULTS... --out DIR` and `hf-distscale leaderboard push DIR SPACE_ID`."""

from __future__ import annotations

import argparse

from hf_distscale.leaderboard.build import build_leaderboard
from hf_distscale.leaderboard.push import push_leaderboard


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "leaderboard",
        help="build the leaderboard site from results tables, or push it as a Space",
        description="A static web page of every population's distribution across seeds, "
        "scale by scale, that works from any folder and as a static Hugging Face Space.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the site and its data into a folder")
    build.add_argument("results", nargs="+", help="results tables (Parquet) or results dataset repo ids")
    build.add_argument("--out", required=True, help="folder for the site (new, empty, or an earlier leaderboard)")
    build.add_argument("--no-plan", dest="plan", action="store_false",
                       help="skip the seed planner (it simulates populations for every group with two "
                       "fitted modes, the slowest part of a paper-size build); 'seeds needed' stays empty")
    build.add_argument("--breakthrough-condition",
                       help="condition for B/L, the claims and the figures' first view, e.g. len18 "
                       "(default: the analysis default, the task aggregate or the lower median condition)")
    build.set_defaults(func=run_build)
    push = actions.add_parser("push", help="upload a built site as a static Space")
    push.add_argument("folder", help="the folder `leaderboard build` wrote")
    push.add_argument("space_id", help="the Space, as owner/name")
    push.add_argument("--private", action="store_true", help="create the Space private")
    push.set_defaults(func=run_push)


def run_build(args: argparse.Namespace) -> None:
    index = build_leaderboard(args.results, args.out, plan=args.plan,
                              breakthrough_condition=args.breakthrough_condition)
    print(f"leaderboard: {index}")
    print(f"view it: python -m http.server --directory {index.parent} (then open http://127.0.0.1:8000)")


def run_push(args: argparse.Namespace) -> None:
    print(f"leaderboard Space: {push_leaderboard(args.folder, args.space_id, args.private)}")
