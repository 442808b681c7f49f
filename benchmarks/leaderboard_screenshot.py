"""The README's picture of the leaderboard: the page built from the reference demo, at 1280 x 800.

Builds the site from `tests/data/demo_reference/results.parquet` (the demo's
cpu_depth l1 and l2 x 8 seeds, B/L at the preset's length 18), opens it in
headless Chromium at a 1280 x 800 window and saves the whole page as
`leaderboard/screenshot.png`, in 256 colours to keep the repository small. Fails on a console error or a request that
leaves the machine.

    python benchmarks/leaderboard_screenshot.py [--results RESULTS] [--out PNG]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from hf_distscale.leaderboard.browser import launch_chromium, offline_page, serve
from hf_distscale.site import build_leaderboard

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = (1280, 800)


def screenshot(site: Path, out: Path) -> None:
    blocked, errors = [], []
    with serve(site) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = offline_page(browser, blocked, errors, VIEWPORT)
        page.goto(url)
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
        page.screenshot(path=out, full_page=True, scale="css")
        browser.close()
    if errors or blocked:
        raise RuntimeError(f"page errors {errors} or outside requests {blocked}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "tests" / "data" / "demo_reference" / "results.parquet")
    parser.add_argument("--out", type=Path, default=ROOT / "leaderboard" / "screenshot.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = build_leaderboard(args.results, Path(folder) / "site", breakthrough_condition="len18")
        screenshot(index.parent, args.out)
    Image.open(args.out).quantize(256).save(args.out, optimize=True)
    print(f"screenshot: {args.out}")


if __name__ == "__main__":
    main()
