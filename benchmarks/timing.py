"""How every benchmark here times things: variants in turn, repeated, reported as median (min-max).

On a shared machine the load comes and goes within seconds. Timed one after
the other, two variants can see two different machines: three runs of the
old training benchmark gave our loop 0.05x, 4.41x and 3.77x `Trainer`, and
its matmul peak moved between 64 and 201 GFLOP/s. So `interleave` runs
every variant once per round, in the same order (A B A B ...), after a
warm-up call of each, and keeps every round's sample: the median is the
figure, min and max its spread, and `paired_ratio` divides two variants
round by round (the two saw nearly the same load). The matmul peak is
measured as variants of the same rounds (`matmul_variants`), so the % of
peak compares like with like. A measurement whose spread exceeds
`SPREAD_LIMIT` of its median says so (`spread_warnings`).

A variant is a callable returning one sample: seconds (wrap it in `timed`)
or a rate it measured itself, such as steady-state steps/s.

Two clocks (`CLOCKS`): "wall" (`time.perf_counter`) and "cpu"
(`time.process_time`, the CPU seconds of this process, all its threads).
Interleaving shares a busy machine's load fairly between variants; the CPU
clock does not count the time a run waits for a core at all. It counts
what OpenMP threads spend spinning while they wait for each other, though,
so use it with one thread.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
SPREAD_LIMIT = 0.25  # (max - min) / median above which a benchmark says its figure is noisy
# /proc/cpuinfo flag -> the name the README uses; what decides whether bf16 matmuls run in hardware.
CPU_FEATURES = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_bf16": "AVX-512 BF16",
                "amx_tile": "AMX", "amx_bf16": "AMX-BF16"}


@dataclass
class Measurement:
    """One variant's samples, one per round, or why it has none (`missing`)."""

    samples: list[float] = field(default_factory=list)
    missing: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median: 0 for one sample."""
        return (self.high - self.low) / self.median

    @property
    def noisy(self) -> bool:
        return self.spread > SPREAD_LIMIT

    def text(self, scale: float = 1.0, digits: int = 2) -> str:
        """'median (min-max)', each multiplied by `scale`."""
        return (f"{self.median * scale:,.{digits}f} ({self.low * scale:,.{digits}f}-"
                f"{self.high * scale:,.{digits}f})")


def timed(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> Callable[[], float]:
    """A variant whose sample is the seconds of `fn()` on `clock` (wall time by default)."""
    def run() -> float:
        start = clock()
        fn()
        return clock() - start
    return run


def interleave(variants: dict[str, Callable[[], float]], repeats: int, warmup: int = 1,
               deadline: float | None = None, failures: tuple[type[Exception], ...] = ()
               ) -> dict[str, Measurement]:
    """`warmup` untimed calls of each variant, then `repeats` rounds of one call of each, in order.

    A variant raising one of `failures` (e.g. torch.compile unsupported, out
    of memory) keeps the samples it has and is called no more, with the
    error as its `missing` reason; so is every variant once `deadline` (a
    `time.perf_counter()` value) has passed. Warm-up calls are never samples:
    they pay one-off costs (imports, compilation, caches).
    """
    results = {name: Measurement() for name in variants}
    for round_number in range(warmup + repeats):
        for name, variant in variants.items():
            result = results[name]
            if result.missing:
                continue
            if deadline is not None and time.perf_counter() > deadline:
                result.missing = "skipped: past the time budget"
                continue
            try:
                sample = variant()
            except failures as err:
                result.missing = f"failed: {type(err).__name__}: {str(err).splitlines()[0][:120]}"
                continue
            if round_number >= warmup:
                result.samples.append(sample)
    for result in results.values():
        if not result.samples and not result.missing:
            result.missing = "no samples"
    return results


def paired_ratio(numerator: Measurement, denominator: Measurement) -> Measurement:
    """numerator / denominator round by round: each ratio is of two samples taken moments apart."""
    if numerator.missing or denominator.missing:
        return Measurement(missing=numerator.missing or denominator.missing)
    return Measurement([a / b for a, b in zip(numerator.samples, denominator.samples)])


def matmul_variants(dtypes: tuple[str, ...] = ("fp32", "bf16"), size: int = 1024, device: str = "cpu",
                    clock: Callable[[], float] = time.perf_counter) -> dict[str, Callable[[], float]]:
    """'matmul fp32' etc.: variants whose sample is the FLOP/s of the best of 3 square matmuls on `clock`."""
    import torch

    from hf_distscale.models.cost import matmul_peak

    kinds = {"fp32": torch.float32, "bf16": torch.bfloat16}
    return {f"matmul {name}": (lambda dtype=kinds[name]: matmul_peak(dtype, size, repeats=3, device=device,
                                                                              clock=clock))
            for name in dtypes}


def cpu_features() -> list[str]:
    """The features of `CPU_FEATURES` this CPU's /proc/cpuinfo flags name ([] where there is none)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return []
    flags = set()
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return [name for flag, name in CPU_FEATURES.items() if flag in flags]


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """The CPU, its cores, the features found and the load average: what a table's numbers came from."""
    features = cpu_features()
    found = ", ".join(features) if features else "none of " + ", ".join(CPU_FEATURES.values())
    load = f"; load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"CPU: {cpu_name()}, {os.cpu_count()} cores; features: {found}{load}"


def spread_warnings(results: dict[str, Measurement]) -> list[str]:
    """One line per measurement whose spread exceeds SPREAD_LIMIT of its median."""
    return [f"NOISY: {name}: spread {100 * result.spread:.0f}% of the median (over "
            f"{100 * SPREAD_LIMIT:.0f}%); the machine's load changed during the run, rerun before quoting it"
            for name, result in results.items() if result.samples and result.noisy]


def spread_report(results: dict[str, Measurement]) -> str:
    """The benchmark's closing line(s): its spread warnings, or that there were none."""
    return "\n".join(spread_warnings(results)) or f"every spread within {100 * SPREAD_LIMIT:.0f}% of its median"
