"""`build_leaderboard`: results sources in, a static leaderboard site out.

The site is the repository's `leaderboard/` folder (page, script, style,
bundled Tabulator, Space card) plus plotly.js copied from the installed
`plotly` package and the data as JSON under `data/`. It loads nothing from
the network, so it works from any folder served over HTTP and as a static
Hugging Face Space.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import plotly

from hf_distscale.leaderboard.site_data import site_data
from hf_distscale.leaderboard.sources import read_sources

SITE_TEMPLATE = Path(__file__).resolve().parents[2] / "leaderboard"
TEMPLATE_FILES = ("index.html", "app.js", "style.css", "README.md")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Written last: a folder with it is a leaderboard this builder may replace.
MANIFEST = "data/leaderboard.json"


def is_leaderboard(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() and (folder / "index.html").is_file()


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"leaderboard: {out_dir} is a file; choose a folder for the site")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_leaderboard(out_dir):
        raise ValueError(
            f"leaderboard: {out_dir} exists and is not a leaderboard (no {MANIFEST}); "
            "choose an empty or new folder"
        )


def write_site(table: pd.DataFrame, out_dir: Path, plan: bool = True,
               breakthrough_condition: str | None = None) -> Path:
    """Copy the page and its libraries into `out_dir` and write the data of `table`; return index.html."""
    board, populations = site_data(table, plan, breakthrough_condition)
    if (out_dir / "data").is_dir():
        shutil.rmtree(out_dir / "data")
    (out_dir / "data").mkdir(parents=True)
    for name in TEMPLATE_FILES:
        shutil.copy2(SITE_TEMPLATE / name, out_dir / name)
    shutil.copytree(SITE_TEMPLATE / "vendor", out_dir / "vendor", dirs_exist_ok=True)
    shutil.copy2(PLOTLY_JS, out_dir / "vendor" / "plotly.min.js")
    for population in populations:
        (out_dir / "data" / population["file"]).write_text(json.dumps(population, separators=(",", ":")))
    (out_dir / MANIFEST).write_text(json.dumps(board, separators=(",", ":")))
    return out_dir / "index.html"


def build_leaderboard(sources: str | Path | list, out_dir: str | Path, plan: bool = True,
                      breakthrough_condition: str | None = None) -> Path:
    """Build the leaderboard site of one or more results sources into `out_dir`; return its index.html.

    `sources`: Parquet results tables and/or results dataset repo ids on the Hub.
    `plan` False skips the seed planner (its simulations dominate the build at
    paper size), leaving "seeds needed" empty. `breakthrough_condition` (e.g.
    "len18") is where B/L, the claims and the figures look, for the benchmarks
    that have it; the others use the analysis default.
    Raises FileNotFoundError / ValueError (one line each) for a missing,
    empty or schema-less table, an unreachable repo, or an `out_dir` that
    exists, holds files and is not a leaderboard.
    """
    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    table = read_sources(sources)
    return write_site(table, out_dir, plan, breakthrough_condition)
