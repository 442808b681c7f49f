"""Find the models to evaluate and load them, checked against their task.

A source is a population folder (finished seeds are the folders holding
`seed_record.json`, see the population layout), a single model folder, or a
Hub repo id. A model without a seed record needs the task from a preset; its
identity columns then come from its config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from hf_distscale.evaluation.results import IDENTITY_COLUMNS
from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.tokenizer import SPECIAL_TOKENS

SEED_RECORD = "seed_record.json"


@dataclass(frozen=True)
class ModelEntry:
    """One model to evaluate: its folder, the identity columns of its rows, and its task."""

    path: str
    identity: dict
    task: CountingTask


def find_models(sources: list[str], preset: str | None = None) -> list[ModelEntry]:
    """Expand population folders, model folders and repo ids into model entries, in order."""
    entries = []
    for source in sources:
        path = Path(source)
        if path.is_dir() and not (path / "config.json").is_file():
            entries += population_models(path)
        else:
            entries.append(model_entry(_local_folder(source), preset))
    return entries


def population_models(population_dir: Path) -> list[ModelEntry]:
    """Every finished seed under a population folder, sorted by scale index then seed."""
    records = sorted(population_dir.glob(f"*/seed-*/{SEED_RECORD}"))
    if not records:
        raise ValueError(
            f"population: {population_dir} holds no finished seed (no */seed-*/{SEED_RECORD}) "
            f"and no config.json; train the population first with `hf-distscale train`, or "
            f"pass a model folder written by `save_pretrained`"
        )
    entries = [model_entry(record.parent) for record in records]
    return sorted(entries, key=lambda e: (e.identity["scale_index"], e.identity["seed"]))


def model_entry(folder: Path, preset: str | None = None) -> ModelEntry:
    """Identity and task from `seed_record.json`, or from the config plus `preset`."""
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"model: {folder} has no config.json; point at a folder written by "
            f"`save_pretrained` (a finished seed folder holds one)"
        )
    record_path = folder / SEED_RECORD
    if record_path.is_file():
        record = json.loads(record_path.read_text())
        identity = {key: record[key] for key in IDENTITY_COLUMNS}
        return ModelEntry(str(folder.resolve()), identity, CountingTask(**record["task"]))
    if preset is None:
        raise ValueError(
            f"model: {folder} has no {SEED_RECORD}, so its task is unknown; pass --preset NAME"
        )
    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        num_parameters = AutoModelForCausalLM.from_config(config).num_parameters()
    identity = {
        "population": folder.name,
        "family": "",
        "scale": folder.name,
        "scale_index": 0,
        "num_parameters": num_parameters,
        "num_layers": config.num_hidden_layers,
        "hidden_size": config.hidden_size,
        "seed": -1,
        "data_seed": -1,
        "precision": "fp32",
        "preset": preset,
    }
    return ModelEntry(str(folder.resolve()), identity, CountingTask.from_preset(preset))


def _local_folder(source: str) -> Path:
    """A local folder as is; anything else is a Hub repo id, fetched with `snapshot_download`."""
    path = Path(source)
    if path.exists():
        return path
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(source))


def load_model(entry: ModelEntry, device: str = "cpu"):
    """Load the model in eval mode, checking its vocabulary against the task's tokenizer."""
    task = entry.task
    model = AutoModelForCausalLM.from_pretrained(entry.path).to(device).eval()
    if model.config.vocab_size != task.vocab_size:
        raise ValueError(
            f"model: {entry.path} has vocab_size {model.config.vocab_size} but its task needs "
            f"{task.vocab_size}; evaluate it with the preset it was trained on"
        )
    if (Path(entry.path) / "tokenizer.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(entry.path)
        expected = [task.start_id, task.sep_id, task.end_id, task.pad_id]
        if (
            len(tokenizer) != task.vocab_size
            or tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS)) != expected
        ):
            raise ValueError(
                f"model: {entry.path} ships a tokenizer that does not match the task's "
                f"(vocab {len(tokenizer)}, expected {task.vocab_size} with `$ > . <pad>` at "
                f"{expected}); re-save it with `build_tokenizer(task)`"
            )
    return model
