"""Serve a built site on 127.0.0.1 and open it in headless Chromium, with no request leaving the machine.

Used by the page tests and the page-load benchmark. Chromium is Debian's
`/usr/bin/chromium` driven by Playwright (which never downloads a browser
here); `--host-resolver-rules` stops even its background DNS look-ups, and
every request to a host other than 127.0.0.1 is aborted and recorded.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


@contextlib.contextmanager
def serve(folder: str | Path):
    """`python -m http.server` on a free 127.0.0.1 port for `folder`; yields its base URL."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 43117 (http://127.0.0.1:43117/) ..."
        port = int(line.split(" port ")[1].split()[0])
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


def launch_chromium(playwright):
    """Headless Chromium from `playwright.sync_api.sync_playwright()`, with the offline flags."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)


def offline_page(browser, blocked: list[str], console_errors: list[str], viewport=(1400, 1000)):
    """A page in a fresh context (empty cache) that aborts, and appends to `blocked`, any request
    whose host is not 127.0.0.1, and appends console errors and uncaught exceptions to
    `console_errors`. Close it with `page.context.close()`."""
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()

    def route(request_route):
        if urlparse(request_route.request.url).hostname == "127.0.0.1":
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    return page
