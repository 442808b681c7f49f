"""Seeds stacked into one batched computation: equal to seeds trained one at a time, resumable, sharded."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from hf_distscale.cli import main as cli_main
from hf_distscale.evaluation import teacher_forced_scores
from hf_distscale.models import llama_config, select_scales
from hf_distscale.tasks import CountingTask, labels_from_mask
from hf_distscale.training import stacked, train_population, trainer
from hf_distscale.training.checkpoint import save_checkpoint
from hf_distscale.training.memory import stack_budget
from hf_distscale.training.stack_data import stack_batches
from hf_distscale.training.stacked import stack_groups
from run_helpers import ENV, ROOT, finish, kill_at_first_checkpoint, same_weights, train_cli, weights

pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop:UserWarning")
SMOKE = dict(family="cpu_depth", scales="l1", preset="smoke", progress=False)
SEEDS = [0, 1, 2]


def seed_dir(root: Path, seed: int, population: str = "cpu_depth-smoke") -> Path:
    return root / population / "l1" / f"seed-{seed:04d}"


def step_losses(folder: Path) -> dict[int, float]:
    lines = [json.loads(line) for line in (folder / "train_log.jsonl").read_text().splitlines()]
    return {line["step"]: line["loss"] for line in lines if "loss" in line}


@pytest.fixture(scope="session")
def loop_and_stack(tmp_path_factory):
    """Smoke seeds 0-2 trained one at a time and as one stack of K=3, the loss logged every step."""
    root = tmp_path_factory.mktemp("parity")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer, "LOG_EVERY", 1)
        loop = train_population(seeds=SEEDS, out_dir=root / "loop", seeds_per_process=1, **SMOKE)
        stack = train_population(seeds=SEEDS, out_dir=root / "stack", seeds_per_process=3, **SMOKE)
    return root, loop, stack


def test_stacked_seeds_equal_seeds_trained_one_at_a_time(loop_and_stack):
    root, loop, stack = loop_and_stack
    task = CountingTask.from_preset("smoke")
    assert [r["stack_size"] for r in loop] == [1, 1, 1] and [r["stack_size"] for r in stack] == [3, 3, 3]
    for a, b in zip(loop, stack):
        assert (a["seed"], a["steps"], a["stop_reason"]) == (b["seed"], b["steps"], b["stop_reason"])
        assert a["in_distribution_em"] == b["in_distribution_em"]
        seed = a["seed"]
        losses_a = step_losses(seed_dir(root / "loop", seed))
        losses_b = step_losses(seed_dir(root / "stack", seed))
        assert sorted(losses_a) == sorted(losses_b) == list(range(1, 31))
        np.testing.assert_allclose([losses_b[s] for s in losses_a], list(losses_a.values()), rtol=1e-5, atol=0)
        assert same_weights(weights(seed_dir(root / "loop", seed)), weights(seed_dir(root / "stack", seed)))
        models = [AutoModelForCausalLM.from_pretrained(seed_dir(root / path, seed))
                  for path in ("loop", "stack")]
        for length in task.test_lengths:
            scores = [teacher_forced_scores(model, task, length) for model in models]
            np.testing.assert_array_equal(scores[0]["exact"], scores[1]["exact"])
    assert len({r["final_train_loss"] for r in stack}) == 3  # three different seeds, not one copied


def test_a_converged_seed_leaves_the_stack_and_stops_changing(loop_and_stack, tmp_path, monkeypatch):
    root, _, _ = loop_and_stack
    overrides = {"eval_every": 10, "converged_evals": 2}
    # Seed 1 (row 1 of the stack of 3) is at 100% from the first evaluation on, the others never.
    monkeypatch.setattr(stacked, "stacked_em", lambda stack, *args: [0.5, 1.0, 0.5] if stack.size == 3
                        else [0.5] * stack.size)
    records = train_population(seeds=SEEDS, out_dir=tmp_path / "stack", seeds_per_process=3,
                               training_overrides=overrides, **SMOKE)
    assert [(r["steps"], r["stop_reason"]) for r in records] == [
        (30, "max_steps"), (20, "converged"), (30, "max_steps")]
    monkeypatch.setattr(trainer, "in_distribution_em", lambda *args: 1.0)
    (alone,) = train_population(seeds=[1], out_dir=tmp_path / "alone", seeds_per_process=1,
                                training_overrides=overrides, **SMOKE)
    assert (alone["steps"], alone["stop_reason"]) == (20, "converged")
    assert same_weights(weights(seed_dir(tmp_path / "stack", 1)), weights(seed_dir(tmp_path / "alone", 1)))
    for seed in (0, 2):  # the others went on to step 30, as if seed 1 had never been there
        assert same_weights(weights(seed_dir(tmp_path / "stack", seed)), weights(seed_dir(root / "loop", seed)))


def test_stacked_run_killed_and_resumed_equals_an_uninterrupted_one(loop_and_stack, tmp_path):
    root, _, uninterrupted = loop_and_stack
    kill_at_first_checkpoint(train_cli(tmp_path, "0-2", "--seeds-per-process", "3"), seed_dir(tmp_path, 2))
    assert not list(tmp_path.glob("*/l1/seed-*/seed_record.json"))
    resumed = train_population(seeds=SEEDS, out_dir=tmp_path, seeds_per_process=3, **SMOKE)
    for a, b in zip(uninterrupted, resumed):
        assert a["final_train_loss"] == b["final_train_loss"] and b["steps"] == 30
        assert same_weights(weights(seed_dir(root / "stack", a["seed"])),
                            weights(seed_dir(tmp_path, a["seed"])))


def test_a_corrupt_checkpoint_in_a_stack_is_reported_and_its_seed_restarts(loop_and_stack, tmp_path,
                                                                             capsys):
    root, _, _ = loop_and_stack
    state = save_checkpoint(seed_dir(tmp_path, 1) / "checkpoint", {"step": 10, "weights": torch.ones(99)})
    state.write_bytes(state.read_bytes()[:100])
    capsys.readouterr()
    records = train_population(seeds=SEEDS, out_dir=tmp_path, seeds_per_process=3, **SMOKE)
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and f"checkpoint file {state} is truncated or corrupt" in warnings[0]
    assert [r["stack_size"] for r in records] == [3, 3, 3]  # seed 1 rejoined the others at step 0
    for seed in SEEDS:
        assert same_weights(weights(seed_dir(root / "stack", seed)), weights(seed_dir(tmp_path, seed)))


def test_two_processes_with_stacks_of_two_equal_one_process_with_a_stack_of_four(tmp_path):
    torchrun = (sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2")
    two = train_cli(tmp_path / "two", "0-3", "--seeds-per-process", "2", launcher=torchrun)
    one = train_cli(tmp_path / "one", "0-3", "--seeds-per-process", "4")
    table_two, _ = finish(two, timeout=180), finish(one, timeout=180)
    assert len(table_two.strip().splitlines()) == 5  # header + 4 seeds, gathered on rank 0
    for seed in range(4):
        a = json.loads((seed_dir(tmp_path / "one", seed) / "seed_record.json").read_text())
        b = json.loads((seed_dir(tmp_path / "two", seed) / "seed_record.json").read_text())
        assert (a["stack_size"], b["stack_size"]) == (4, 2)
        assert a["final_train_loss"] == b["final_train_loss"]
        assert same_weights(weights(seed_dir(tmp_path / "one", seed)),
                            weights(seed_dir(tmp_path / "two", seed)))


def test_a_stack_larger_than_memory_gets_the_largest_that_fits(tmp_path, capsys):
    task = CountingTask.from_preset("paper")
    config = llama_config(select_scales("fixed_depth", task, "h64")[0], task)
    budget = stack_budget(config, task.context_length, 128, "fp32", torch.device("cpu"))
    too_many = 2 * budget.largest + 2
    code = cli_main(["train", "--family", "fixed_depth", "--scales", "h64", "--preset", "paper",
                     "--seeds", f"0-{too_many - 1}", "--seeds-per-process", str(too_many),
                     "--out", str(tmp_path), "--no-progress"])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in error
    match = re.fullmatch(
        rf"hf-distscale train: error: --seeds-per-process {too_many}: fixed_depth/h64 at batch 128x256 "
        r"\(fp32\) on cpu needs about [\d.]+ GiB per seed, [\d.]+ GiB free; the largest stack that "
        r"fits is (\d+): use --seeds-per-process \1 or less, or 'auto' to choose it", error)
    assert match and 0 < int(match[1]) < too_many, error
    assert not list(tmp_path.glob("*/h64/seed-*/checkpoint"))  # refused before any training
    assert cli_main(["train", "--family", "cpu_depth", "--seeds", "0", "--seeds-per-process", "0",
                     "--out", str(tmp_path)]) == 2
    assert "'0' is not 'auto' or a positive integer" in capsys.readouterr().err


def test_worker_batches_are_the_per_seed_stream():
    task = CountingTask.from_preset("smoke")
    device = torch.device("cpu")
    inline = list(stack_batches(task, [5, 9], 8, 3, 6, device, workers=0))
    workers = list(stack_batches(task, [5, 9], 8, 3, 6, device, workers=2))
    assert len(inline) == len(workers) == 3
    for step, ((ids, labels), (ids_w, labels_w)) in enumerate(zip(inline, workers), start=3):
        assert torch.equal(ids, ids_w) and torch.equal(labels, labels_w)
        for row, data_seed in enumerate([5, 9]):
            batch = task.training_batch(data_seed, step, 8)
            assert torch.equal(ids[row], torch.from_numpy(batch["input_ids"]).long())
            expected = labels_from_mask(batch["input_ids"], batch["loss_mask"])
            assert torch.equal(labels[row], torch.from_numpy(expected).long())


def test_stacks_group_seeds_by_resume_step():
    pending = [(0, 4, 4), (20, 1, 1), (0, 0, 7), (20, 3, 3), (0, 2, 2)]
    assert stack_groups(pending, 2) == [[(0, 7), (2, 2)], [(4, 4)], [(1, 1), (3, 3)]]


def test_training_imports_no_evaluation_libraries():
    code = ("import sys; from hf_distscale.training.cli import main; "
            "import hf_distscale.training.population, hf_distscale.training.stacked; "
            "import train; "
            "print(sorted(m for m in ('datasets', 'evaluate', 'lm_eval', 'diptest') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], env=ENV, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_population_benchmark_runs_at_tiny_size():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "population_throughput.py"),
                             "--size", "tiny", "--seconds", "0.1"],
                            env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[3].strip(): line.split("|") for line in result.stdout.splitlines()
            if line.startswith("| cpu_depth/l1 | 8x32 |")}
    assert set(rows) == {"loop K=1", "Trainer", "stack K=2"}, result.stdout
    assert rows["loop K=1"][5].strip() == "1.00x" and rows["Trainer"][6].strip() == "1.00x"
    assert float(rows["stack K=2"][4].replace(",", "")) > 0

