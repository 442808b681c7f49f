"""The package as a user installs it: built as a wheel, installed without `-e`, run from an empty folder.

An editable install runs the code where it lies in the checkout, so a file
read from outside `hf_distscale/` (the page template once was) goes
unnoticed there and breaks only for someone who ran `pip install .`. Here
the wheel is built offline from a copy of what the build reads, installed
with `pip install --no-deps --target`, and every stage runs through the
installed CLI with only that folder ahead of the checkout on the import
path; an audit hook names any file the run opens inside the checkout.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# What `pip wheel .` reads: the project file, the readme it names, the package and the page it links to.
BUILD_INPUTS = ("pyproject.toml", "README.md", "hf_distscale", "leaderboard")
# Documentation of the page, not part of the built site.
NOT_SHIPPED = {"hf_distscale/leaderboard/page/screenshot.png"}
MAX_WHEEL_BYTES = 1_000_000
# pyproject.toml's `[build-system] requires`, its one entry (read without tomllib, which is Python 3.11+).
BUILD_BACKEND = Requirement(re.search(r'^requires = \["([^"]+)"\]$', (ROOT / "pyproject.toml").read_text(),
                                      re.MULTILINE).group(1))
# One worker builds the wheel once for both tests (`make test` runs `--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("wheel")

# Runs the stages one after the other through the CLI's `main()` in one process (one import of
# torch & co.), after printing where `hf_distscale` was imported from; every file opened inside
# the checkout is named on stderr (the environment's own files aside: the venv may live there).
GUARDED_STAGES = """
import json, os, sys
checkout, environment = (os.path.join(os.path.realpath(folder), "") for folder in (sys.argv[1], sys.prefix))

def name_checkout_reads(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(checkout) and not path.startswith(environment):
            print(f"opened inside the checkout: {path}", file=sys.stderr)

sys.addaudithook(name_checkout_reads)
import hf_distscale
from hf_distscale.cli import main
print(hf_distscale.__file__)
for arguments in json.loads(sys.argv[2]):
    if main(arguments) != 0:
        sys.exit(f"failed: hf-distscale {' '.join(arguments)}")
"""

PIPELINE = [
    ["dataset", "build", "--preset", "smoke", "--out", "dataset"],
    ["train", "--family", "cpu_depth", "--scales", "l1", "--seeds", "0", "--preset", "smoke", "--out", "runs",
     "--no-progress"],
    ["eval", "runs/cpu_depth-smoke", "--out", "results.parquet"],
    ["analyze", "results.parquet", "--out", "analysis", "--resamples", "40", "--no-plan"],
    ["leaderboard", "build", "analysis", "--out", "site"],
]


def pip(*arguments: str) -> None:
    """The environment's pip, offline: nothing is fetched, the build backend is the installed setuptools."""
    done = subprocess.run([sys.executable, "-m", "pip", *arguments, "--no-index", "--disable-pip-version-check",
                           "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a fresh copy of the build inputs (a checkout's stale build/ never leaks in)."""
    assert version(BUILD_BACKEND.name) in BUILD_BACKEND.specifier, (
        f"the wheel is built offline with this environment's {BUILD_BACKEND.name} {version(BUILD_BACKEND.name)}, "
        f"not {BUILD_BACKEND}; install the test extras: pip install -e '.[test]'")
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    pip("wheel", str(source), "--no-deps", "--no-build-isolation", "--wheel-dir", str(out))
    (built,) = out.glob("hf_distscale-*.whl")
    return built


@pytest.fixture(scope="module")
def install(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("install")
    pip("install", "--no-deps", "--target", str(target), str(wheel))
    return target


def package_files() -> set[str]:
    """Every file of the package in the checkout, the linked page template included."""
    return {str((Path(folder) / name).relative_to(ROOT))
            for folder, folders, names in os.walk(ROOT / "hf_distscale", followlinks=True)
            if "__pycache__" not in Path(folder).parts for name in names}


def test_the_wheel_holds_every_file_of_the_package_and_the_page(wheel):
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {"hf_distscale/leaderboard/page/index.html", "hf_distscale/leaderboard/page/vendor/tabulator.min.js",
            "hf_distscale/__main__.py"} <= shipped
    assert sorted(package_files() - NOT_SHIPPED - shipped) == []
    assert not NOT_SHIPPED & shipped
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, f"the wheel holds {wheel.stat().st_size} bytes"


def test_the_installed_package_runs_every_stage_from_an_empty_folder(install, tmp_path):
    assert not tmp_path.is_relative_to(ROOT)
    env = dict(os.environ, PYTHONPATH=str(install), OMP_NUM_THREADS="1")
    usage = subprocess.run([sys.executable, "-m", "hf_distscale", "--help"], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: hf-distscale"), usage.stderr
    stages = subprocess.run([sys.executable, "-c", GUARDED_STAGES, str(ROOT), json.dumps(PIPELINE)],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert stages.returncode == 0, stages.stderr
    assert Path(stages.stdout.splitlines()[0]).is_relative_to(install), stages.stdout
    assert "inside the checkout" not in stages.stderr, stages.stderr
    site = tmp_path / "site"
    assert (site / "index.html").read_bytes() == (ROOT / "leaderboard" / "index.html").read_bytes()
    assert (site / "vendor" / "tabulator.min.js").is_file() and (site / "data" / "leaderboard.json").is_file()
