"""`build_site`: analysis output folders in, a static leaderboard site out.

The site is the page template (page, script, style, bundled Tabulator, Space
card) plus plotly.js copied from the installed `plotly` package and the data
as JSON under `data/`. It loads nothing from the network, so it works from
any folder served over HTTP and as a static Hugging Face Space. Every number
comes from what `analyze` wrote (`hf_distscale.formats.analysis`); the
builder only lays the files out:

- `data/leaderboard.json`: the main table (one row per population, benchmark,
  scale, condition, with each number as the page shows it), the claims, the
  verdict rule, what "seeds needed" is for, and the list of populations;
- `data/population-<i>.json`: one population's figure data (seed values,
  scaling fits, top-5 seed curves).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import plotly

from hf_distscale.formats.analysis import check_analysis, read_benchmark_statistics, read_claims, read_figure_data
from hf_distscale.formats.outputs import LEADERBOARD, folder_output

# The repository's `leaderboard/` (the Space), linked into the package so that it ships as
# package data: an installed wheel has no repository root to read it from.
SITE_TEMPLATE = Path(__file__).with_name("page")
TEMPLATE_FILES = ("index.html", "app.js", "style.css", "README.md")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
BOARD_FILE = "data/leaderboard.json"
DIGITS = 4


def dataset_link(source: str | None) -> str | None:
    """The results dataset's page for a `REPO_ID` or `REPO_ID:CONFIG` source; None for a local file."""
    return None if source is None else f"https://huggingface.co/datasets/{source.partition(':')[0]}"


def site_data(analyses: list[Path], dataset_sources: dict | None = None) -> tuple[dict, list[dict]]:
    """(leaderboard.json content, one population-file content per population) of analysis folders.

    `dataset_sources` maps (population, benchmark) to the results repo the
    rows came from (linked from the table); absent means a local file.
    """
    rows, claims, populations, verdict_rule, seeds_needed_rule = [], [], [], None, None
    for folder in analyses:
        check_analysis(folder)
        statistics = read_benchmark_statistics(folder)
        if "seeds_needed_rule" not in statistics:
            raise ValueError(f"leaderboard: {folder} was written by an older `hf-distscale analyze` (no display "
                             "text for the page); run `hf-distscale analyze` on its results again")
        verdict_rule = statistics["verdict_rule"]
        seeds_needed_rule = statistics["seeds_needed_rule"] or seeds_needed_rule
        rows += statistics["rows"]
        claims += read_claims(folder)
        populations += read_figure_data(folder)
    names = [population["population"] for population in populations]
    if len(set(names)) < len(names):
        raise ValueError(f"leaderboard: population(s) {sorted({n for n in names if names.count(n) > 1})} appear in "
                         "more than one analysis; analyse their results together")
    sources = dataset_sources or {}
    for row in rows:
        row["dataset_url"] = dataset_link(sources.get((row["population"], row["benchmark"])))
    files = [{"population": p["population"], "file": f"population-{i}.json", "sections": p["sections"]}
             for i, p in enumerate(populations)]
    board = {
        "verdict_rule": verdict_rule,
        "seeds_needed_rule": seeds_needed_rule,
        "rows": rows,
        "claims": claims,
        "populations": [{"population": p["population"], "file": p["file"]} for p in files],
    }
    return clean(board), [clean(p) for p in files]


def clean(value):
    """The page's numbers: floats rounded to DIGITS significant places (the files hold full precision)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}") if math.isfinite(value) else None
    return value


def build_site(analyses: str | Path | list, out_dir: str | Path, dataset_sources: dict | None = None) -> Path:
    """Build the site of `analyses` into `out_dir`, swapped in whole under a lock; return its index.html.

    `analyses`: folders `analyze` finished. Raises ValueError (one line) for a
    folder that is not one, a population in two of them, or an `out_dir`
    that exists, holds files and is not a finished leaderboard
    (`formats.outputs.folder_output`).
    """
    with folder_output(out_dir, LEADERBOARD) as folder:
        write_site(analyses, folder, dataset_sources)
    return Path(out_dir) / "index.html"


def write_site(analyses: str | Path | list, folder: Path, dataset_sources: dict | None = None) -> None:
    """Copy the page and its libraries into the new folder `folder` and write the data of `analyses`."""
    analyses = [analyses] if isinstance(analyses, (str, Path)) else list(analyses)
    if not analyses:
        raise ValueError("leaderboard: no analysis given; pass the folders `hf-distscale analyze` wrote")
    board, populations = site_data([Path(analysis) for analysis in analyses], dataset_sources)
    (folder / "data").mkdir()
    for name in TEMPLATE_FILES:
        shutil.copy2(SITE_TEMPLATE / name, folder / name)
    shutil.copytree(SITE_TEMPLATE / "vendor", folder / "vendor")
    shutil.copy2(PLOTLY_JS, folder / "vendor" / "plotly.min.js")
    for population in populations:
        (folder / "data" / population["file"]).write_text(json.dumps(population, separators=(",", ":")))
    (folder / BOARD_FILE).write_text(json.dumps(board, separators=(",", ":")))
