"""Who a model is and which measurement a result row is: the keys every stage agrees on.

A model's identity is its seed record's fields (`IDENTITY_COLUMNS`); the
fields that tell two models apart are `MODEL_KEY` (a population holds one
model per scale and seed). A result row is one model measured on one
benchmark under one condition, `RESULT_KEY`. Both are defined here once, so
a stage that adds a field to a model (a training step) or to a row (a task
variant, a per-item table's item id) adds it here and every duplicate check,
message and join follows.
"""

from __future__ import annotations

from collections.abc import Mapping

# The seed record's fields that every results row repeats (`formats.population`, `formats.results`).
IDENTITY_COLUMNS = (
    "population",
    "family",
    "scale",
    "scale_index",
    "num_parameters",
    "num_layers",
    "hidden_size",
    "seed",
    "data_seed",
    "precision",
    "preset",
)
# What tells two models apart; -1 is the seed of a model whose seed is unknown. The family is
# part of it: one population may hold several families (depth and width) whose scale labels coincide.
MODEL_KEY = ("population", "family", "scale", "seed")
# What tells two result rows apart: one model, one benchmark, one condition.
RESULT_KEY = (*MODEL_KEY, "benchmark", "condition")


def describe(row: Mapping, key: tuple[str, ...] = RESULT_KEY) -> str:
    """`population 'p' scale 'l2' seed 3 ...`: a row's identity as messages name it (absent fields left out)."""
    return " ".join(f"{name} {row[name]!r}" if isinstance(row[name], str) else f"{name} {row[name]}"
                    for name in key if name in row)
