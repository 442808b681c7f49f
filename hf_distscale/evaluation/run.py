"""Evaluate every model of one or more sources into the results table, resumably.

A (model, test length) row already in the table is skipped, so rerunning after
an interruption, or after deleting some rows, computes only what is missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
from tqdm.auto import tqdm

from hf_distscale.evaluation.forward import generate_scores, teacher_forced_scores
from hf_distscale.evaluation.metrics import summarize
from hf_distscale.evaluation.population import ModelEntry, find_models, load_model
from hf_distscale.formats.results import (
    COUNTING_BENCHMARK,
    append_rows,
    counting_condition,
    read_table,
    write_table,
)


def evaluate_population(
    sources: str | Path | list,
    out_parquet: str | Path,
    test_lengths: list[int] | None = None,
    preset: str | None = None,
    batch_size: int = 512,
    precision: str = "auto",
    generate: bool = False,
    device: str | None = None,
) -> pd.DataFrame:
    """Evaluate every seed of `sources` at every test length; return the whole table.

    `sources`: population folders, model folders or Hub repo ids (one or a list).
    `test_lengths`: defaults to each model's task test lengths.
    `precision`: "auto" uses the population's training precision (SPEC §4:
    precision is part of a population's identity), or force "fp32" / "bf16".
    `generate`: also compute greedy `generate()` EM (column `em_generate`).
    """
    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    entries = find_models([str(s) for s in sources], preset)
    plan = [(entry, _lengths(entry, test_lengths)) for entry in entries]
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    table = read_table(out_parquet)
    for entry, lengths in tqdm(plan, desc="models", unit="model"):
        pending = _pending(table, entry.path, lengths, generate)
        if not pending:
            continue
        model = load_model(entry, device)
        model_precision = entry.identity["precision"] if precision == "auto" else precision
        rows = [
            _evaluate_length(model, entry, length, batch_size, model_precision, generate)
            for length in pending
        ]
        stale = (table["model_path"] == entry.path) & table["test_length"].isin(pending)
        table = append_rows(table[~stale], rows)
        write_table(table, out_parquet)
    if table.empty:
        write_table(table, out_parquet)
    return table


def _lengths(entry: ModelEntry, test_lengths: list[int] | None) -> list[int]:
    lengths = list(test_lengths or entry.task.test_lengths)
    for length in lengths:
        entry.task.check_test_length(length)
    return lengths


def _pending(table: pd.DataFrame, model_path: str, lengths: list[int], generate: bool) -> list[int]:
    """Test lengths of this model without a row (or without `em_generate` when asked for)."""
    rows = table[(table["model_path"] == model_path) & (table["benchmark"] == COUNTING_BENCHMARK)]
    if generate:
        rows = rows[rows["em_generate"].notna()]
    done = set(rows["test_length"].tolist())
    return [length for length in lengths if length not in done]


def _evaluate_length(
    model, entry: ModelEntry, length: int, batch_size: int, precision: str, generate: bool
) -> dict:
    scores = teacher_forced_scores(model, entry.task, length, batch_size, precision)
    em_generate = (
        summarize(generate_scores(model, entry.task, length, batch_size, precision))["em"]
        if generate
        else float("nan")
    )
    return {
        **entry.identity,
        "benchmark": COUNTING_BENCHMARK,
        "condition": counting_condition(length),
        "test_length": length,
        "chance": 0.0,
        **summarize(scores),
        "em_generate": em_generate,
        "model_path": entry.path,
    }
