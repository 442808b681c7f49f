"""Metric properties and per-benchmark failure/success thresholds, read from `benchmarks.yaml`.

A seed fails when its score x is below the failure line and succeeds when x
is above the success line. A benchmark's YAML entry gives the lines either as
scores (counting EM: 0.1 and 0.5) or on the above-chance scale
z = (x - chance) / (1 - chance), which `score_thresholds` turns into scores:

    x_line = chance + z_line * (1 - chance).

The reasons for each choice are written in the YAML beside the numbers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml

BENCHMARKS_YAML = Path(__file__).with_name("benchmarks.yaml")
DEFAULT_BENCHMARK = "default"


class Thresholds(NamedTuple):
    failure: float
    success: float


@cache
def _config() -> dict:
    return yaml.safe_load(BENCHMARKS_YAML.read_text())


def metric_names() -> tuple[str, ...]:
    """Every metric column the analysis can read."""
    return tuple(_config()["metrics"])


def metric_info(metric: str) -> dict:
    """{label, bounded, higher_is_better, counts} of `metric`; ValueError for an unknown one."""
    metrics = _config()["metrics"]
    if metric not in metrics:
        raise ValueError(f"metric: unknown metric {metric!r}; choose one of {', '.join(metrics)}")
    return metrics[metric]


def score_thresholds(benchmark: str, metric: str, chance: float) -> Thresholds | None:
    """The failure and success lines of `metric` on `benchmark`, as scores; None where undefined.

    A benchmark without an entry uses `default` (any multiple-choice task).
    Lines relative to chance are undefined where chance is NaN (lm-eval results
    ingested without their samples files).
    """
    table = _config()["thresholds"]
    entry = table.get(benchmark, table[DEFAULT_BENCHMARK]).get(metric)
    if entry is None:
        return None
    if not entry["relative_to_chance"]:
        return Thresholds(float(entry["failure"]), float(entry["success"]))
    if chance != chance:  # NaN: chance unknown
        return None
    return Thresholds(*(float(chance + entry[line] * (1 - chance)) for line in ("failure", "success")))
