"""The resumable evaluation loop over (model x benchmark), one model in memory at a time.

A benchmark adapter says what is still missing for a model, loads it, and
scores it into results rows. The loop skips a model with nothing missing,
replaces the model's rows of the same (benchmark, condition) by the new ones,
and rewrites the table atomically after each model, so rerunning after an
interruption, or after deleting some rows, computes only what is missing.
The table is locked while the loop runs: a second run writing it fails at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd
from tqdm.auto import tqdm

from hf_distscale.evaluation.device import resolve_device
from hf_distscale.evaluation.models import ModelRef
from hf_distscale.formats.outputs import note_kept, output_lock
from hf_distscale.formats.results import append_rows, read_table, write_table
from hf_distscale.models.loading import check_model_folder


class Benchmark(Protocol):
    """What the loop needs from a benchmark; adding a benchmark is adding one of these."""

    def pending(self, done: pd.DataFrame, ref: ModelRef) -> list:
        """The work not yet in `done` (this model's rows); empty when the model is finished."""

    def load(self, ref: ModelRef, device: str):
        """The model, checked against the benchmark."""

    def score(self, model, ref: ModelRef, pending: list) -> list[dict]:
        """Results rows of `pending` (and any side table the benchmark keeps, written first)."""


def evaluate_models(refs: list[ModelRef], benchmark: Benchmark, out: str | Path,
                    device: str | None = None) -> pd.DataFrame:
    """Evaluate every model of `refs` on `benchmark` into the table at `out`; returns the table."""
    device = resolve_device(device)
    with output_lock(out):  # read under the lock, so a row another run finished is never dropped
        note_kept(out, f"every finished model's rows in {out}")
        table = read_table(out)
        for ref in refs:  # a local model with work left is checked before any row is written
            if ref.folder is not None and benchmark.pending(table[table["model_path"] == ref.model_path], ref):
                check_model_folder(ref.folder, ref.model_path)
        for ref in tqdm(refs, desc="models", unit="model"):
            own = table["model_path"] == ref.model_path
            pending = benchmark.pending(table[own], ref)
            if not pending:
                continue
            model = benchmark.load(ref, device)
            rows = benchmark.score(model, ref, pending)
            del model  # free it before the next one loads
            new = {(row["benchmark"], row["condition"]) for row in rows}
            stale = own & pd.Series([key in new for key in zip(table["benchmark"], table["condition"])],
                                    index=table.index, dtype=bool)
            table = append_rows(table[~stale], rows)
            write_table(table, out)
        if table.empty:
            write_table(table, out)
    return table
