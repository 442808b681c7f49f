"""A built leaderboard opened in headless Chromium: the browser, and a loaded page with what went wrong.

Chromium is Debian's /usr/bin/chromium; without it the page tests skip,
except under CI, where they fail.
"""

import atexit
import functools
import os
from pathlib import Path

import pytest

from hf_distscale.leaderboard.browser import CHROMIUM, launch_chromium, offline_page, serve


def chromium():
    """Headless Chromium, one per test process; skips (fails under CI) without /usr/bin/chromium.

    Playwright's sync API runs one instance per thread, so every test module
    of a process shares this browser; it closes when the process exits.
    """
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}; run `make setup` (installs Debian's chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}; run `make setup` to run the page tests")
    return _started_chromium()


@functools.cache
def _started_chromium():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = launch_chromium(playwright)
    atexit.register(playwright.stop)
    atexit.register(browser.close)
    return browser


class LoadedPage:
    """A site served on 127.0.0.1 and opened until it reports ready, with what went wrong on the way."""

    def __init__(self, browser, site: Path, viewport: tuple[int, int] = (1400, 1000)):
        self.blocked, self.errors = [], []
        self._server = serve(site)
        url = self._server.__enter__()
        self.page = offline_page(browser, self.blocked, self.errors, viewport)
        self.page.goto(url)
        self.page.wait_for_function("document.body.dataset.ready === 'true'", timeout=30_000)

    def active_rows(self) -> list[dict]:
        return self.page.evaluate("window.leaderboard.table.getData('active')")

    def row_count_text(self) -> str:
        return self.page.inner_text("#row-count")

    def traces(self) -> list[tuple[str, int, bool]]:
        """(figure name, plotly trace count, whether an SVG was drawn) of every figure."""
        return [tuple(x) for x in self.page.evaluate(
            "[...document.querySelectorAll('.figure')].map(d => "
            "[d.dataset.figure, d.data ? d.data.length : -1, !!d.querySelector('svg.main-svg')])"
        )]

    def figure(self, name: str) -> list[dict]:
        """The plotly traces (x and y of each) of the first figure called `name`."""
        return self.page.evaluate(
            "name => document.querySelector(`.figure[data-figure='${name}']`)"
            ".data.map(trace => ({x: trace.x, y: trace.y}))",
            name,
        )

    def close(self):
        self.page.context.close()
        self._server.__exit__(None, None, None)


ARTIFACTS = Path(__file__).parent / "artifacts"


def save_screenshot(page, name: str) -> Path:
    """A full-page screenshot under tests/artifacts/ (git-ignored), its path printed for the test log."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.mouse.move(0, 0)  # no tooltip in the picture
    page.screenshot(path=path, full_page=True, scale="css")
    print(f"screenshot: {path}")
    return path


def boxes(page, selector: str) -> list[dict]:
    """The bounding boxes (x, y, right, bottom, relative to the viewport) of every element matching `selector`."""
    return page.evaluate(
        "selector => [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect())"
        ".map(r => ({x: r.x, y: r.y, right: r.right, bottom: r.bottom, width: r.width}))",
        selector,
    )
