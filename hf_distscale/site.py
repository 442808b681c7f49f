"""`hf-distscale leaderboard build|push`: results in, analysis, then the leaderboard site out.

The leaderboard package builds only from `analyze` output folders; this
module composes the stages for the verb: results tables and results repos are
read (`hub`), analysed for the page (`analysis.report.write_page_data`) into a
temporary folder, and the site is built from it. Folders `analyze` already
wrote are built from as they are.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def read_source(source: str | Path) -> pd.DataFrame:
    """One results source's rows with a `source` column: the repo id, or None for a local file."""
    from hf_distscale.hub.reading import read_results  # pandas and pyarrow: only when a verb runs

    table = read_results(source)
    if table.empty:
        raise ValueError(f"leaderboard: {source} has no rows; evaluate at least one model first")
    return table.assign(source=None if Path(source).expanduser().is_file() else str(source))


def build_leaderboard(sources: str | Path | list, out_dir: str | Path, plan: bool = True,
                      breakthrough_condition: str | None = None) -> Path:
    """Build the leaderboard site of results sources and analysis folders into `out_dir`; return its index.html.

    `sources`: Parquet results tables, results dataset repo ids on the Hub,
    and/or folders `analyze` wrote. The results are analysed together, as
    `analyze` would for the page: `plan` False skips the seed planner (its
    simulations dominate the build at paper size), leaving "seeds needed"
    empty; `breakthrough_condition` (e.g. "len18") is where B/L, the claims
    and the figures look, for the benchmarks that have it.
    Raises FileNotFoundError / ValueError (one line each) for a missing,
    empty or schema-less table, an unreachable repo, or an `out_dir` that
    exists, holds files and is not a finished leaderboard, or holds a source.
    The site is built aside and swapped in whole, under a lock taken before
    the analysis (`formats.outputs.folder_output`).
    """
    import pandas as pd  # the analysis stack and plotting: imported when a site is built, not for --help

    from hf_distscale.analysis.report import write_page_data
    from hf_distscale.formats.analysis import is_analysis
    from hf_distscale.formats.outputs import ANALYSIS, LEADERBOARD, check_output, folder_output, write_manifest
    from hf_distscale.leaderboard.build import write_site

    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    check_output(out_dir, LEADERBOARD, inputs=sources, example="site")
    if not sources:
        raise ValueError("leaderboard: no results source given; pass Parquet files or results repo ids")
    analyses = [Path(source) for source in sources if Path(source).is_dir() and is_analysis(source)]
    with (folder_output(out_dir, LEADERBOARD) as folder,
          tempfile.TemporaryDirectory(prefix="leaderboard-analysis-") as analysis_dir):
        results = [read_source(source) for source in sources if Path(source) not in analyses]
        dataset_sources = {}
        if results:
            table = pd.concat(results, ignore_index=True)
            firsts = table.drop_duplicates(["population", "benchmark"])
            dataset_sources = dict(zip(zip(firsts["population"], firsts["benchmark"]), firsts["source"]))
            write_page_data(table.drop(columns="source"), analysis_dir, plan, breakthrough_condition)
            write_manifest(analysis_dir, ANALYSIS)
            analyses.append(Path(analysis_dir))
        write_site(analyses, folder, dataset_sources)
    return Path(out_dir) / "index.html"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "leaderboard",
        help="build the leaderboard site from results tables, or push it as a Space",
        description="A static web page of every population's distribution across seeds, "
        "scale by scale, that works from any folder and as a static Hugging Face Space.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the site and its data into a folder")
    build.add_argument("results", nargs="+",
                       help="results tables (Parquet), results dataset repo ids, or folders `analyze` wrote")
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
    from hf_distscale.formats.analysis import check_analysis, is_analysis
    from hf_distscale.formats.outputs import LEADERBOARD, check_output
    from hf_distscale.hub.errors import check_results_source

    for source in args.results:  # a missing or wrong source is reported before the analysis stack loads
        if is_analysis(source):
            check_analysis(source)
        else:
            check_results_source(source)
    check_output(args.out, LEADERBOARD, inputs=args.results, example="site")
    index = build_leaderboard(args.results, args.out, plan=args.plan,
                              breakthrough_condition=args.breakthrough_condition)
    print(f"leaderboard: {index}")
    print(f"view it: python -m http.server --directory {index.parent} (then open http://127.0.0.1:8000)")


def run_push(args: argparse.Namespace) -> None:
    from hf_distscale.leaderboard import push_leaderboard  # the Hub client: only when pushing

    print(f"leaderboard Space: {push_leaderboard(args.folder, args.space_id, args.private)}")
