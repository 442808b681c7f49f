"""Read the results sources a leaderboard is built from: Parquet files and results repos.

Each source becomes rows of the results schema plus a `source` column: the
repo id for a results dataset on the Hub (the page links to it), None for a
local file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow

from hf_distscale.evaluation.results import conform
from hf_distscale.hub import read_results


def _read_local(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError) as err:
        raise ValueError(
            f"leaderboard: {path} is not a Parquet results table ({err}); "
            "pass the file `hf-distscale evaluate` wrote"
        ) from err
    return conform(table, f"leaderboard: {path}")


def read_source(source: str | Path) -> pd.DataFrame:
    """One source's rows with a `source` column (repo id or None)."""
    path = Path(source)
    if path.exists() or str(source).endswith(".parquet"):
        if not path.is_file():
            raise FileNotFoundError(f"leaderboard: no results file at {path}; pass a Parquet table or a repo id")
        table, repo = _read_local(path), None
    else:
        table, repo = read_results(str(source)), str(source)
    if table.empty:
        raise ValueError(f"leaderboard: {source} has no rows; evaluate at least one model first")
    return table.assign(source=repo)


def read_sources(sources: str | Path | list) -> pd.DataFrame:
    """All sources' rows in one table; raises ValueError for no sources."""
    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    if not sources:
        raise ValueError("leaderboard: no results source given; pass Parquet files or results repo ids")
    return pd.concat([read_source(s) for s in sources], ignore_index=True)
