"""Outputs are atomic, locked and never written over an input (`hf_distscale.formats.outputs`).

A failure is injected at every write step of `analyze`, `eval`, `plan` and
`leaderboard build` (every file opened for writing, every rename, the folder
exchange), as Ctrl-C would raise it: each run ends with one line and exit
code 130, and the output holds the complete old output or the complete new
one, with no finished row lost. Real processes are run side by side on one
output (the second fails at once, naming the first) and are stopped with
SIGINT and SIGKILL.
"""

import builtins
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main
from hf_distscale.formats import outputs
from hf_distscale.formats.outputs import MANIFEST, recover, require_finished
from hf_distscale.formats.results import read_parquet, write_table
from hf_distscale.formats.versions import load_json
from hf_distscale.training import train_population

pytestmark = pytest.mark.xdist_group("outputs")  # one worker builds the world once

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
POPULATION = "runs/cpu_depth-smoke"
ANALYZE = ["analyze", "results.parquet", "--resamples", "40", "--no-plan"]
INTERRUPTED = 130


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A two-seed smoke population and a small results table (all seeds fail at one scale and succeed
    at the other: no mixture to fit, so the planner's simulations are instant)."""
    root = tmp_path_factory.mktemp("outputs")
    train_population("cpu_depth", ["l1"], [0, 1], "smoke", root / "runs", progress=False,
                     training_overrides={"max_steps": 4, "warmup_steps": 1, "eval_every": 2, "checkpoint_every": 2})
    write_table(synthetic_results([0.0, 1.0], n_seeds=5, test_lengths=(16,), family="cpu_depth"),
                root / "results.parquet")
    return root


@pytest.fixture
def here(world, monkeypatch):
    monkeypatch.chdir(world)
    return world


@pytest.fixture(scope="module")
def analysis(world) -> Path:
    """The finished analysis of the world's results table: an old output to replace, a site's input."""
    folder = world / "analysis"
    assert main(["analyze", str(world / "results.parquet"), *ANALYZE[2:], "--out", str(folder)]) == 0
    return folder


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def leftovers(path: Path) -> list[str]:
    """Temporary, old and lock siblings of the output `path`."""
    return sorted(sibling.name for sibling in path.parent.iterdir()
                  if sibling.name.startswith((f".tmp-{path.name}", f".old-{path.name}", f".{path.name}.lock")))


def is_complete(folder: Path) -> bool:
    """The folder holds its manifest and exactly the files the manifest lists."""
    listed = load_json(folder / MANIFEST, "output")["files"] if (folder / MANIFEST).is_file() else None
    return listed is not None and sorted(set(fingerprint(folder)) - {MANIFEST}) == listed


class WriteSteps:
    """Counts the write steps of a run in `folder`; calls `before_each(step)` before each, and raises
    KeyboardInterrupt (Ctrl-C) at step `stop_at`.

    A step is a file under `folder` opened for writing, a rename or replace, or the folder exchange
    (libraries' caches elsewhere, written on first use only, are not the run's steps).
    """

    def __init__(self, monkeypatch, folder: Path, stop_at: int | None = None, before_each=None):
        self.count, self.stop_at, self.before_each, self.busy = 0, stop_at, before_each, False
        real_open, real_replace, real_rename = builtins.open, os.replace, os.rename

        def opened(file, mode="r", *args, **kwargs):
            if any(flag in mode for flag in "wax+") and isinstance(file, (str, Path)) \
                    and Path(file).absolute().is_relative_to(folder):
                self.step()
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", opened)
        monkeypatch.setattr(io, "open", opened)
        monkeypatch.setattr(os, "replace", self.counted(real_replace))
        monkeypatch.setattr(os, "rename", self.counted(real_rename))
        monkeypatch.setattr(outputs, "_exchange", self.counted(outputs._exchange))

    def counted(self, function):
        def step_then_call(*args, **kwargs):
            self.step()
            return function(*args, **kwargs)

        return step_then_call

    def step(self) -> None:
        if self.busy:  # the check's own copies are no step of the run
            return
        self.count += 1
        if self.before_each:
            self.busy = True
            try:
                self.before_each(self.count)
            finally:
                self.busy = False
        if self.count == self.stop_at:
            raise KeyboardInterrupt


def after_a_kill(out: Path, scratch: Path) -> Path:
    """What the next run finds at `out` after a kill now: `out` and its leftovers copied into `scratch`,
    then recovered as the next writer or reader does."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    for sibling in out.parent.iterdir():
        if sibling.name == out.name or sibling.name.startswith((f".tmp-{out.name}-", f".old-{out.name}")):
            (shutil.copytree if sibling.is_dir() else shutil.copy2)(sibling, scratch / sibling.name)
    recover(scratch / out.name)
    return scratch / out.name


def old_or_complete_folder(out: Path):
    """A check of a path: it holds the folder `out` holds now, byte for byte, or a complete output."""
    old = fingerprint(out) if out.is_dir() else None
    return lambda path: (fingerprint(path) if path.is_dir() else None) == old or is_complete(path)


def run_cli(argv: list[str], capfd) -> tuple[int, str]:
    code = main(argv)
    return code, capfd.readouterr().err


def killed_at_every_step(argv: list[str], out: Path, scratch: Path, monkeypatch, check) -> int:
    """Run `argv` once; before each write step, what a kill there leaves at `out` (recovered) passes
    `check()`, the check of the output as it was before the run. Returns the number of steps."""
    holds, failed = check(), []

    def kill_here(step: int) -> None:
        if not holds(after_a_kill(out, scratch)):
            failed.append(step)

    with monkeypatch.context() as patch:
        counter = WriteSteps(patch, out.parent, before_each=kill_here)
        assert main(argv) == 0
    assert failed == [], f"a kill before write step(s) {failed} of {counter.count} leaves {out} half written"
    return counter.count


def interrupted_at_every_step(argv: list[str], out: Path, steps: int, capfd, monkeypatch, check) -> None:
    """Run `argv` once per write step, Ctrl-C at that step: one line, exit 130, `out` passes `check()`
    (taken before the run), and no leftover remains."""
    for stop_at in range(1, steps + 1):
        holds = check()
        with monkeypatch.context() as patch:
            WriteSteps(patch, out.parent, stop_at)
            code, err = run_cli(argv, capfd)
        assert code == INTERRUPTED, f"step {stop_at}: exit {code}; {err}"
        last = err.strip().splitlines()[-1]
        assert last.startswith(f"hf-distscale {argv[0]}: interrupted; kept: ") and "Traceback" not in err, err
        assert holds(out), f"Ctrl-C at step {stop_at} of {steps} left {out} half written"
        assert leftovers(out) == [], f"step {stop_at}: {leftovers(out)}"


def test_analyze_keeps_the_old_or_the_new_analysis_at_every_write_step(here, analysis, tmp_path, monkeypatch):
    """Issue 28 defect 3: an interrupted analyze left old and new files side by side, or half of them."""
    out = here / "analysis-steps"
    shutil.copytree(analysis, out)
    argv = [*ANALYZE, "--out", str(out)]
    steps = killed_at_every_step(argv, out, tmp_path / "after-kill", monkeypatch, lambda: old_or_complete_folder(out))
    assert is_complete(out) and steps > 10


@pytest.mark.parametrize("exchange", ["renameat2", "two renames"])
def test_leaderboard_build_keeps_the_old_or_the_new_site_at_every_write_step(here, analysis, tmp_path, capfd,
                                                                             monkeypatch, exchange):
    """Also where the system cannot exchange two folders in one step: old -> .old-, new -> final."""
    if exchange == "two renames":
        monkeypatch.setattr(outputs, "_exchange", lambda new, old: False)
    out = here / f"site-{exchange.replace(' ', '-')}"
    argv = ["leaderboard", "build", str(analysis), "--out", str(out)]
    assert main(argv) == 0

    def check():
        return old_or_complete_folder(out)

    steps = killed_at_every_step(argv, out, tmp_path / "after-kill", monkeypatch, check)
    interrupted_at_every_step(argv, out, steps, capfd, monkeypatch, check)
    assert (out / "index.html").is_file() and is_complete(out)


def test_plan_keeps_the_old_or_the_new_csv_at_every_write_step(here, tmp_path, capfd, monkeypatch):
    out = here / "plan.csv"
    argv = ["plan", "results.parquet", "--out", str(out)]

    def check():
        def old_or_whole_plan(path: Path) -> bool:
            text = path.read_text()
            return text == old or (text.endswith("\n") and len(pd.read_csv(path)) == 2)  # one row a scale

        old = out.read_text()
        return old_or_whole_plan

    out.write_text("an older plan\n")
    steps = killed_at_every_step(argv, out, tmp_path / "after-kill", monkeypatch, check)
    out.write_text("an older plan\n")
    interrupted_at_every_step(argv, out, steps, capfd, monkeypatch, check)


def test_eval_loses_no_finished_row_at_any_write_step(here, tmp_path, capfd, monkeypatch):
    """Each model's rows are written whole; an interrupted eval keeps every finished model and resumes."""
    out = here / "eval-steps.parquet"
    argv = ["eval", POPULATION, "--out", str(out)]
    assert main(argv) == 0
    full = read_parquet(out).sort_values(["model_path", "test_length"], ignore_index=True)
    rows_per_model = full.groupby("model_path").size()

    def check():
        def whole_models(path: Path) -> bool:
            kept = read_parquet(path).groupby("model_path").size() if path.exists() else rows_per_model.iloc[:0]
            return (kept == rows_per_model[kept.index]).all()

        return whole_models

    out.unlink()
    steps = killed_at_every_step(argv, out, tmp_path / "after-kill", monkeypatch, check)
    for stop_at in range(1, steps + 1):
        out.unlink()
        with monkeypatch.context() as patch:
            WriteSteps(patch, here, stop_at)
            code, err = run_cli(argv, capfd)
        assert code == INTERRUPTED and "Traceback" not in err, err
        assert check()(out) and leftovers(out) == []
        assert main(argv) == 0  # resumes: only what is missing
        resumed = read_parquet(out).sort_values(["model_path", "test_length"], ignore_index=True)
        pd.testing.assert_frame_equal(resumed, full)
    assert steps >= 3


def test_plan_never_writes_over_its_input(here, capfd):
    """Issue 28 defect 1: `plan RESULTS --out RESULTS` exited 0 and replaced the results with the plan."""
    before = (here / "results.parquet").read_bytes()
    code, err = run_cli(["plan", "results.parquet", "--out", "results.parquet"], capfd)
    assert code == 2 and len(err.splitlines()) == 1 and "is also an input" in err
    assert (here / "results.parquet").read_bytes() == before


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    """`hf-distscale ARGV` as a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "hf_distscale.cli", *argv], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.005)


def second_writer_fails_at_once(argv: list[str], out: Path, first: subprocess.Popen, capfd) -> None:
    """Run `argv` here while the process `first` holds the lock of `out`: this second writer fails at
    once with one line naming the first."""
    capfd.readouterr()
    began = time.time()
    code, err = run_cli(argv, capfd)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "is being written by another run" in err and f"pid {first.pid} " in err, err
    assert time.time() - began < 30, "the second writer waited for the first"


def test_two_evals_on_one_table_the_second_fails_at_once_and_ctrl_c_keeps_the_finished_rows(here, tmp_path, capfd):
    """Issue 28 defect 4: two evals on one --out both said "wrote 4 rows", and one run's rows were gone.

    The first, paused after its first model, holds the table: the second fails at once. A real SIGINT
    then ends the first with one line and exit 130, keeping its finished rows; a rerun completes the table.
    """
    out = tmp_path / "results.parquet"
    argv = ["eval", POPULATION, "--out", str(out)]
    first = start(argv, here)
    wait_for(out, first)  # the first model's rows are written
    first.send_signal(signal.SIGSTOP)
    try:
        second_writer_fails_at_once(argv, out, first, capfd)
        first.send_signal(signal.SIGINT)
    finally:
        first.send_signal(signal.SIGCONT)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == INTERRUPTED, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("hf-distscale eval: interrupted; kept: every finished model's rows in "), stderr
    kept = read_parquet(out)
    assert len(kept) in (3, 6) and leftovers(out) == []
    assert main(argv) == 0
    table = read_parquet(out)
    assert table["model_path"].nunique() == 2 and len(table) == 2 * 3  # two seeds x the smoke test lengths
    pd.testing.assert_frame_equal(table.iloc[:len(kept)], kept)
    assert leftovers(out) == []


def test_a_second_analysis_fails_at_once_and_a_killed_one_leaves_the_old(here, analysis, tmp_path, capfd):
    """Two analyses into one folder: while the first writes, the second fails at once. The first, killed
    (SIGKILL) mid-way, leaves the earlier analysis as it was; the next reader removes its leftovers."""
    out = tmp_path / "analysis"
    shutil.copytree(analysis, out)
    argv = [*ANALYZE, "--out", str(out)]
    before = fingerprint(out)
    first = start(argv, here)
    wait_for(out.parent / f".tmp-{out.name}-{first.pid}" / "statistics.json", first)
    first.send_signal(signal.SIGSTOP)
    try:
        second_writer_fails_at_once(argv, out, first, capfd)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert fingerprint(out) == before and f".tmp-{out.name}-{first.pid}" in leftovers(out)
    require_finished(out, "analysis", "rerun")  # the leftovers found while no writer holds the lock
    assert leftovers(out) == [] and fingerprint(out) == before


def test_recovery_puts_back_the_old_folder_or_removes_it(tmp_path):
    """The rule of a kill between the two renames of the fallback exchange, and after it."""
    out, old = tmp_path / "analysis", tmp_path / ".old-analysis"
    old.mkdir()
    (old / "statistics.json").write_text("{}")
    recover(out)
    assert (out / "statistics.json").is_file() and not old.exists()
    old.mkdir()
    (tmp_path / ".tmp-analysis-12345").mkdir()
    (tmp_path / ".tmp-analysis-other-1").mkdir()  # another output's: left alone
    recover(out)
    assert sorted(path.name for path in tmp_path.iterdir()) == [".tmp-analysis-other-1", "analysis"]
