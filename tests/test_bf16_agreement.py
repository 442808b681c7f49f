"""benchmarks/bf16_agreement.py on two seeds' train logs: the loss difference, and bad pairs as one line."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bf16_agreement.py"
CONFIG = {"scale": {"family": "cpu_depth", "name": "l2"}, "seed": 0, "data_seed": 0, "training": {"max_steps": 30}}


@pytest.fixture(scope="module")
def agreement():
    spec = importlib.util.spec_from_file_location("bf16_agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bf16_agreement"] = module
    spec.loader.exec_module(module)
    return module


def write_log(folder: Path, precision: str, losses: dict[int, float], **config) -> Path:
    """A seed's train_log.jsonl as the JSONL tracker writes it, steps in the order given."""
    folder.mkdir(parents=True)
    lines = [{"run": "p/l2/seed-0000", "step": None, "config": {**CONFIG, "precision": precision, **config}}]
    lines += [{"run": "p/l2/seed-0000", "step": step, "loss": loss, "lr": 1e-3} for step, loss in losses.items()]
    lines.append({"run": "p/l2/seed-0000", "step": 30, "in_distribution_em": 0.5})
    (folder / "train_log.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def test_the_loss_difference_of_the_shared_steps(tmp_path, agreement, capsys):
    write_log(tmp_path / "fp32" / "l2" / "seed-0000", "fp32", {10: 3.0, 20: 2.0, 30: 1.0})
    # a resumed run logs step 20 twice: the last value counts; step 40 has no fp32 partner
    bf16 = write_log(tmp_path / "bf16", "bf16", {10: 3.3, 20: 9.9, 30: 1.05, 40: 0.5})
    with (bf16 / "train_log.jsonl").open("a") as log:
        log.write(json.dumps({"run": "p/l2/seed-0000", "step": 20, "loss": 1.9}) + "\n")
    assert agreement.main([str(tmp_path / "fp32"), str(bf16), "--scale", "l2", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "3 logged steps, 10..30" in out
    assert "| largest abs loss difference | 0.3000 (step 10) |" in out
    assert "| mean abs loss difference | 0.1500 |" in out  # (0.3 + 0.1 + 0.05) / 3
    assert "| median abs difference / fp32 loss | 5.00% |" in out  # 10%, 5%, 5%
    assert "| in-distribution EM fp32 / bf16 (step 30) | 0.500 / 0.500 |" in out


@pytest.mark.parametrize("fp32_config, bf16_precision, message", [
    ({}, "fp32", "is fp32 and .* is fp32; give the fp32 seed first"),
    ({"seed": 1}, "bf16", "differ in seed; compare one seed trained twice"),
])
def test_a_pair_that_is_not_one_seed_at_two_precisions_is_one_line(tmp_path, agreement, capsys, fp32_config,
                                                                    bf16_precision, message):
    write_log(tmp_path / "a", "fp32", {10: 1.0}, **fp32_config)
    write_log(tmp_path / "b", bf16_precision, {10: 1.0})
    assert agreement.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("bf16_agreement.py: error: ")
    assert __import__("re").search(message, err), err


def test_a_population_folder_needs_the_scale_and_seed(tmp_path, agreement, capsys):
    write_log(tmp_path / "fp32" / "l2" / "seed-0000", "fp32", {10: 1.0})
    assert agreement.main([str(tmp_path / "fp32"), str(tmp_path / "fp32")]) == 2
    assert "no train_log.jsonl here; give a seed folder, or a population folder with --scale" in capsys.readouterr().err
    assert agreement.main([str(tmp_path / "fp32"), str(tmp_path / "x"), "--scale", "l2", "--seed", "3"]) == 2
    assert "seed-0003/train_log.jsonl: not found" in capsys.readouterr().err
