"""Page-load time of the leaderboard built from a paper-size results table, in headless Chromium.

The table is `paper_size_results()`: 3 families x 5 scales x 250 seeds x 71
test lengths (266,250 rows, 1,065 table rows). The time is from navigation
until the page reports ready: the table built and the first population's
figures drawn. Each load uses a fresh browser context (empty cache); the
browser process is started once. The baseline, measured in the same run, is a
page that only loads and evaluates the same libraries (plotly.js, Tabulator).
The two pages take turns (`timing.interleave`, one warm-up round that also
starts the renderer); the table gives the median (min-max) of `--loads` rounds.

    python benchmarks/leaderboard_load.py [--loads 5] [--plan]

The site is built without the seed planner unless --plan is given: the
planner's simulations take minutes per hundred two-mode groups and do not
change what the page loads beyond two numbers per row.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from timing import interleave, machine_line, paired_ratio, spread_report

from hf_distscale.analysis.synthetic import paper_size_results
from hf_distscale.formats.results import write_table
from hf_distscale.leaderboard.browser import launch_chromium, offline_page, serve
from hf_distscale.site import build_leaderboard

BASELINE_PAGE = """<!doctype html><html><head><link rel="stylesheet" href="vendor/tabulator.min.css"></head>
<body><script src="vendor/plotly.min.js"></script><script src="vendor/tabulator.min.js"></script>
<script>document.body.dataset.ready = "true";</script></body></html>"""


def load_seconds(browser, url: str) -> float:
    """Navigation to ready in a fresh context; fails on a console error or an outside request."""
    blocked, errors = [], []
    page = offline_page(browser, blocked, errors)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
    seconds = time.perf_counter() - started
    page.context.close()
    if errors or blocked:
        raise RuntimeError(f"page errors {errors} or outside requests {blocked}")
    return seconds


def folder_megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per page (default 5)")
    parser.add_argument("--plan", action="store_true",
                        help="run the seed planner in the build too (adds its simulations to the build time)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table = paper_size_results()
        write_table(table, tmp / "results.parquet")
        started = time.perf_counter()
        index = build_leaderboard(tmp / "results.parquet", tmp / "site", plan=args.plan)
        build_seconds = time.perf_counter() - started
        site = index.parent
        (site / "baseline.html").write_text(BASELINE_PAGE)
        with serve(site) as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            times = interleave({name: (lambda page=page: load_seconds(browser, url + page))
                                for name, page in (("libraries only (baseline)", "baseline.html"),
                                                   ("leaderboard", "index.html"))}, args.loads)
            browser.close()
        data = site / "data"
        print(f"results rows: {len(table):,}; table rows on the page: "
              f"{table.groupby(['population', 'benchmark', 'family', 'scale_index', 'condition']).ngroups:,}")
        megabytes = {name: (data / name).stat().st_size / 1e6 for name in ("leaderboard.json", "population-0.json")}
        print(f"build ({'with' if args.plan else 'without'} the seed planner): {build_seconds:.1f} s; "
              f"site {folder_megabytes(site):.1f} MB, of which data {folder_megabytes(data):.2f} MB "
              f"(leaderboard.json {megabytes['leaderboard.json']:.2f} MB, "
              f"first population {megabytes['population-0.json']:.2f} MB)")
        baseline = times["libraries only (baseline)"]
        print(f"\n{machine_line()}; median (min-max) of {args.loads} interleaved loads")
        print(f"{'page':28s} {'seconds':>18s} {'x baseline':>11s}")
        for name, seconds in times.items():
            print(f"{name:28s} {seconds.text():>18s} {paired_ratio(seconds, baseline).median:11.2f}")
        print(spread_report(times))


if __name__ == "__main__":
    main()
