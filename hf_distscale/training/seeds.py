"""Seed lists from the command line: `0-7`, `0,3,5` or a mix such as `0-3,10`.

One run trains at most MAX_SEEDS seeds per scale: the paper's populations
have 250, and a list beyond the ceiling is far more likely a typo
(`0-1000000`) than a plan. A larger population is several runs into one
folder (finished seeds are kept; a run resumes), or a raised ceiling.
"""

from __future__ import annotations

MAX_SEEDS = 10_000


def parse_seeds(text: str) -> list[int]:
    """Expand comma-separated seeds and inclusive LOW-HIGH ranges, keeping order, no repeats.

    A list of more than MAX_SEEDS seeds is a ValueError, found before any range is expanded.
    """
    seeds: dict[int, None] = {}
    for part in str(text).split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        try:
            bounds = (int(low), int(high)) if sep else (int(part), int(part))
        except ValueError:
            raise ValueError(
                f"seeds: {part!r} is not a seed; write non-negative integers and LOW-HIGH "
                f"ranges separated by commas, e.g. 0-7 or 0,3,5"
            ) from None
        if sep and bounds[0] > bounds[1]:
            raise ValueError(f"seeds: range '{part}' is empty; write LOW-HIGH with LOW <= HIGH")
        if bounds[1] - bounds[0] >= MAX_SEEDS:  # checked before a typo's range is expanded
            raise too_many_seeds(text)
        seeds.update(dict.fromkeys(range(bounds[0], bounds[1] + 1)))
        if len(seeds) > MAX_SEEDS:
            raise too_many_seeds(text)
    return list(seeds)


def too_many_seeds(text: str) -> ValueError:
    return ValueError(
        f"seeds: {text!r} is more than {MAX_SEEDS:,} seeds, the ceiling of one run; train a larger "
        f"population in several runs into the same --out (e.g. --seeds 0-{MAX_SEEDS - 1}, then "
        f"--seeds {MAX_SEEDS}-{2 * MAX_SEEDS - 1})"
    )
