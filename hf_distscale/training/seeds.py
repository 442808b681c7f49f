"""Seed lists from the command line: `0-7`, `0,3,5` or a mix such as `0-3,10`."""

from __future__ import annotations


def parse_seeds(text: str) -> list[int]:
    """Expand comma-separated seeds and inclusive LOW-HIGH ranges, keeping order, no repeats."""
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        try:
            values = range(int(low), int(high) + 1) if sep else [int(part)]
        except ValueError:
            raise ValueError(
                f"seeds: {part!r} is not a seed; write non-negative integers and LOW-HIGH "
                f"ranges separated by commas, e.g. 0-7 or 0,3,5"
            ) from None
        if sep and not values:
            raise ValueError(f"seeds: range '{part}' is empty; write LOW-HIGH with LOW <= HIGH")
        for seed in values:
            if seed not in seeds:
                seeds.append(seed)
    return seeds
