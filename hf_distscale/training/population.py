"""Populations: one family's scales x many seeds, sharded over processes, resumable.

Layout (read by every later stage):

    OUT/<population>/population.json        identity: preset, task, training, family, precision
    OUT/<population>/<scale>/seed-0003/     a finished seed: a standard HF model folder
        config.json, generation_config.json, model.safetensors, tokenizer files
        train_log.jsonl                     loss, lr, in-distribution EM (JSONL tracker)
        seed_record.json                    written last, atomically: "this seed is finished"
        checkpoint/                         only while unfinished

Seeds are independent runs: each process takes every `num_processes`-th
(scale, seed) job by `process_index`, trains it alone (no DDP, no gradient
averaging), and the records are collected with `gather_object`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import gather_object
from safetensors.torch import save_file
from tqdm.auto import tqdm

from hf_distscale.models import Scale, count_parameters, llama_config, select_scales
from hf_distscale.tasks import CountingTask, build_tokenizer
from hf_distscale.training.checkpoint import CheckpointError, remove_checkpoint, write_atomic
from hf_distscale.training.config import TrainingConfig
from hf_distscale.training.tracking import JSONLTracker
from hf_distscale.training.trainer import train_seed

logger = logging.getLogger(__name__)

RECORD = "seed_record.json"
IDENTITY = "population.json"
PRECISIONS = ("fp32", "bf16")
# Measured (README, benchmarks/train_throughput.py): on this AVX2 CPU bf16
# matmuls are emulated and 20-100x slower than fp32; on GPUs bf16 is the usual choice.
DEFAULT_PRECISION = {"cpu": "fp32", "cuda": "bf16"}


def seed_dir(out_dir: Path, population: str, scale: str, seed: int) -> Path:
    return Path(out_dir) / population / scale / f"seed-{seed:04d}"


def pair_data_seeds(seeds: list[int], data_seeds: list[int] | None) -> list[int]:
    """Data seeds default to the init seeds; one value applies to all; else one per seed."""
    if data_seeds is None:
        return list(seeds)
    if len(data_seeds) == 1:
        return data_seeds * len(seeds)
    if len(data_seeds) != len(seeds):
        raise ValueError(
            f"data seeds: {len(data_seeds)} data seeds for {len(seeds)} seeds; give one data "
            f"seed per seed, a single data seed for all, or none (data seed = seed)"
        )
    return list(data_seeds)


def check_identity(out_dir: Path, population: str, identity: dict) -> None:
    """Refuse to add seeds to a population that was made with a different configuration."""
    path = Path(out_dir) / population / IDENTITY
    if not path.exists():
        return
    existing = json.loads(path.read_text())
    if existing != identity:
        differ = sorted(k for k in set(existing) | set(identity) if existing.get(k) != identity.get(k))
        raise ValueError(
            f"population {population!r} in {out_dir} was made with a different {', '.join(differ)}; "
            f"populations never mix configurations: choose a new --out directory or --population name"
        )


def seed_record(population: str, scale: Scale, preset: str, task: CountingTask,
                precision: str, seed: int, data_seed: int, summary: dict) -> dict:
    """The `seed_record.json` contents of one finished seed."""
    total, non_embedding = count_parameters(scale.num_layers, scale.hidden_size, task.vocab_size)
    return {
        "population": population, "family": scale.family, "scale": scale.name,
        "scale_index": scale.index, "preset": preset, "seed": seed, "init_seed": seed,
        "data_seed": data_seed, "precision": precision, "num_layers": scale.num_layers,
        "hidden_size": scale.hidden_size, "num_attention_heads": scale.num_attention_heads,
        "intermediate_size": scale.intermediate_size, "num_parameters": total,
        "num_parameters_non_embedding": non_embedding, **summary, "task": task.to_dict(),
    }


def finished_record(directory: Path, data_seed: int) -> dict | None:
    """The record of a finished seed (checked against the requested data seed), else None."""
    path = directory / RECORD
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if record["data_seed"] != data_seed:
        raise ValueError(
            f"{path}: seed {record['seed']} was trained with data seed {record['data_seed']}, "
            f"not {data_seed}; train other data seeds into a new --population name"
        )
    return record


def save_model_folder(model, directory: Path) -> None:
    """Write config.json, generation_config.json and model.safetensors, as `save_pretrained` does.

    transformers 5's `save_pretrained` writes nothing on ranks other than 0 once
    torch.distributed is initialised, but here every rank owns its own seeds.
    """
    model.config.save_pretrained(directory)
    model.generation_config.save_pretrained(directory)
    weights = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    save_file(weights, directory / "model.safetensors", metadata={"format": "pt"})


def run_seed(out_dir, population, scale, preset, task, training, precision, seed, data_seed,
             compile, device, progress) -> dict:
    """Train one seed unless it is finished; resume from its checkpoint if it has one."""
    directory = seed_dir(out_dir, population, scale.name, seed)
    record = finished_record(directory, data_seed)
    if record is not None:
        return record
    tracker = JSONLTracker(f"{population}/{scale.name}/seed-{seed:04d}", directory)
    kwargs = dict(init_seed=seed, data_seed=data_seed, precision=precision, compile=compile,
                  device=device, tracker=tracker, progress=progress,
                  description=f"{scale.name} seed {seed}")
    tracker.store_init_configuration({"scale": scale.to_dict(), "seed": seed, "data_seed": data_seed,
                                      "precision": precision, "training": training.to_dict()})
    config = llama_config(scale, task)
    try:
        model, summary = train_seed(config, task, training, directory / "checkpoint", **kwargs)
    except CheckpointError as err:
        logger.warning("%s; restarting seed %d of scale %s from step 0", err, seed, scale.name)
        remove_checkpoint(directory / "checkpoint")
        model, summary = train_seed(config, task, training, directory / "checkpoint", **kwargs)
    tracker.finish()
    save_model_folder(model, directory)
    build_tokenizer(task).save_pretrained(directory)
    record = seed_record(population, scale, preset, task, precision, seed, data_seed, summary)
    write_atomic(directory / RECORD, (json.dumps(record, indent=2) + "\n").encode())
    remove_checkpoint(directory / "checkpoint")
    return record


def train_population(
    family: str,
    scales: str | list[str] = "all",
    seeds: list[int] = (0,),
    preset: str = "paper",
    out_dir: str | Path = "runs",
    *,
    precision: str | None = None,
    data_seeds: list[int] | None = None,
    population: str | None = None,
    training_overrides: dict | None = None,
    compile: bool = False,
    accelerator: Accelerator | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train (or finish) every (scale, seed) of a population; return all seed records.

    `population` defaults to "<family>-<preset>". `precision` defaults to fp32
    on CPU and bf16 on CUDA. Finished seeds are skipped, unfinished ones resume
    from their last checkpoint. Every process returns the full, sorted list.
    """
    accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
    task = CountingTask.from_preset(preset)
    training = TrainingConfig.from_preset(preset, **(training_overrides or {}))
    chosen = select_scales(family, task, scales)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds: no seeds given; write e.g. --seeds 0-7")
    pairs = list(zip(seeds, pair_data_seeds(seeds, data_seeds)))
    precision = precision or DEFAULT_PRECISION.get(accelerator.device.type, "fp32")
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    population = population or f"{family}-{preset}"
    identity = {"preset": preset, "task": task.to_dict(), "training": training.to_dict(),
                "family": family, "precision": precision}
    check_identity(out_dir, population, identity)
    if accelerator.is_main_process:
        (Path(out_dir) / population).mkdir(parents=True, exist_ok=True)
        write_atomic(Path(out_dir) / population / IDENTITY,
                     (json.dumps(identity, indent=2) + "\n").encode())
    accelerator.wait_for_everyone()

    jobs = [(scale, seed, data_seed) for scale in chosen for seed, data_seed in pairs]
    mine = jobs[accelerator.process_index::accelerator.num_processes]
    records = []
    for scale, seed, data_seed in tqdm(mine, desc=f"{population} [rank {accelerator.process_index}]",
                                       disable=not progress, position=accelerator.process_index):
        records.append(run_seed(out_dir, population, scale, preset, task, training, precision,
                                seed, data_seed, compile, accelerator.device, progress))
    everything = gather_object(records)
    return sorted(everything, key=lambda r: (r["scale_index"], r["seed"]))
