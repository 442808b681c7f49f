"""The counting benchmark: teacher-forced EM and continuous metrics per test length, resumably.

One row per (model, test length), benchmark "counting", condition "len<L>";
with `generate`, also greedy `generate()` EM (`em_generate`), and a row
without it counts as missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from transformers import AutoTokenizer

from hf_distscale.evaluation.forward import generate_scores, teacher_forced_scores
from hf_distscale.evaluation.loop import evaluate_models
from hf_distscale.evaluation.metrics import summarize
from hf_distscale.evaluation.models import ModelRef, model_folder, resolve_models
from hf_distscale.formats.items import ItemsFile, item_rows, items_path
from hf_distscale.formats.population import SEED_RECORD
from hf_distscale.formats.results import COUNTING_BENCHMARK, counting_condition
from hf_distscale.models.loading import load_causal_lm
from hf_distscale.tasks.tokenizer import SPECIAL_TOKENS


def evaluate_population(
    sources: str | Path | list,
    out_parquet: str | Path,
    test_lengths: list[int] | None = None,
    preset: str | None = None,
    batch_size: int = 512,
    precision: str = "auto",
    generate: bool = False,
    device: str | None = None,
    items: bool = True,
) -> pd.DataFrame:
    """Evaluate every seed of `sources` at every test length; return the whole table.

    `sources`: population folders, model folders or Hub repo ids (one or a list).
    `test_lengths`: defaults to each model's task test lengths.
    `precision`: "auto" uses the population's training precision (SPEC §4:
    precision is part of a population's identity), or force "fp32" / "bf16".
    `generate`: also compute greedy `generate()` EM (column `em_generate`).
    `items`: keep each test window's correctness and NLL in the items table beside
    `out_parquet` (`formats.items`); False keeps none.
    """
    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    refs = resolve_models([str(s) for s in sources], preset)
    benchmark = Counting(refs, test_lengths, batch_size, precision, generate,
                         items_path(out_parquet) if items else None)
    return evaluate_models(refs, benchmark, out_parquet, device)


class Counting:
    """The counting-task adapter of the evaluation loop; checks every model's task up front."""

    def __init__(self, refs: list[ModelRef], test_lengths: list[int] | None, batch_size: int,
                 precision: str, generate: bool, items_file: Path | None = None):
        self.lengths = {ref.model_path: _lengths(ref, test_lengths) for ref in refs}
        self.batch_size, self.precision, self.generate = batch_size, precision, generate
        self.items = ItemsFile(items_file)

    def pending(self, done: pd.DataFrame, ref: ModelRef) -> list[int]:
        """Test lengths without a row (or without `em_generate` when asked for)."""
        done = done[done["benchmark"] == COUNTING_BENCHMARK]
        if self.generate:
            done = done[done["em_generate"].notna()]
        finished = set(done["test_length"].tolist())
        return [length for length in self.lengths[ref.model_path] if length not in finished]

    def load(self, ref: ModelRef, device: str):
        return load_model(ref, device)

    def score(self, model, ref: ModelRef, pending: list[int]) -> list[dict]:
        """One results row per test length in `pending`; every window's result goes to the items table."""
        precision = ref.identity["precision"] if self.precision == "auto" else self.precision
        rows, items = [], []
        for length in pending:
            scores = teacher_forced_scores(model, ref.task, length, self.batch_size, precision)
            rows.append(self._row(model, ref, length, precision, scores))
            items.append(item_rows({**ref.identity, "model_path": ref.model_path}, COUNTING_BENCHMARK,
                                   counting_condition(length), range(len(scores["exact"])),
                                   correct=scores["exact"], nll=scores["nll_sum"]))
        self.items.replace(ref.model_path, items)
        return rows

    def _row(self, model, ref: ModelRef, length: int, precision: str, scores: dict) -> dict:
        em_generate = (
            summarize(generate_scores(model, ref.task, length, self.batch_size, precision))["em"]
            if self.generate
            else float("nan")
        )
        return {
            **ref.identity,
            "benchmark": COUNTING_BENCHMARK,
            "condition": counting_condition(length),
            "test_length": length,
            "chance": 0.0,
            **summarize(scores),
            "em_generate": em_generate,
            "model_path": ref.model_path,
        }


def _lengths(ref: ModelRef, test_lengths: list[int] | None) -> list[int]:
    if ref.task is None and ref.recorded:
        raise ValueError(
            f"model: {ref.model_path} was not trained on the counting task (its {SEED_RECORD} "
            f"names no task); evaluate a language-model population with `hf-distscale lm-eval`"
        )
    if ref.task is None:
        raise ValueError(
            f"model: {ref.model_path} has no {SEED_RECORD}, so its task is unknown; pass --preset NAME"
        )
    lengths = list(test_lengths or ref.task.test_lengths)
    for length in lengths:
        ref.task.check_test_length(length)
    return lengths


def load_model(ref: ModelRef, device: str = "cpu"):
    """Load the model strictly (`load_causal_lm`) in eval mode, checking its vocabulary against the
    task's tokenizer."""
    task = ref.task
    folder = model_folder(ref)
    model = load_causal_lm(folder, ref.model_path).to(device).eval()
    if model.config.vocab_size != task.vocab_size:
        raise ValueError(
            f"model: {ref.model_path} has vocab_size {model.config.vocab_size} but its task needs "
            f"{task.vocab_size}; evaluate it with the preset it was trained on"
        )
    if (folder / "tokenizer.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        expected = [task.start_id, task.sep_id, task.end_id, task.pad_id]
        if (
            len(tokenizer) != task.vocab_size
            or tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS)) != expected
        ):
            raise ValueError(
                f"model: {ref.model_path} ships a tokenizer that does not match the task's "
                f"(vocab {len(tokenizer)}, expected {task.vocab_size} with `$ > . <pad>` at "
                f"{expected}); re-save it with `build_tokenizer(task)`"
            )
    return model
