"""A Hub-protocol server on loopback for round-trip tests: olah serving local git repos.

olah (in its own venv, `make setup` installs it) answers the Hub's read API
for git repos found under its mirrors folder (`MIRRORS/models/<org>/<name>`,
`MIRRORS/datasets/<org>/<name>`, non-bare, branch `main`). It is read-only,
so `publish` commits a folder straight into such a repo.

    with OlahServer(tmp_path) as hub:
        hub.publish("model", "org/population", staged_folder)
        subprocess.run([...], env=hub.env())     # HF_ENDPOINT points at olah

huggingface_hub and datasets read HF_ENDPOINT when imported, so client code
runs in a subprocess started with `hub.env()` (a fresh HF_HOME, no token).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

OLAH_CLI = Path(__file__).resolve().parents[1] / ".venv-olah" / "bin" / "olah-cli"

CONFIG = """\
[basic]
host = "127.0.0.1"
port = {port}
repos-path = "{root}/repos"
mirrors-path = ["{mirrors}"]
hf-scheme = "http"
hf-netloc = "127.0.0.1:9"
hf-lfs-netloc = "127.0.0.1:9"
mirror-scheme = "http"
mirror-netloc = "127.0.0.1:{port}"
mirror-lfs-netloc = "127.0.0.1:{port}"
[accessibility]
offline = true
"""


def free_port() -> int:
    """A loopback port nobody listens on right now (also usable as a closed port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def publish(mirrors: Path, repo_type: str, repo_id: str, folder: Path) -> str:
    """Make `folder`'s files the `main` branch of `repo_id` under `mirrors`; returns the commit.

    The repo is replaced by a fresh one-commit repo each time, so a published
    tree is exactly `folder` (hidden upload caches such as `.cache/` left out).
    """
    repo = Path(mirrors) / f"{repo_type}s" / repo_id
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(folder, repo, ignore=shutil.ignore_patterns(".cache"))
    git = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "publish"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return head.stdout.strip()


class OlahServer:
    """olah on a free 127.0.0.1 port, serving the git repos under `mirrors` (default
    `root/mirrors`; `make real-assets` publishes into one of its own)."""

    def __init__(self, root: str | Path, mirrors: str | Path | None = None):
        if not OLAH_CLI.is_file():
            raise FileNotFoundError(f"{OLAH_CLI} is missing; run `make setup`")
        self.root = Path(root)
        self.mirrors = Path(mirrors) if mirrors else self.root / "mirrors"
        self.hf_home = self.root / "hf_home"
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self) -> "OlahServer":
        for folder in (self.mirrors / "models", self.mirrors / "datasets", self.hf_home,
                       self.root / "repos", self.root / "logs"):
            folder.mkdir(parents=True, exist_ok=True)
        config = self.root / "olah.toml"
        config.write_text(CONFIG.format(port=self.port, root=self.root, mirrors=self.mirrors))
        self.process = subprocess.Popen(
            [str(OLAH_CLI), "-c", str(config), "--log-path", str(self.root / "logs")],
            cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"olah exited with code {self.process.returncode}; see {self.root}/logs")
            try:
                urllib.request.urlopen(self.endpoint, timeout=1)
                return
            except OSError as err:
                if getattr(err, "code", None) is not None:  # an HTTP answer: the server is up
                    return
                time.sleep(0.2)
        raise RuntimeError(f"olah did not answer on {self.endpoint} within {timeout:.0f} s")

    def publish(self, repo_type: str, repo_id: str, folder: str | Path) -> str:
        return publish(self.mirrors, repo_type, repo_id, Path(folder))

    def env(self, **extra: str) -> dict:
        """The environment of a client process: HF_ENDPOINT at olah, a fresh HF_HOME, no token."""
        env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
        env.update(HF_ENDPOINT=self.endpoint, HF_HOME=str(self.hf_home), HF_HUB_DISABLE_TELEMETRY="1",
                   HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_OFFLINE="0", HF_DATASETS_OFFLINE="0",
                   OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
        env.update(extra)
        return env
