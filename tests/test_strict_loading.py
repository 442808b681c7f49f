"""Strict model loading: a seed folder whose weights, config and record disagree is one line, before any row.

Each case plants one fault in seed 1 of a copy of a trained two-seed smoke
population and runs `hf-distscale eval` in process into a results table that
already holds another population's rows: the answer is one line naming the
seed folder and the fault, exit code 2, and the table keeps every byte (seed
0, evaluated first, adds no row either: every local seed is checked first).
"""

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from eval_helpers import smoke_population
from hf_distscale.cli import main
from hf_distscale.models import count_parameters
from hf_distscale.models.loading import load_causal_lm

POPULATION = "cpu_depth-smoke"
SEED = "l1/seed-0001"


@pytest.fixture(scope="module")
def clean():
    """A trained two-seed population (cpu_depth l1, smoke) and its evaluated results table."""
    return smoke_population()


def edit_json(path: Path, **changes) -> None:
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def three_layer_config(seed: Path) -> None:
    """config.json (and the record, so only the weights disagree) says 3 layers; the weights hold 1."""
    edit_json(seed / "config.json", num_hidden_layers=3)
    record = json.loads((seed / "seed_record.json").read_text())
    edit_json(seed / "seed_record.json", num_layers=3,
              num_parameters=count_parameters(3, record["hidden_size"], record["task"]["vocab_size"])[0])


def truncated_weights(seed: Path) -> None:
    data = (seed / "model.safetensors").read_bytes()
    (seed / "model.safetensors").write_bytes(data[: len(data) // 2])


def empty_weights(seed: Path) -> None:
    (seed / "model.safetensors").write_bytes(b"")


def record_disagrees(seed: Path) -> None:
    edit_json(seed / "seed_record.json", hidden_size=128)


def misshaped_weights(seed: Path) -> None:
    edit_json(seed / "config.json", intermediate_size=172)
    edit_json(seed / "seed_record.json", intermediate_size=172)


def bin_weights_with_three_layer_config(seed: Path) -> None:
    """`.bin` weights: no header to read first, so transformers' own loading report must refuse them."""
    torch.save(load_file(seed / "model.safetensors"), seed / "pytorch_model.bin")
    (seed / "model.safetensors").unlink()
    three_layer_config(seed)


FAULTS = [
    (three_layer_config, "18 tensors missing (model.layers.1."),
    (truncated_weights, "model.safetensors is truncated"),
    (empty_weights, "model.safetensors is empty"),
    (record_disagrees, "seed_record.json disagrees with config.json: hidden_size 128"),
    (misshaped_weights, "3 mis-shaped (model.layers.0.mlp.down_proj.weight [64, 171] (config: [64, 172])"),
    (bin_weights_with_three_layer_config, "18 tensors missing"),
]


@pytest.mark.parametrize("plant, words", FAULTS, ids=[plant.__name__ for plant, _ in FAULTS])
def test_a_seed_that_is_not_its_config_is_one_line_and_no_row(clean, plant, words, tmp_path, capfd):
    population, results = clean
    broken = shutil.copytree(population, tmp_path / POPULATION)
    plant(broken / SEED)
    out = shutil.copy(results, tmp_path / "results.parquet")  # another population's rows
    before = out.read_bytes()
    capfd.readouterr()
    code = main(["eval", str(broken), "--out", str(out)])
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("hf-distscale")]
    assert code == 2, err
    assert "Traceback" not in err and len(lines) == 1, err
    assert str((broken / SEED).resolve()) in lines[0] and words in lines[0], lines[0]
    assert out.read_bytes() == before


def test_a_clean_copy_of_the_seed_evaluates(clean, tmp_path, capfd):
    population, results = clean
    copy = shutil.copytree(population, tmp_path / POPULATION)
    assert main(["eval", str(copy), "--out", str(tmp_path / "copy.parquet")]) == 0
    assert "wrote 6 rows" in capfd.readouterr().out



def test_a_repo_id_is_refused_by_transformers_own_loading_report(clean, tmp_path):
    """A repo id has no local folder to check first; the load's own report (missing tensors)
    refuses it. The repo comes from a Hub cache built here (`cache_dir`, `local_files_only`)."""
    snapshot = tmp_path / "models--org--deeper" / "snapshots" / ("0" * 40)
    shutil.copytree(clean[0] / SEED, snapshot)
    three_layer_config(snapshot)
    (tmp_path / "models--org--deeper" / "refs").mkdir()
    (tmp_path / "models--org--deeper" / "refs" / "main").write_text("0" * 40)
    with pytest.raises(ValueError) as refused:
        load_causal_lm("org/deeper", cache_dir=tmp_path, local_files_only=True)
    assert str(refused.value).startswith(
        "model: org/deeper: the weights are not the model config.json describes: 18 tensors missing "
        "(model.layers.1.")
