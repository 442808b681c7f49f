"""Start-up time of the CLI: `--help` and an instant error against `python -c pass`, in one run.

    python benchmarks/cli_startup.py [--runs 7]

Each command runs `--runs` times, the commands taking turns so that a busy
machine slows them alike; the table gives the median wall time and its ratio
to the bare interpreter. `import torch` is shown for scale: it is what a verb
pays once it runs, and what every command paid before the verbs imported
their heavy libraries lazily.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = str(Path(sys.executable).with_name("hf-distscale"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "hf-distscale --help": [CLI, "--help"],
    "hf-distscale eval --help": [CLI, "eval", "--help"],
    "hf-distscale analyze no-such-file --out x": [CLI, "analyze", "no-such-file", "--out", "x"],
    "hf-distscale eval no/such/population --out x.parquet": [CLI, "eval", "no/such/population", "--out", "x.parquet"],
    "python -c 'import torch' (for scale)": [sys.executable, "-c", "import torch"],
}


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default: 7)")
    args = parser.parse_args()
    times = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as folder:  # `x` and friends never exist there
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                start = time.perf_counter()
                done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
                times[name].append(time.perf_counter() - start)
                assert done.returncode in (0, 2), f"{name}: exit {done.returncode}\n{done.stderr}"
    base = statistics.median(times["python -c pass"])
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"median of {args.runs} runs\n")
    print("| command | median s | × `python -c pass` |")
    print("|---|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median:.2f} | {median / base:.1f}× |")


if __name__ == "__main__":
    main()
