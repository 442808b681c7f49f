"""Populations: one family's scales x many seeds, sharded over processes, resumable.

Layout (read by every later stage):

    OUT/<population>/population.json        identity: preset, task, training, family, precision
    OUT/<population>/<scale>/seed-0003/     a finished seed: a standard HF model folder
        config.json, generation_config.json, model.safetensors, tokenizer files
        train_log.jsonl                     loss, lr, in-distribution EM (JSONL tracker)
        seed_record.json                    written last, atomically: "this seed is finished"
        checkpoint/                         only while unfinished

A seed is a `SeedJob` (population, scale, init and data seed, and how its
weights start) and every population, counting or reinit, trains its jobs
through one `SeedRunner`. Seeds are independent runs (no DDP, no gradient
averaging), and the records are collected with `gather_object`. A process
trains its seeds one at a time (the CPU default: each process takes every
`num_processes`-th job by `process_index`) or K at a time as one batched
computation (`stacked.py`, the CUDA default): the main process groups each
scale's unfinished seeds into stacks of at most K seeds at the same resume
step, and each process takes every `num_processes`-th stack. Either way
every seed ends as the same standard model folder and `seed_record.json`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from accelerate import Accelerator
from accelerate.utils import broadcast_object_list, gather_object
from safetensors.torch import save_file
from tqdm.auto import tqdm

from hf_distscale.console import warn
from hf_distscale.formats.outputs import note_kept, output_lock, write_file
from hf_distscale.formats.population import (
    FILE_HASHES, POPULATION_FILE, SEED_RECORD, read_identity, read_seed_record, seed_file_hashes,
)
from hf_distscale.formats.versions import dump_json
from hf_distscale.models import Scale, count_parameters, llama_config, select_scales
from hf_distscale.tasks import CountingTask, build_tokenizer
from hf_distscale.training.checkpoint import CheckpointError, checkpoint_step, remove_checkpoint
from hf_distscale.training.config import TrainingConfig
from hf_distscale.training.memory import stack_budget
from hf_distscale.training.stack_data import default_data_workers
from hf_distscale.training.stacked import SeedStack, stack_groups
from hf_distscale.training.tracking import JSONLTracker
from hf_distscale.training.trainer import (
    Objective, OneSeed, SeedRun, build_model, counting_objective, train,
)


RECORD = SEED_RECORD
IDENTITY = POPULATION_FILE
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
    existing = read_identity(path.parent)
    if existing != identity:
        differ = sorted(k for k in set(existing) | set(identity) if existing.get(k) != identity.get(k))
        raise ValueError(
            f"population {population!r} in {out_dir} was made with a different {', '.join(differ)}; "
            f"populations never mix configurations: choose a new --out directory or --population name"
        )


def resolve_precision(precision: str | None, device: torch.device) -> str:
    """`precision`, or the device's default (DEFAULT_PRECISION) when None; one of PRECISIONS."""
    precision = precision or DEFAULT_PRECISION.get(device.type, "fp32")
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision


@contextmanager
def claim_population(out_dir: Path, population: str, identity: dict, accelerator) -> Iterator[None]:
    """Hold the population folder for the body: its lock (taken by the main process for every
    process of the run; a second run fails at once), `identity` checked against the folder's
    (`check_identity`) and written there, every process going on only once it is written."""
    folder = Path(out_dir) / population
    with output_lock(folder, held=accelerator.is_main_process):
        check_identity(out_dir, population, identity)
        if accelerator.is_main_process:
            folder.mkdir(parents=True, exist_ok=True)
            write_file(folder / IDENTITY, dump_json(identity, "population"))
            note_kept(folder, f"every finished seed in {folder} (the others resume from their last checkpoint)")
        accelerator.wait_for_everyone()
        yield


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
    record = read_seed_record(directory)
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
    Tied copies (e.g. a head tied to the input embedding) are stored once, as
    `save_pretrained` does; loading ties them again.
    """
    model.config.save_pretrained(directory)
    model.generation_config.save_pretrained(directory)
    tied = getattr(model, "all_tied_weights_keys", {})
    weights = {name: tensor.contiguous() for name, tensor in model.state_dict().items()
               if name not in tied}
    save_file(weights, directory / "model.safetensors", metadata={"format": "pt"})


@dataclass(frozen=True)
class FreshStart:
    """Weights drawn from scratch under the init seed, for one scale of a family."""

    scale: Scale
    task: CountingTask

    def model(self, init_seed: int):
        return build_model(llama_config(self.scale, self.task), init_seed)

    def tokenizer(self):
        return build_tokenizer(self.task)

    def stored(self, model):
        return model

    def describe(self) -> dict:
        return {"scale": self.scale.to_dict()}


@dataclass(frozen=True)
class SeedJob:
    """One seed of a population: where it goes, its init and data seeds, and how its weights start
    (`FreshStart`, or `reinit_population.ReinitStart`)."""

    population: str
    scale: str
    scale_index: int
    init_seed: int
    data_seed: int
    start: object

    def directory(self, out_dir: Path) -> Path:
        return seed_dir(out_dir, self.population, self.scale, self.init_seed)


@dataclass(frozen=True)
class SeedRunner:
    """Trains seed jobs into their seed folders, one seed or one stack of one scale's seeds at a time.

    `record(job, model, summary)` is a finished seed's `seed_record.json`; the runner adds the
    SHA-256 of the seed folder's files (`FILE_HASHES`), the same for every kind of population.
    """

    out_dir: Path
    objective: Objective
    training: object
    record: Callable
    precision: str
    device: torch.device
    stacked: bool = False
    compile: bool = False
    progress: bool = True

    def unfinished(self, jobs: list[SeedJob]) -> tuple[list[dict], list[tuple[int, SeedJob]]]:
        """The records of the finished `jobs`, and (resume step, job) of the others; a corrupt
        checkpoint is reported and dropped (step 0)."""
        records, pending = [], []
        for job in jobs:
            directory = job.directory(self.out_dir)
            record = finished_record(directory, job.data_seed)
            if record is not None:
                records.append(record)
                continue
            try:
                pending.append((checkpoint_step(directory / "checkpoint"), job))
            except CheckpointError as err:
                warn(f"{err}; restarting seed {job.init_seed} of scale {job.scale} from step 0")
                remove_checkpoint(directory / "checkpoint")
                pending.append((0, job))
        return records, pending

    def run(self, jobs: list[SeedJob]) -> list[dict]:
        """Train the unfinished `jobs` together (resuming from their checkpoints); every job's record."""
        records, pending = self.unfinished(jobs)
        pending = [job for _, job in pending]
        if not pending:
            return records
        runs = [SeedRun(job.data_seed, job.directory(self.out_dir) / "checkpoint", self.open_tracker(job))
                for job in pending]

        def finished(index: int, model, summary: dict) -> None:
            job, directory = pending[index], pending[index].directory(self.out_dir)
            runs[index].tracker.finish()
            save_model_folder(job.start.stored(model), directory)
            job.start.tokenizer().save_pretrained(directory)
            record = {**self.record(job, model, summary), FILE_HASHES: seed_file_hashes(directory)}
            write_file(directory / RECORD, dump_json(record, "seed_record"))
            remove_checkpoint(directory / "checkpoint")
            records.append(record)

        first = pending[0]
        description = (f"{first.scale} seeds {first.init_seed}-{pending[-1].init_seed} (stack of "
                       f"{len(pending)})" if self.stacked else f"{first.scale} seed {first.init_seed}")
        train([job.start.model(job.init_seed) for job in pending], runs, self.objective, self.training,
              finished, learner=SeedStack if self.stacked else OneSeed, precision=self.precision,
              compile=self.compile, device=self.device, progress=self.progress, description=description)
        return records

    def open_tracker(self, job: SeedJob) -> JSONLTracker:
        """The seed's JSONL tracker, its first line the run's configuration."""
        tracker = JSONLTracker(f"{job.population}/{job.scale}/seed-{job.init_seed:04d}",
                               job.directory(self.out_dir))
        tracker.store_init_configuration({**job.start.describe(), "seed": job.init_seed,
                                          "data_seed": job.data_seed, "precision": self.precision,
                                          "training": self.training.to_dict()})
        return tracker

    def run_share(self, population: str, groups: list[list[SeedJob]], accelerator,
                  finished: list[dict] = ()) -> list[dict]:
        """This process's share of `groups` (every `num_processes`-th); every process returns all
        records, `finished` ones (the main process's) included, sorted by scale and seed."""
        records = list(finished) if accelerator.is_main_process else []
        mine = groups[accelerator.process_index::accelerator.num_processes]
        for jobs in tqdm(mine, desc=f"{population} [rank {accelerator.process_index}]",
                         disable=not self.progress, position=accelerator.process_index):
            records += self.run(jobs)
        return sorted(gather_object(records), key=lambda r: (r["scale_index"], r["seed"]))


def stack_size(scale: Scale, task: CountingTask, training: TrainingConfig, precision: str,
               device: torch.device, requested: int | None, pending: int, num_processes: int) -> int:
    """Seeds per stack for one scale: `requested` if it fits in memory, else a clear error; None
    chooses the largest that fits, at most an even share of the scale's pending seeds per process."""
    budget = stack_budget(llama_config(scale, task), task.context_length, training.batch_size,
                          precision, device)
    where = (f"{scale.family}/{scale.name} at batch {training.batch_size}x{task.context_length} "
             f"({precision}) on {device.type} needs {budget.describe()}")
    if budget.largest < 1:
        raise ValueError(f"seeds per process: {where}; not even one seed fits: free memory or "
                         f"train this scale with --seeds-per-process 1")
    if requested is None:
        return min(budget.largest, -(-pending // num_processes))
    wanted = min(requested, pending)
    if wanted > budget.largest:
        raise ValueError(f"--seeds-per-process {requested}: {where}; the largest stack that fits is "
                         f"{budget.largest}: use --seeds-per-process {budget.largest} or less, or "
                         f"'auto' to choose it")
    return wanted


def plan_stacks(runner: SeedRunner, jobs: list[SeedJob], task, requested,
                num_processes) -> tuple[list[dict], list[list[SeedJob]]]:
    """Records of finished seeds, and the stacks left to train: per scale, the unfinished seeds
    grouped by resume step (a stack shares one LR schedule), at most `stack_size` per stack."""
    finished, stacks = [], []
    for scale in dict.fromkeys(job.start.scale for job in jobs):
        records, pending = runner.unfinished([job for job in jobs if job.start.scale == scale])
        finished += records
        if pending:
            size = stack_size(scale, task, runner.training, runner.precision, runner.device, requested,
                              len(pending), num_processes)
            by_seed = {job.init_seed: job for _, job in pending}
            groups = stack_groups([(step, job.init_seed, job.data_seed) for step, job in pending], size)
            stacks += [[by_seed[seed] for seed, _ in group] for group in groups]
    return finished, stacks


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
    seeds_per_process: int | None = None,
    data_workers: int | None = None,
) -> list[dict]:
    """Train (or finish) every (scale, seed) of a population; return all seed records.

    `population` defaults to "<family>-<preset>". `precision` defaults to fp32
    on CPU and bf16 on CUDA. Finished seeds are skipped, unfinished ones resume
    from their last checkpoint. Every process returns the full, sorted list.
    `seeds_per_process` is K, the seeds one process trains at once: 1 is the
    per-seed loop (the CPU default); None on CUDA takes the largest K that
    fits the free memory. `data_workers` make the stacks' batches (default: 0
    on CPU, this process's share of the cores less one on CUDA).
    """
    accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
    task = CountingTask.from_preset(preset)
    training = TrainingConfig.from_preset(preset, **(training_overrides or {}))
    chosen = select_scales(family, task, scales)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds: no seeds given; write e.g. --seeds 0-7")
    pairs = list(zip(seeds, pair_data_seeds(seeds, data_seeds)))
    precision = resolve_precision(precision, accelerator.device)
    population = population or f"{family}-{preset}"
    identity = {"preset": preset, "task": task.to_dict(), "training": training.to_dict(),
                "family": family, "precision": precision}
    if seeds_per_process is not None and seeds_per_process < 1:
        raise ValueError(f"--seeds-per-process: {seeds_per_process} must be at least 1 (or 'auto')")
    with claim_population(out_dir, population, identity, accelerator):
        if seeds_per_process is None and accelerator.device.type != "cuda":
            seeds_per_process = 1
        stacked, workers = seeds_per_process != 1, 0
        if stacked:
            workers = default_data_workers(accelerator.device, accelerator.num_processes) \
                if data_workers is None else data_workers

        def record(job: SeedJob, model, summary: dict) -> dict:
            return seed_record(population, job.start.scale, preset, task, precision, job.init_seed,
                               job.data_seed, summary)

        objective = counting_objective(task, training, precision, accelerator.device, workers)
        runner = SeedRunner(Path(out_dir), objective, training, record, precision, accelerator.device,
                            stacked=stacked, compile=compile, progress=progress)
        jobs = [SeedJob(population, scale.name, scale.index, seed, data_seed, FreshStart(scale, task))
                for scale in chosen for seed, data_seed in pairs]
        if not stacked:
            return runner.run_share(population, [[job] for job in jobs], accelerator)
        plan = None
        if accelerator.is_main_process:
            try:
                plan = plan_stacks(runner, jobs, task, seeds_per_process, accelerator.num_processes)
            except ValueError as err:  # every process must fail, not wait for the plan
                plan = str(err)
        plan = broadcast_object_list([plan])[0]
        if isinstance(plan, str):
            raise ValueError(plan)
        finished, stacks = plan
        return runner.run_share(population, stacks, accelerator, finished)
