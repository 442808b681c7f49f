"""Reinit populations: seeds made from pretrained causal LMs by re-initialisation + continued pretraining.

Per seed: load the base, re-initialise the chosen parameters under the init
seed (`reinit.py`), continue pretraining on the packed text in the data seed's
order (`lm_trainer.py`), save a standard model folder with the base's
tokenizer. The layout is the population layout of `population.py`:

    OUT/<population>/population.json      identity: bases (+ revision), reinit patterns,
                                          dataset, preset, training, precision
    OUT/<population>/<scale>/seed-0003/   config.json, model.safetensors, tokenizer files,
                                          train_log.jsonl, seed_record.json (written last)

One scale per base model, named after it. Seeds are independent runs: each
process takes every `num_processes`-th (base, seed) job by `process_index`
(no DDP), unfinished seeds resume from their checkpoint, finished ones are
read back, and the records are collected with `gather_object`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import gather_object
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM

from hf_distscale.training.checkpoint import CheckpointError, remove_checkpoint, sha256, write_atomic
from hf_distscale.training.lm_trainer import LMTrainingConfig, train_causal_lm
from hf_distscale.training.population import (
    RECORD, claim_population, finished_record, pair_data_seeds, resolve_precision, save_model_folder,
    seed_dir,
)
from hf_distscale.training.reinit import (
    base_name, check_causal_lm, default_patterns, load_base, load_tokenizer, reinit_parameters,
    select_parameters,
)
from hf_distscale.training.text_data import dataset_progress, load_texts, pack_texts
from hf_distscale.training.tracking import JSONLTracker

logger = logging.getLogger(__name__)

FAMILY = "reinit"


def base_revision(base: str, config) -> str:
    """The Hub commit of a repo-id base, else the SHA-256 of a local folder's first weights file."""
    if getattr(config, "_commit_hash", None):
        return config._commit_hash
    weights = sorted(Path(base).glob("*.safetensors")) or sorted(Path(base).glob("*.bin"))
    return f"sha256:{sha256(weights[0])}" if weights else "unknown"


def skeleton(config):
    """The model of `config` on the meta device: its module tree without allocating weights."""
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def shared_tokenizer(bases: list[str], revision: str | None):
    """The bases' common tokenizer: one packed dataset serves every base, so they must agree."""
    tokenizers = [load_tokenizer(base, revision) for base in bases]
    for base, other in zip(bases[1:], tokenizers[1:]):
        if other.get_vocab() != tokenizers[0].get_vocab():
            raise ValueError(
                f"base models: {base} and {bases[0]} have different tokenizers; a population's "
                f"bases share one tokenizer (e.g. Qwen2.5 sizes); build one population per tokenizer"
            )
    return tokenizers[0]


def reinit_seed_model(base: str, revision: str | None, patterns: list[str] | None, init_seed: int):
    """(model, tokenizer, chosen parameter names): the base with its chosen parameters re-drawn."""
    model, tokenizer = load_base(base, revision)
    names = select_parameters(model, patterns or default_patterns(model))
    reinit_parameters(model, names, init_seed)
    return model, tokenizer, names


def seed_record(population, scale_name, scale_index, preset, precision, seed, data_seed, model,
                names, summary) -> dict:
    """The `seed_record.json` of one finished reinit seed: the identity columns first."""
    text = model.config.get_text_config()
    return {
        "population": population, "family": FAMILY, "scale": scale_name, "scale_index": scale_index,
        "num_parameters": model.num_parameters(), "num_layers": text.num_hidden_layers,
        "hidden_size": text.hidden_size, "seed": seed, "data_seed": data_seed,
        "precision": precision, "preset": preset, "init_seed": seed,
        "reinitialized_parameters": names, **summary,
    }


@dataclass(frozen=True)
class SeedJob:
    """One seed of one base: where the base is, how its scale is named, and the seeds."""

    base: str
    revision: str | None
    patterns: list[str] | None
    scale_name: str
    scale_index: int
    stored_dtype: torch.dtype  # the base's weights dtype, which the seed's folder keeps
    seed: int
    data_seed: int


def run_reinit_seed(out_dir, population, job: SeedJob, preset, training, packed, precision, device,
                    progress) -> dict:
    """Build one seed unless it is finished; resume from its checkpoint if it has one.

    Training runs on fp32 weights (bf16 autocast if asked); the folder stores
    them in the base's own dtype, so a bf16 base gives bf16 seeds.
    """
    base, revision, patterns, scale_name, seed, data_seed = (
        job.base, job.revision, job.patterns, job.scale_name, job.seed, job.data_seed)
    directory = seed_dir(out_dir, population, scale_name, seed)
    record = finished_record(directory, data_seed)
    if record is not None:
        return record
    tracker = JSONLTracker(f"{population}/{scale_name}/seed-{seed:04d}", directory)
    tracker.store_init_configuration({"base": base, "seed": seed, "data_seed": data_seed,
                                      "precision": precision, "training": training.to_dict()})
    kwargs = dict(data_seed=data_seed, precision=precision, device=device, tracker=tracker,
                  progress=progress, description=f"{scale_name} seed {seed}")
    model, tokenizer, names = reinit_seed_model(base, revision, patterns, seed)
    try:
        summary = train_causal_lm(model, packed, training, directory / "checkpoint", **kwargs)
    except CheckpointError as err:
        logger.warning("%s; restarting seed %d of %s from step 0", err, seed, scale_name)
        remove_checkpoint(directory / "checkpoint")
        model, tokenizer, names = reinit_seed_model(base, revision, patterns, seed)
        summary = train_causal_lm(model, packed, training, directory / "checkpoint", **kwargs)
    tracker.finish()
    model.config.dtype = job.stored_dtype
    save_model_folder(model.to(device="cpu", dtype=job.stored_dtype), directory)
    tokenizer.save_pretrained(directory)
    record = seed_record(population, scale_name, job.scale_index, preset, precision, seed, data_seed,
                         model, names, summary)
    write_atomic(directory / RECORD, (json.dumps(record, indent=2) + "\n").encode())
    remove_checkpoint(directory / "checkpoint")
    return record


def build_reinit_population(
    bases: list[str],
    dataset: str,
    seeds: list[int],
    preset: str = "tiny",
    out_dir: str | Path = "runs",
    *,
    split: str = "train",
    text_column: str = "text",
    dataset_config: str | None = None,
    patterns: list[str] | None = None,
    revision: str | None = None,
    precision: str | None = None,
    data_seeds: list[int] | None = None,
    population: str | None = None,
    training_overrides: dict | None = None,
    accelerator: Accelerator | None = None,
    progress: bool = True,
) -> list[dict]:
    """Build (or finish) every (base, seed) of a reinit population; return all seed records.

    `patterns` (fnmatch over parameter names) default to the last decoder
    layer's attention and the LM head. `population` defaults to
    "reinit-<preset>". Every process returns the full, sorted list.
    """
    accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
    training = LMTrainingConfig.from_preset(preset, **(training_overrides or {}))
    seeds = list(seeds)
    if not seeds or not bases:
        raise ValueError("reinit: give at least one base model and one seed, e.g. --seeds 0-7")
    pairs = list(zip(seeds, pair_data_seeds(seeds, data_seeds)))
    precision = resolve_precision(precision, accelerator.device)
    configs = [check_causal_lm(base, revision) for base in bases]
    tokenizer = shared_tokenizer(bases, revision)
    with dataset_progress(progress):
        texts = load_texts(dataset, split, text_column, dataset_config)
        packed = pack_texts(texts, tokenizer, text_column, training.block_size, training.eval_blocks)
    population = population or f"{FAMILY}-{preset}"
    identity = {
        "family": FAMILY, "preset": preset, "training": training.to_dict(), "precision": precision,
        "bases": [{"model": base, "scale": base_name(base), "revision": base_revision(base, config),
                   "reinit": patterns or default_patterns(skeleton(config))}
                  for base, config in zip(bases, configs)],
        "dataset": {"source": str(dataset), "config": dataset_config, "split": split,
                    "text_column": text_column,
                    "train_blocks": len(packed.train), "heldout_blocks": len(packed.heldout)},
    }
    claim_population(out_dir, population, identity, accelerator)

    jobs = [SeedJob(base, revision, patterns, base_name(base), index, config.dtype or torch.float32,
                    seed, data_seed)
            for index, (base, config) in enumerate(zip(bases, configs)) for seed, data_seed in pairs]
    mine = jobs[accelerator.process_index::accelerator.num_processes]
    records = [run_reinit_seed(out_dir, population, job, preset, training, packed, precision,
                               accelerator.device, progress)
               for job in tqdm(mine, desc=f"{population} [rank {accelerator.process_index}]",
                               disable=not progress, position=accelerator.process_index)]
    everything = gather_object(records)
    return sorted(everything, key=lambda r: (r["scale_index"], r["seed"]))
