"""Training runs as separate processes (train.py, torchrun), killed mid-run and compared weight by weight."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


def weights(seed_dir: Path) -> dict:
    return load_file(seed_dir / "model.safetensors")


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def train_cli(out: Path, seeds: str, *extra: str, launcher=(sys.executable,)):
    """`train.py` on the smoke preset's cpu_depth l1 model, started in the background."""
    command = [*launcher, str(ROOT / "train.py"), "--family", "cpu_depth", "--scales", "l1",
               "--seeds", seeds, "--preset", "smoke", "--out", str(out), "--no-progress", *extra]
    return subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process, timeout: float = 120) -> str:
    """The process's stdout once it has exited with code 0."""
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    return stdout


def kill_at_first_checkpoint(process, seed_dir: Path) -> None:
    """SIGKILL `process` as soon as `seed_dir` has a checkpoint (within 120 s, the process alive)."""
    deadline = time.time() + 120
    while not (seed_dir / "checkpoint" / "latest.json").exists():
        assert process.poll() is None and time.time() < deadline, f"no checkpoint of {seed_dir} appeared"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
