"""Population training: layout, records, resume, corruption, sharding over processes, errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from hf_distscale.models import llama_config, select_scales
from hf_distscale.tasks import CountingTask
from hf_distscale.training import TrainingConfig, parse_seeds, train_population, train_seed
from hf_distscale.training import trainer
from hf_distscale.training.checkpoint import save_checkpoint
from run_helpers import ENV, ROOT, finish, kill_at_first_checkpoint, same_weights, train_cli, weights

SMOKE = dict(family="cpu_depth", scales="l1", preset="smoke", progress=False)
RECORD_FIELDS = {
    "population", "family", "scale", "scale_index", "preset", "seed", "init_seed", "data_seed",
    "precision", "num_layers", "hidden_size", "num_attention_heads", "intermediate_size",
    "num_parameters", "num_parameters_non_embedding", "steps", "stop_reason", "wall_time_s",
    "final_train_loss", "stack_size", "task",
}


def test_parse_seeds_and_its_errors():
    assert parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]
    assert parse_seeds("5") == [5]
    with pytest.raises(ValueError, match="range '5-2' is empty; write LOW-HIGH with LOW <= HIGH"):
        parse_seeds("5-2")
    with pytest.raises(ValueError, match="'x' is not a seed"):
        parse_seeds("1,x")


def test_training_overrides_are_checked():
    assert TrainingConfig.from_preset("smoke", max_steps="7").max_steps == 7
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['max_step'\]"):
        TrainingConfig.from_preset("smoke", max_step=7)


def test_population_layout_records_skip_and_identity(tmp_path):
    records = train_population(seeds=[0, 1], out_dir=tmp_path, **SMOKE)
    assert [r["seed"] for r in records] == [0, 1]
    seed_dir = tmp_path / "cpu_depth-smoke" / "l1" / "seed-0001"
    record = json.loads((seed_dir / "seed_record.json").read_text())
    assert RECORD_FIELDS <= set(record)
    assert record["stop_reason"] == "max_steps" and record["steps"] == 30
    assert CountingTask(**record["task"]) == CountingTask.from_preset("smoke")
    assert not (seed_dir / "checkpoint").exists()
    model = AutoModelForCausalLM.from_pretrained(seed_dir)
    assert model.num_parameters() == record["num_parameters"]
    assert AutoTokenizer.from_pretrained(seed_dir)("$ 3 5 >").input_ids == [24, 3, 5, 25]
    log = [json.loads(line) for line in (seed_dir / "train_log.jsonl").read_text().splitlines()]
    assert log[0]["config"]["seed"] == 1
    assert any({"loss", "lr"} <= set(e) for e in log) and any("in_distribution_em" in e for e in log)

    again = train_population(seeds=[1, 0], out_dir=tmp_path, **SMOKE)
    assert again == records  # finished seeds are read back, not retrained

    with pytest.raises(ValueError, match="different precision.*new --out directory"):
        train_population(seeds=[2], out_dir=tmp_path, precision="bf16", **SMOKE)
    with pytest.raises(ValueError, match="different training"):
        train_population(seeds=[2], out_dir=tmp_path, training_overrides={"max_steps": 5}, **SMOKE)


def test_init_and_data_seeds_are_separate(tmp_path):
    overrides = {"max_steps": 5}
    records = train_population(seeds=[0, 1], data_seeds=[7], out_dir=tmp_path,
                               training_overrides=overrides, **SMOKE)
    assert [r["data_seed"] for r in records] == [7, 7]
    assert [r["init_seed"] for r in records] == [0, 1]
    other = train_population(seeds=[0], out_dir=tmp_path, population="data0",
                             training_overrides=overrides, **SMOKE)
    root = tmp_path / "cpu_depth-smoke" / "l1"
    assert not same_weights(weights(root / "seed-0000"), weights(root / "seed-0001"))
    assert other[0]["final_train_loss"] != records[0]["final_train_loss"]


def test_early_convergence_is_recorded(tmp_path, monkeypatch):
    ems = iter([1.0, 0.5, 1.0, 1.0, 1.0])
    monkeypatch.setattr(trainer, "in_distribution_em", lambda *args: next(ems))
    (record,) = train_population(seeds=[0], out_dir=tmp_path, training_overrides={
        "eval_every": 2, "converged_evals": 2}, **SMOKE)
    assert (record["stop_reason"], record["steps"]) == ("converged", 8)


def test_corrupt_checkpoint_is_reported_and_the_seed_restarts(tmp_path, capsys):
    clean = train_population(seeds=[0], out_dir=tmp_path / "clean", **SMOKE)
    seed_dir = tmp_path / "bad" / "cpu_depth-smoke" / "l1" / "seed-0000"
    state = save_checkpoint(seed_dir / "checkpoint", {"step": 10, "weights": torch.ones(1000)})
    state.write_bytes(state.read_bytes()[:100])
    capsys.readouterr()
    (record,) = train_population(seeds=[0], out_dir=tmp_path / "bad", **SMOKE)
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and f"checkpoint file {state} is truncated or corrupt" in warnings[0]
    assert record["final_train_loss"] == clean[0]["final_train_loss"]
    assert same_weights(weights(seed_dir),
                        weights(tmp_path / "clean" / "cpu_depth-smoke" / "l1" / "seed-0000"))


def test_resume_from_checkpoint_equals_uninterrupted_training(tmp_path):
    task = CountingTask.from_preset("smoke")

    config = llama_config(select_scales("cpu_depth", task, "l1")[0], task)
    full = TrainingConfig.from_preset("smoke", checkpoint_every=10)
    seeds = dict(init_seed=3, data_seed=4, progress=False)
    reference, _ = train_seed(config, task, full, tmp_path, **seeds)
    # train_seed leaves its last checkpoint (step 20); a second call resumes from it.
    assert json.loads((tmp_path / "latest.json").read_text())["step"] == 20
    resumed, summary = train_seed(config, task, full, tmp_path, **seeds)
    assert summary["steps"] == 30
    assert same_weights(reference.state_dict(), resumed.state_dict())


def test_batched_adamw_options_agree_with_the_default(tmp_path):
    """`foreach` runs the default's per-tensor update over the list (bit for bit on CPU); `fused` is
    one kernel that rounds differently, so it is an opt-in that must stay within float32 rounding."""
    task = CountingTask.from_preset("smoke")
    config = llama_config(select_scales("cpu_depth", task, "l1")[0], task)
    training = TrainingConfig.from_preset("smoke")
    seeds = dict(init_seed=3, data_seed=4, progress=False)
    default, default_summary = train_seed(config, task, training, tmp_path / "default", **seeds)
    foreach, _ = train_seed(config, task, training, tmp_path / "foreach", adamw="foreach", **seeds)
    fused, fused_summary = train_seed(config, task, training, tmp_path / "fused", adamw="fused", **seeds)
    assert same_weights(default.state_dict(), foreach.state_dict())
    for name, tensor in default.state_dict().items():
        assert torch.allclose(fused.state_dict()[name], tensor, rtol=1e-5, atol=1e-6), name
    assert fused_summary["final_train_loss"] == pytest.approx(default_summary["final_train_loss"], rel=1e-5)
    with pytest.raises(ValueError, match="adamw: 'sgd' is not one of default, foreach, fused"):
        train_seed(config, task, training, tmp_path / "sgd", adamw="sgd", **seeds)


def test_sigkill_then_rerun_equals_uninterrupted_run(tmp_path):
    extra = ("--set", "max_steps=200", "--set", "checkpoint_every=10", "--set", "eval_every=200")
    reference = train_cli(tmp_path / "ref", "0-1", *extra)
    root = tmp_path / "run" / "cpu_depth-smoke" / "l1"
    kill_at_first_checkpoint(train_cli(tmp_path / "run", "0-1", *extra), root / "seed-0001")
    assert (root / "seed-0000" / "seed_record.json").exists()
    assert not (root / "seed-0001" / "seed_record.json").exists()
    first_record = (root / "seed-0000" / "seed_record.json").read_text()

    finish(train_cli(tmp_path / "run", "0-1", *extra))
    finish(reference)
    assert (root / "seed-0000" / "seed_record.json").read_text() == first_record  # not retrained
    ref_root = tmp_path / "ref" / "cpu_depth-smoke" / "l1"
    for seed in ("seed-0000", "seed-0001"):
        assert same_weights(weights(root / seed), weights(ref_root / seed)), seed


def test_two_processes_under_torchrun_equal_one_process(tmp_path):
    torchrun = (sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2")
    two = train_cli(tmp_path / "two", "0-3", launcher=torchrun)
    one = train_cli(tmp_path / "one", "0-3")
    table_two, table_one = finish(two), finish(one)
    assert len(table_two.strip().splitlines()) == 5  # header + 4 seeds, gathered on rank 0
    for name in ("one", "two"):
        assert len(list((tmp_path / name).glob("*/l1/seed-*/seed_record.json"))) == 4
    for seed in range(4):
        seed_dir = Path("cpu_depth-smoke") / "l1" / f"seed-{seed:04d}"
        a = json.loads((tmp_path / "one" / seed_dir / "seed_record.json").read_text())
        b = json.loads((tmp_path / "two" / seed_dir / "seed_record.json").read_text())
        assert a["final_train_loss"] == b["final_train_loss"]
        wa, wb = weights(tmp_path / "one" / seed_dir), weights(tmp_path / "two" / seed_dir)
        assert all(torch.allclose(wa[k], wb[k], atol=1e-6, rtol=0) for k in wa)


def test_bad_cli_input_exits_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hf_distscale.cli", "train", "--family", "cpu_depth",
         "--seeds", "5-2", "--out", str(tmp_path)],
        env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hf-distscale train: error: seeds: range '5-2' is empty; write LOW-HIGH with LOW <= HIGH")
