"""Find the models to evaluate and load them, checked against their task.

A source is a population folder (finished seeds are the folders holding
`seed_record.json`, see the population layout), a single model folder, a Hub
population repo id (read seed by seed, see `hf_distscale.hub`), or a Hub
model repo id, each repo id optionally `@REVISION`. A model without a seed
record needs the task from a preset; its identity columns then come from its
config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from hf_distscale.formats.results import IDENTITY_COLUMNS
from hf_distscale.evaluation.sources import SEED_RECORD, expand_spec, finished_seeds
from hf_distscale.tasks import CountingTask
from hf_distscale.tasks.tokenizer import SPECIAL_TOKENS


@dataclass(frozen=True)
class ModelEntry:
    """One model to evaluate: its folder, the identity columns of its rows, and its task."""

    path: str
    identity: dict
    task: CountingTask


def find_models(sources: list[str], preset: str | None = None) -> list[ModelEntry]:
    """Expand population folders, model folders and repo ids into model entries, in order.

    Each source may be a pattern (`{a,b}`, `{1..9}`, globs; see `expand_spec`).
    """
    entries = []
    for source in (name for spec in sources for name in expand_spec(spec)):
        path = Path(source)
        if path.is_dir() and not (path / "config.json").is_file():
            entries += population_models(path)
        elif not path.exists() and _is_population_repo(source):
            entries += hub_population_models(source)
        else:
            entries.append(model_entry(_local_folder(source), preset))
    return entries


def _is_population_repo(source: str) -> bool:
    from hf_distscale.hub.errors import looks_like_path, no_such_path
    from hf_distscale.hub.reading import is_population_repo

    if looks_like_path(source):
        raise no_such_path(source)
    repo_id, _, revision = source.partition("@")
    return is_population_repo(repo_id, revision or None)


def hub_population_models(source: str) -> list[ModelEntry]:
    """Every seed of a Hub population repo (`REPO_ID[@REVISION]`), from its `seeds.parquet`.

    Nothing is downloaded here but the index; `load_model` fetches each seed
    folder when it is evaluated, so a resumed run skips finished seeds' downloads.
    """
    from hf_distscale.formats.population import seed_uri
    from hf_distscale.hub.reading import population_repo_identity, population_repo_seeds

    repo_id, _, revision = source.partition("@")
    task = CountingTask(**population_repo_identity(repo_id, revision or None)["task"])
    seeds = population_repo_seeds(repo_id, revision or None)
    return [
        ModelEntry(seed_uri(repo_id, row["subfolder"], revision or None),
                   {key: row[key] for key in IDENTITY_COLUMNS}, task)
        for row in seeds.to_dict("records")
    ]


def population_models(population_dir: Path) -> list[ModelEntry]:
    """Every finished seed under a population folder, sorted by scale index then seed."""
    return finished_seeds(population_dir, model_entry,
                          "train the population first with `hf-distscale train`, or pass a model "
                          "folder written by `save_pretrained`")


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
        if "task" not in record:
            raise ValueError(
                f"model: {folder} was not trained on the counting task (its {SEED_RECORD} names "
                f"no task); evaluate a language-model population with `hf-distscale lm-eval`"
            )
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
    """A local folder as is; anything else is a Hub model repo id, fetched with `snapshot_download`."""
    path = Path(source)
    if path.exists():
        return path
    from huggingface_hub import snapshot_download

    from hf_distscale.hub.errors import hub_errors

    repo_id, _, revision = source.partition("@")
    with hub_errors(repo_id):
        return Path(snapshot_download(repo_id, revision=revision or None))


def load_model(entry: ModelEntry, device: str = "cpu"):
    """Load the model in eval mode, checking its vocabulary against the task's tokenizer."""
    from hf_distscale.hub.reading import seed_folder

    task = entry.task
    folder = seed_folder(entry.path)
    model = AutoModelForCausalLM.from_pretrained(folder).to(device).eval()
    if model.config.vocab_size != task.vocab_size:
        raise ValueError(
            f"model: {entry.path} has vocab_size {model.config.vocab_size} but its task needs "
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
                f"model: {entry.path} ships a tokenizer that does not match the task's "
                f"(vocab {len(tokenizer)}, expected {task.vocab_size} with `$ > . <pad>` at "
                f"{expected}); re-save it with `build_tokenizer(task)`"
            )
    return model
