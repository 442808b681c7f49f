"""Start-up time of the CLI: `--help` and an instant error against `python -c pass`, in one run.

    python benchmarks/cli_startup.py [--runs 7]

Each command runs `--runs` times after one warm-up run, the commands taking
turns so that a busy machine slows them alike (`timing.interleave`); the
table gives the median wall time (min-max) and its ratio to the bare
interpreter (the median of the ratios within a round). `import torch` is shown for scale: it is what a verb
pays once it runs, and what every command paid before the verbs imported
their heavy libraries lazily.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import interleave, machine_line, paired_ratio, spread_report, timed

CLI = str(Path(sys.executable).with_name("hf-distscale"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "hf-distscale --help": [CLI, "--help"],
    "hf-distscale eval --help": [CLI, "eval", "--help"],
    "hf-distscale analyze no-such-file --out x": [CLI, "analyze", "no-such-file", "--out", "x"],
    "hf-distscale eval no/such/population --out x.parquet": [CLI, "eval", "no/such/population", "--out", "x.parquet"],
    "python -c 'import torch' (for scale)": [sys.executable, "-c", "import torch"],
}


def run_command(name: str, command: list[str], folder: str) -> None:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    assert done.returncode in (0, 2), f"{name}: exit {done.returncode}\n{done.stderr}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default: 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:  # `x` and friends never exist there
        times = interleave({name: timed(lambda name=name, command=command: run_command(name, command, folder))
                            for name, command in COMMANDS.items()}, args.runs)
    print(f"{machine_line()}; median (min-max) of {args.runs} runs\n")
    print("| command | median s (min-max) | × `python -c pass` |")
    print("|---|---:|---:|")
    for name, seconds in times.items():
        print(f"| `{name}` | {seconds.text()} | {paired_ratio(seconds, times['python -c pass']).median:.1f}× |")
    print(f"\n{spread_report(times)}")


if __name__ == "__main__":
    main()
