"""What `analyze` writes into its output folder, for the stages after it.

    <out>/statistics.json   per (population, benchmark, family, scale, condition) statistics
                            with CIs and verdicts, B/L per seed, scaling and PassUntil fits,
                            messages; the metric and resample count
    <out>/claims.json       the paper's claims checked on these results (a list of entries)
    <out>/figures.json      the figure index: one entry per drawn figure, with its files
                            relative to <out>
    <out>/figures/<population>/<benchmark>/<figure>_<family>.{png,svg}
    <out>/summary.csv, summary.md   the per-scale table for people

The leaderboard and anything else downstream read these files and recompute
nothing. Each JSON file carries its format version (`versions`).
"""

from __future__ import annotations

from pathlib import Path

from hf_distscale.formats.versions import dump_json, load_json

STATISTICS_FILE = "statistics.json"
CLAIMS_FILE = "claims.json"
FIGURES_INDEX = "figures.json"
FIGURES_DIR = "figures"
SUMMARY_CSV = "summary.csv"
SUMMARY_MD = "summary.md"


def figure_folder(out_dir: str | Path, population: str, benchmark: str) -> Path:
    """<out>/figures/<population>/<benchmark>/: one folder per population and benchmark."""
    return Path(out_dir) / FIGURES_DIR / population / benchmark


def is_analysis(folder: str | Path) -> bool:
    """True when `folder` holds an `analyze` output (its statistics.json)."""
    return (Path(folder) / STATISTICS_FILE).is_file()


def write_statistics(out_dir: str | Path, statistics: dict) -> Path:
    path = Path(out_dir) / STATISTICS_FILE
    path.write_bytes(dump_json(statistics, "statistics"))
    return path


def read_statistics(out_dir: str | Path) -> dict:
    return load_json(Path(out_dir) / STATISTICS_FILE, "statistics")


def write_claims(out_dir: str | Path, claims: list[dict]) -> Path:
    path = Path(out_dir) / CLAIMS_FILE
    path.write_bytes(dump_json({"claims": claims}, "claims"))
    return path


def read_claims(out_dir: str | Path) -> list[dict]:
    return load_json(Path(out_dir) / CLAIMS_FILE, "claims")["claims"]


def write_figure_index(out_dir: str | Path, figures: list[dict]) -> Path:
    """`figures`: entries {figure, population, benchmark, family, files: {ext: path relative to out_dir}}."""
    path = Path(out_dir) / FIGURES_INDEX
    path.write_bytes(dump_json({"figures": figures}, "figures"))
    return path


def read_figure_index(out_dir: str | Path) -> list[dict]:
    return load_json(Path(out_dir) / FIGURES_INDEX, "figures")["figures"]
