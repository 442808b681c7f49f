"""What `analyze` writes into its output folder, for the stages after it.

    <out>/statistics.json   per (population, benchmark, family, scale, condition) statistics of the
                            analysed metric with CIs and verdicts, B/L per seed, scaling and
                            PassUntil fits, messages; the metric and resample count
    <out>/benchmark_statistics.json   the same groups, each benchmark in its own metric (EM for
                            counting, accuracy for multiple choice), with the planner's seed
                            counts, the seeds' model folder and each number as the page shows
                            it (`text`); the verdict rule and what the seed counts are for
                            (`seeds_needed_rule`, null when the planner did not run)
    <out>/claims.json       the paper's five findings checked per (population, benchmark), in that
                            metric: finding, statement, status (holds, does_not_hold, untestable),
                            reason, statistic, groups (the evidence), alpha, correction
    <out>/figure_data.json  per population, benchmark and family: the seed values per (scale,
                            condition), scaling fits and the top-5 seed curves by B and by L at every condition
    <out>/figures.json      the figure index: one entry per drawn figure, with its files
                            relative to <out>
    <out>/figures/<population>/<benchmark>/<figure>_<family>.{png,svg}
    <out>/summary.csv, summary.md   the per-scale table for people
    <out>/hf_distscale_output.json   the manifest, written last (`formats.outputs`): the folder is finished

The leaderboard and anything else downstream read these files and recompute
nothing. Each JSON file carries its format version (`versions`); values are
plain JSON, with null where a statistic is undefined (NaN) or infinite.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from hf_distscale.formats.outputs import ANALYSIS, MANIFEST, require_finished
from hf_distscale.formats.versions import dump_json, load_json, migration

STATISTICS_FILE = "statistics.json"
BENCHMARK_STATISTICS_FILE = "benchmark_statistics.json"
CLAIMS_FILE = "claims.json"
FIGURE_DATA_FILE = "figure_data.json"
FIGURES_INDEX = "figures.json"
FIGURES_DIR = "figures"
SUMMARY_CSV = "summary.csv"
SUMMARY_MD = "summary.md"


def figure_folder(out_dir: str | Path, population: str, benchmark: str) -> Path:
    """<out>/figures/<population>/<benchmark>/: one folder per population and benchmark."""
    return Path(out_dir) / FIGURES_DIR / population / benchmark


def is_analysis(folder: str | Path) -> bool:
    """True when `folder` is an analysis folder, finished or not: it holds a file `analyze` writes."""
    return any((Path(folder) / name).is_file() for name in (BENCHMARK_STATISTICS_FILE, STATISTICS_FILE, MANIFEST))


def check_analysis(folder: str | Path) -> Path:
    """`folder` when `analyze` finished it (its manifest is written last); else one-line ValueError."""
    return require_finished(folder, ANALYSIS, "run `hf-distscale analyze` on its results again")


def plain(value):
    """JSON-ready: numpy scalars -> Python, NaN/inf/NA -> None, tuples -> lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def write_statistics(out_dir: str | Path, statistics: dict) -> Path:
    path = Path(out_dir) / STATISTICS_FILE
    path.write_bytes(dump_json(plain(statistics), "statistics"))
    return path


def read_statistics(out_dir: str | Path) -> dict:
    return load_json(Path(out_dir) / STATISTICS_FILE, "statistics")


def write_benchmark_statistics(out_dir: str | Path, verdict_rule: str, rows: list[dict],
                               seeds_needed_rule: str | None) -> Path:
    path = Path(out_dir) / BENCHMARK_STATISTICS_FILE
    data = {"verdict_rule": verdict_rule, "seeds_needed_rule": seeds_needed_rule, "rows": rows}
    path.write_bytes(dump_json(plain(data), "benchmark_statistics"))
    return path


def read_benchmark_statistics(out_dir: str | Path) -> dict:
    """{"verdict_rule": str, "seeds_needed_rule": str or None, "rows": [one dict per group]}."""
    return load_json(Path(out_dir) / BENCHMARK_STATISTICS_FILE, "benchmark_statistics")


def write_claims(out_dir: str | Path, claims: list[dict]) -> Path:
    path = Path(out_dir) / CLAIMS_FILE
    path.write_bytes(dump_json(plain({"claims": claims}), "claims"))
    return path


def read_claims(out_dir: str | Path) -> list[dict]:
    """The findings entries (a version 1 file is migrated by `claims_as_findings`)."""
    return load_json(Path(out_dir) / CLAIMS_FILE, "claims")["claims"]


@migration("claims", since=1)
def claims_as_findings(data: dict, source: str) -> dict:
    """Claims version 1 -> 2: the free-form claims become unnumbered findings."""
    return {**data, "claims": [_claim_as_finding(claim) for claim in data["claims"]]}


def _claim_as_finding(claim: dict) -> dict:
    status = "holds" if claim.get("status") == "holds" else "does_not_hold"
    return {"population": claim.get("population"), "benchmark": claim.get("benchmark"), "finding": None,
            "statement": claim.get("claim"), "status": status, "reason": claim.get("evidence"), "statistic": "",
            "groups": [{"family": claim.get("family"), "condition": claim.get("condition")}]}


def write_figure_data(out_dir: str | Path, populations: list[dict]) -> Path:
    """`populations`: entries {population, sections: [one per (benchmark, family)]}."""
    path = Path(out_dir) / FIGURE_DATA_FILE
    path.write_bytes(dump_json(plain({"populations": populations}), "figure_data"))
    return path


def read_figure_data(out_dir: str | Path) -> list[dict]:
    return load_json(Path(out_dir) / FIGURE_DATA_FILE, "figure_data")["populations"]


def write_figure_index(out_dir: str | Path, figures: list[dict]) -> Path:
    """`figures`: entries {figure, population, benchmark, family, files: {ext: path relative to out_dir}}."""
    path = Path(out_dir) / FIGURES_INDEX
    path.write_bytes(dump_json({"figures": figures}, "figures"))
    return path


def read_figure_index(out_dir: str | Path) -> list[dict]:
    return load_json(Path(out_dir) / FIGURES_INDEX, "figures")["figures"]
