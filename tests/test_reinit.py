"""Reinit populations: what is re-initialised, tied heads, layout, resume after SIGKILL, bad input."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, DistilBertConfig, GPTNeoXConfig, Qwen2Config

from hf_distscale.cli import main
from hf_distscale.formats.population import IDENTITY_COLUMNS
from hf_distscale.hub.staging import stage_population
from hf_distscale.training.reinit import default_patterns, load_base, reinit_parameters, select_parameters
from hf_distscale.training.reinit_population import build_reinit_population, reinit_seed_model
from lm_world import PRESET, tiny_lm_world
from run_helpers import finish, kill_at_first_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}")
DEFAULT = ["model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
           "model.layers.1.self_attn.v_proj.weight", "model.layers.1.self_attn.o_proj.weight",
           "lm_head.weight"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tiny_lm_world(tmp_path_factory)


def parameters(model) -> dict:
    return {name: p.detach().clone() for name, p in model.named_parameters(remove_duplicate=False)}


def changed(a: dict, b: dict) -> set:
    return {name for name in a if not torch.equal(a[name], b[name])}


def test_default_reinit_draws_the_last_attention_and_an_untied_head(world):
    base_dir, _ = world
    base, _ = load_base(str(base_dir))
    assert base.lm_head.weight is base.model.embed_tokens.weight  # the base ties its head
    assert default_patterns(base) == ["model.layers.1.self_attn.*", "lm_head.*"]
    before = parameters(base)

    seed0, _, names = reinit_seed_model(str(base_dir), None, None, init_seed=0)
    after = parameters(seed0)
    assert names == DEFAULT
    assert changed(before, after) == set(DEFAULT)  # the input embedding keeps the base's values
    assert seed0.lm_head.weight is not seed0.model.embed_tokens.weight
    assert seed0.config.tie_word_embeddings is False
    # the model's own init: normal with the config's initializer_range
    for name in DEFAULT:
        assert after[name].std().item() == pytest.approx(seed0.config.initializer_range, rel=0.15)

    again = parameters(reinit_seed_model(str(base_dir), None, None, init_seed=0)[0])
    other = parameters(reinit_seed_model(str(base_dir), None, None, init_seed=1)[0])
    assert changed(after, again) == set()
    assert changed(after, other) == set(DEFAULT)


@pytest.mark.parametrize("config, attention", [
    (Qwen2Config(vocab_size=100, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True),
     "model.layers.1.self_attn"),
    (GPTNeoXConfig(vocab_size=100, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                   num_attention_heads=2), "gpt_neox.layers.1.attention"),
])
def test_default_choice_on_qwen2_and_pythia_architectures(config, attention):
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(1.0)  # so that a re-drawn bias (zeros) differs too
    assert default_patterns(model) == [f"{attention}.*", "lm_head.*"]
    names = select_parameters(model, default_patterns(model))
    before = parameters(model)
    reinit_parameters(model, names, init_seed=0)
    assert changed(before, parameters(model)) == set(names)
    assert any(name.endswith("bias") for name in names)


def test_training_only_the_reinitialized_parameters_freezes_the_rest(world):
    """A preset's `train: reinitialized` (e.g. `smollm2-cpu`): the optimiser sees only the
    re-drawn parameters; `train: all` (the default) trains every parameter."""
    base_dir, _ = world
    frozen, _, names = reinit_seed_model(str(base_dir), None, None, 0, train="reinitialized")
    assert {n for n, p in frozen.named_parameters() if p.requires_grad} == set(names) == set(DEFAULT)
    full, _, _ = reinit_seed_model(str(base_dir), None, None, 0)
    assert all(p.requires_grad for p in full.parameters())


def test_patterns_choose_exactly_their_parameters(world):
    base_dir, _ = world
    before = parameters(load_base(str(base_dir))[0])
    pattern = ["model.layers.0.mlp.up_proj.weight", "model.layers.0.self_attn.q_*"]
    model, _, names = reinit_seed_model(str(base_dir), None, pattern, init_seed=3)
    assert names == ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight"]
    assert changed(before, parameters(model)) == set(names)
    assert model.lm_head.weight is model.model.embed_tokens.weight  # head not chosen: still tied
    with pytest.raises(ValueError, match=r"pattern\(s\) \['model.layers.9.\*'\] match no parameter"):
        select_parameters(model, ["model.layers.9.*"])


def test_population_layout_records_and_identity(world, tmp_path):
    base_dir, corpus = world
    short = {"max_steps": 12, "checkpoint_every": 5}
    records = build_reinit_population([str(base_dir)], str(corpus), [0, 1], PRESET, tmp_path,
                                      data_seeds=[5], training_overrides=short, progress=False)
    population = tmp_path / "reinit-smoke"
    identity = json.loads((population / "population.json").read_text())
    assert identity["bases"][0]["reinit"] == ["model.layers.1.self_attn.*", "lm_head.*"]
    assert identity["bases"][0]["revision"].startswith("sha256:")
    assert identity["dataset"]["source"] == str(corpus)
    assert [(r["seed"], r["data_seed"], r["scale"]) for r in records] == [(0, 5, "base"), (1, 5, "base")]
    seed_dir = population / "base" / "seed-0001"
    record = json.loads((seed_dir / "seed_record.json").read_text())
    assert set(IDENTITY_COLUMNS) <= set(record)
    assert record["steps"] == 12 and record["heldout_loss"] > 0
    assert not (seed_dir / "checkpoint").exists()
    model = AutoModelForCausalLM.from_pretrained(seed_dir)
    assert model.num_parameters() == record["num_parameters"]
    assert "lm_head.weight" in load_file(seed_dir / "model.safetensors")  # stored untied
    tokenizer = AutoTokenizer.from_pretrained(seed_dir)
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(base_dir).get_vocab()

    staged = stage_population(population, tmp_path / "staged", "org/reinit-smoke")  # as `hub push` does
    assert (staged / "base" / "seed-0001" / "model.safetensors").is_file()
    assert list(pd.read_parquet(staged / "seeds.parquet")["seed"]) == [0, 1]
    assert "`reinit`" in (staged / "README.md").read_text()

    assert build_reinit_population([str(base_dir)], str(corpus), [1, 0], PRESET, tmp_path, data_seeds=[5],
                                   training_overrides=short, progress=False) == records  # read back
    with pytest.raises(ValueError, match="different training.*new --out directory"):
        build_reinit_population([str(base_dir)], str(corpus), [2], PRESET, tmp_path,
                                training_overrides={"max_steps": 7}, progress=False)


def reinit_cli(base: Path, corpus: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "hf_distscale.training.reinit_cli", str(base), "--dataset",
               str(corpus), "--seeds", "0-1", "--preset", PRESET, "--out", str(out),
               "--set", "max_steps=60", "--no-progress"]
    return subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigkill_then_rerun_equals_uninterrupted_run(world, tmp_path):
    base_dir, corpus = world
    reference = reinit_cli(base_dir, corpus, tmp_path / "ref")
    root = tmp_path / "run" / "reinit-smoke" / "base"
    kill_at_first_checkpoint(reinit_cli(base_dir, corpus, tmp_path / "run"), root / "seed-0001")
    assert not (root / "seed-0001" / "seed_record.json").exists()
    first_record = (root / "seed-0000" / "seed_record.json").read_text()

    finish(reinit_cli(base_dir, corpus, tmp_path / "run"))
    finish(reference)
    assert (root / "seed-0000" / "seed_record.json").read_text() == first_record  # not rebuilt
    for seed in ("seed-0000", "seed-0001"):
        resumed = load_file(root / seed / "model.safetensors")
        uninterrupted = load_file(tmp_path / "ref" / "reinit-smoke" / "base" / seed / "model.safetensors")
        assert all(torch.equal(resumed[k], uninterrupted[k]) for k in uninterrupted), seed


def bad_input(capsys, *argv) -> str:
    assert main(["reinit", *map(str, argv), "--no-progress"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_bad_inputs_are_one_line_with_exit_code_2(world, tmp_path, capsys):
    base_dir, corpus = world
    encoder = tmp_path / "distilbert"
    DistilBertConfig(dim=64, n_layers=1, n_heads=1, hidden_dim=64).save_pretrained(encoder)
    assert bad_input(capsys, encoder, "--dataset", corpus, "--seeds", "0") == (
        f"hf-distscale reinit: error: base model: {encoder} is a 'distilbert' model "
        f"(DistilBertConfig), not a causal LM; reinit needs a model AutoModelForCausalLM loads "
        f"(e.g. llama, qwen2, gpt_neox)")

    untokenized = tmp_path / "no-tokenizer"
    untokenized.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(base_dir / name, untokenized / name)
    line = bad_input(capsys, untokenized, "--dataset", corpus, "--seeds", "0")
    assert line.startswith(f"hf-distscale reinit: error: base model: {untokenized} has no loadable "
                           f"tokenizer")
    assert line.endswith("save one into the folder with `tokenizer.save_pretrained(folder)`")

    three_layers = shutil.copytree(base_dir, tmp_path / "three-layer-config")
    config = json.loads((three_layers / "config.json").read_text())
    (three_layers / "config.json").write_text(json.dumps(config | {"num_hidden_layers": 3}))
    line = bad_input(capsys, three_layers, "--dataset", corpus, "--seeds", "0", "--out", tmp_path / "runs")
    assert line.startswith(f"hf-distscale reinit: error: model: {three_layers}: the weights are not the "
                           f"model config.json describes: ")
    assert "tensors missing (model.layers.2." in line and not (tmp_path / "runs").exists()

    table = tmp_path / "reviews.parquet"
    pd.DataFrame({"sentence": ["a b c"], "label": [1]}).to_parquet(table)
    assert bad_input(capsys, base_dir, "--dataset", table, "--seeds", "0") == (
        f"hf-distscale reinit: error: dataset {table} has no column 'text'; its columns are "
        f"sentence, label; pass --text-column")
