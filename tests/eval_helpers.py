"""Small trained populations for the evaluation tests, in the documented folder layout.

The trainer proper lives in `hf_distscale.training`; these helpers train a tiny
LlamaForCausalLM with a plain AdamW loop so the evaluation tests depend only on
the population layout (population.json, seed folders, seed_record.json).
"""

from __future__ import annotations

import functools
import json
import tempfile
import time
from pathlib import Path

import torch
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

from hf_distscale.data.export import export_dataset
from hf_distscale.evaluation import evaluate_population
from hf_distscale.tasks import CountingTask, build_tokenizer, labels_from_mask
from hf_distscale.training import train_population


def tiny_llama(task: CountingTask, hidden: int = 64, layers: int = 2, init_seed: int = 0):
    """A Llama with head dimension 64, as the scale families use."""
    torch.manual_seed(init_seed)
    config = LlamaConfig(
        vocab_size=task.vocab_size,
        hidden_size=hidden,
        intermediate_size=hidden * 8 // 3,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        num_key_value_heads=hidden // 64,
        max_position_embeddings=128,
        bos_token_id=task.start_id,
        eos_token_id=task.end_id,
        pad_token_id=task.pad_id,
    )
    return LlamaForCausalLM(config)


def train(
    model,
    task: CountingTask,
    steps: int,
    data_seed: int = 0,
    batch_size: int = 32,
    lr: float = 3e-3,
):
    """Plain AdamW on packed batches; returns the last loss."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    model.train()
    loss = torch.tensor(float("nan"))
    for index in range(steps):
        batch = task.training_batch(data_seed, index, batch_size)
        input_ids = torch.from_numpy(batch["input_ids"]).long()
        labels = torch.from_numpy(labels_from_mask(batch["input_ids"], batch["loss_mask"])).long()
        loss = model(input_ids=input_ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return loss.item()


def write_seed(
    population_dir: Path,
    task: CountingTask,
    scale: str,
    scale_index: int,
    seed: int,
    hidden: int,
    layers: int,
    steps: int,
    precision: str = "fp32",
) -> Path:
    """Train one seed and save it as a finished seed folder (seed_record.json last)."""
    started = time.time()
    model = tiny_llama(task, hidden, layers, init_seed=seed)
    loss = train(model, task, steps, data_seed=seed)
    folder = population_dir / scale / f"seed-{seed:04d}"
    model.generation_config = GenerationConfig(
        bos_token_id=task.start_id, eos_token_id=task.end_id, pad_token_id=task.pad_id
    )
    model.save_pretrained(folder)
    build_tokenizer(task).save_pretrained(folder)
    num_parameters = sum(p.numel() for p in model.parameters())
    embedding = model.get_input_embeddings().weight.numel() + model.lm_head.weight.numel()
    record = {
        "population": population_dir.name,
        "family": "test_family",
        "scale": scale,
        "scale_index": scale_index,
        "preset": task.name,
        "seed": seed,
        "init_seed": seed,
        "data_seed": seed,
        "precision": precision,
        "num_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": hidden // 64,
        "intermediate_size": hidden * 8 // 3,
        "num_parameters": num_parameters,
        "num_parameters_non_embedding": num_parameters - embedding,
        "steps": steps,
        "stop_reason": "max_steps",
        "wall_time_s": time.time() - started,
        "final_train_loss": loss,
        "task": task.to_dict(),
    }
    (folder / "seed_record.json").write_text(json.dumps(record, indent=2))
    return folder


def write_population(
    root: Path,
    name: str,
    scales: dict[str, tuple[int, int]],
    seeds: list[int],
    steps: int,
    preset: str = "smoke",
) -> Path:
    """A population folder: `scales` maps scale name -> (hidden, layers), smallest first."""
    task = CountingTask.from_preset(preset)
    population_dir = root / name
    population_dir.mkdir(parents=True)
    identity = {
        "preset": preset,
        "task": task.to_dict(),
        "training": {"steps": steps},
        "family": "test_family",
        "precision": "fp32",
    }
    (population_dir / "population.json").write_text(json.dumps(identity, indent=2))
    for scale_index, (scale, (hidden, layers)) in enumerate(scales.items()):
        for seed in seeds:
            write_seed(population_dir, task, scale, scale_index, seed, hidden, layers, steps)
    return population_dir


_ROOT = Path(tempfile.mkdtemp(prefix="hf_distscale_eval_tests_"))


@functools.cache
def trained_population() -> Path:
    """One seed (hidden 64, 2 layers) trained 150 steps: EM 1.0 / ~0.3 / ~0 at lengths 6 / 8 / 10."""
    return write_population(_ROOT, "trained", {"l2": (64, 2)}, seeds=[0], steps=150)


@functools.cache
def small_population() -> Path:
    """4 seeds x 2 scales, briefly trained: the shape of a population, in seconds."""
    return write_population(
        _ROOT, "small", {"l1": (64, 1), "l2": (64, 2)}, seeds=[0, 1, 2, 3], steps=10
    )


@functools.cache
def smoke_population() -> tuple[Path, Path]:
    """(population folder, results table): cpu_depth l1 seeds 0 and 1 trained by the package's own
    `train_population` on the smoke preset (so the records carry their files' SHA-256), evaluated.
    Tests that plant faults copy it first."""
    torch.set_num_threads(1)
    train_population("cpu_depth", ["l1"], [0, 1], "smoke", _ROOT / "runs", progress=False)
    population = _ROOT / "runs" / "cpu_depth-smoke"
    evaluate_population(population, _ROOT / "smoke-results.parquet")
    return population, _ROOT / "smoke-results.parquet"


@functools.cache
def exported_dataset() -> Path:
    """The smoke preset exported as a Parquet dataset folder."""
    return export_dataset(["smoke"], _ROOT / "dataset")


def seed_folder(population_dir: Path) -> Path:
    return next(population_dir.glob("*/seed-*"))
