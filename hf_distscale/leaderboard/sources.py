"""Read the results sources a leaderboard is built from: Parquet files and results repos.

Each source becomes rows of the results schema plus a `source` column: the
repo id for a results dataset on the Hub (the page links to it), None for a
local file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hf_distscale.hub import read_results


def read_source(source: str | Path) -> pd.DataFrame:
    """One source's rows with a `source` column (repo id or None); `read_results` reads either kind."""
    table = read_results(source)
    if table.empty:
        raise ValueError(f"leaderboard: {source} has no rows; evaluate at least one model first")
    return table.assign(source=None if Path(source).expanduser().is_file() else str(source))


def read_sources(sources: str | Path | list) -> pd.DataFrame:
    """All sources' rows in one table; raises ValueError for no sources."""
    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    if not sources:
        raise ValueError("leaderboard: no results source given; pass Parquet files or results repo ids")
    return pd.concat([read_source(s) for s in sources], ignore_index=True)
