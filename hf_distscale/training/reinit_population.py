"""Reinit populations: seeds made from pretrained causal LMs by re-initialisation + continued pretraining.

Per seed (a `SeedJob` starting from a `ReinitStart`, trained by the
population's `SeedRunner`): load the base, re-initialise the chosen
parameters under the init seed (`reinit.py`), continue pretraining on the
packed text in the data seed's order (`lm_objective.py`), save a standard
model folder with the base's tokenizer. The layout is the population layout
of `population.py`:

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

from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator

from hf_distscale.models.loading import skeleton
from hf_distscale.training.checkpoint import sha256
from hf_distscale.training.lm_objective import LMTrainingConfig, load_lm_preset, text_objective
from hf_distscale.training.population import (
    SeedJob, SeedRunner, claim_population, pair_data_seeds, resolve_precision,
)
from hf_distscale.training.reinit import (
    base_name, check_causal_lm, default_patterns, load_base, load_tokenizer, reinit_parameters,
    select_parameters,
)
from hf_distscale.training.text_data import dataset_progress, load_texts, pack_texts

FAMILY = "reinit"
TRAIN_CHOICES = ("all", "reinitialized")  # the LM preset's `train`: what continues training


def base_revision(base: str, config) -> str:
    """The Hub commit of a repo-id base, else the SHA-256 of a local folder's first weights file."""
    if getattr(config, "_commit_hash", None):
        return config._commit_hash
    weights = sorted(Path(base).glob("*.safetensors")) or sorted(Path(base).glob("*.bin"))
    return f"sha256:{sha256(weights[0])}" if weights else "unknown"


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


def reinit_seed_model(base: str, revision: str | None, patterns: list[str] | None, init_seed: int,
                      train: str = "all"):
    """(model, tokenizer, chosen parameter names): the base with its chosen parameters re-drawn;
    with `train="reinitialized"` every other parameter is frozen (requires_grad False)."""
    model, tokenizer = load_base(base, revision)
    names = select_parameters(model, patterns or default_patterns(model))
    reinit_parameters(model, names, init_seed)
    if train == "reinitialized":
        chosen = set(names)
        for name, param in model.named_parameters():
            param.requires_grad_(name in chosen)
    return model, tokenizer, names


@dataclass(frozen=True)
class ReinitStart:
    """A pretrained base LM with the parameters matching `patterns` (default: `default_patterns`)
    re-drawn under the init seed. Training runs on fp32 weights; the seed's folder stores them in
    the base's own dtype, so a bf16 base gives bf16 seeds. `train` is the preset's choice of what
    continues training: "all" parameters, or only the "reinitialized" ones (CPU-sized runs)."""

    base: str
    revision: str | None
    patterns: list[str] | None
    stored_dtype: torch.dtype
    train: str = "all"

    def model(self, init_seed: int):
        return reinit_seed_model(self.base, self.revision, self.patterns, init_seed, self.train)[0]

    def tokenizer(self):
        return load_tokenizer(self.base, self.revision)

    def stored(self, model):
        model.config.dtype = self.stored_dtype
        return model.to(device="cpu", dtype=self.stored_dtype)

    def describe(self) -> dict:
        return {"base": self.base}


def seed_record(job: SeedJob, preset: str, precision: str, model, summary: dict) -> dict:
    """The `seed_record.json` of one finished reinit seed: the identity columns first."""
    text = model.config.get_text_config()
    names = select_parameters(model, job.start.patterns or default_patterns(model))
    return {
        "population": job.population, "family": FAMILY, "scale": job.scale,
        "scale_index": job.scale_index, "num_parameters": model.num_parameters(),
        "num_layers": text.num_hidden_layers, "hidden_size": text.hidden_size, "seed": job.init_seed,
        "data_seed": job.data_seed, "precision": precision, "preset": preset,
        "init_seed": job.init_seed, "reinitialized_parameters": names, **summary,
    }


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
    train = load_lm_preset(preset).get("train", "all")
    if train not in TRAIN_CHOICES:
        raise ValueError(f"LM preset {preset}: train: {train!r} is not one of {list(TRAIN_CHOICES)}")
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
        "family": FAMILY, "preset": preset, "training": training.to_dict(), "train": train,
        "precision": precision,
        "bases": [{"model": base, "scale": base_name(base), "revision": base_revision(base, config),
                   "reinit": patterns or default_patterns(skeleton(config))}
                  for base, config in zip(bases, configs)],
        "dataset": {"source": str(dataset), "config": dataset_config, "split": split,
                    "text_column": text_column,
                    "train_blocks": len(packed.train), "heldout_blocks": len(packed.heldout)},
    }
    with claim_population(out_dir, population, identity, accelerator):
        jobs = [SeedJob(population, base_name(base), index, seed, data_seed,
                        ReinitStart(base, revision, patterns, config.dtype or torch.float32, train))
                for index, (base, config) in enumerate(zip(bases, configs)) for seed, data_seed in pairs]
        runner = SeedRunner(Path(out_dir), text_objective(packed, training, precision, accelerator.device),
                            training, lambda job, model, summary: seed_record(job, preset, precision, model,
                                                                              summary),
                            precision, accelerator.device, progress=progress)
        return runner.run_share(population, [[job] for job in jobs], accelerator)
