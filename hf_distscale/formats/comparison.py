"""What `compare` writes into its output folder.

    <out>/comparison.json   the two sides (sources and filters), the settings (metric, alpha, power,
                            effect, resamples, permutations, seed), the keys groups were matched on,
                            and one entry per matched group: family, scale, benchmark, condition
                            (a "X vs Y" text where the sides differ on it), seeds per side, each
                            side's mean, P(success) and successful mean, their differences A - B with
                            95% intervals (null with a `*_note` where undefined), the permutation
                            p-value, its Benjamini-Hochberg adjustment, the verdict, and what the seed
                            counts can detect (seeds per side for the stated effect, smallest
                            detectable difference)
    <out>/comparison.md     the same groups as a table for people
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hf_distscale.formats.analysis import plain
from hf_distscale.formats.versions import dump_json, load_json

COMPARISON_FILE = "comparison.json"
COMPARISON_MD = "comparison.md"


def comparison_json(sides: dict, settings: dict, keys: list[str], groups: pd.DataFrame) -> bytes:
    """The bytes of comparison.json."""
    data = {"sides": sides, "settings": settings, "matched_on": keys,
            "groups": groups.to_dict(orient="records")}
    return dump_json(plain(data), "comparison")


def read_comparison(out_dir: str | Path) -> dict:
    """{"sides", "settings", "matched_on", "groups": [one dict per matched group]}."""
    return load_json(Path(out_dir) / COMPARISON_FILE, "comparison")
