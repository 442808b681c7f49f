"""Scale families, parameter counts, the fixed-parameter solver and the checked-in configs."""

import json
import runpy
from pathlib import Path

import pytest
from transformers import AutoConfig, LlamaForCausalLM

from hf_distscale.models import (
    available_families,
    count_parameters,
    family_scales,
    llama_config,
    select_scales,
    solve_hidden_size,
)
from hf_distscale.tasks import CountingTask

ROOT = Path(__file__).resolve().parents[1]
PAPER = CountingTask.from_preset("paper")


def test_checked_in_configs_equal_generated_ones_and_load(tmp_path):
    generator = runpy.run_path(str(ROOT / "model_configs" / "generate.py"))
    written = generator["write_configs"](tmp_path)
    assert len(written) == 15
    for path in written:
        checked_in = ROOT / "model_configs" / path.relative_to(tmp_path)
        assert json.loads(checked_in.read_text()) == json.loads(path.read_text()), checked_in
        config = AutoConfig.from_pretrained(str(checked_in))
        assert config.model_type == "llama"
        assert config.vocab_size == PAPER.vocab_size
        assert config.max_position_embeddings == PAPER.context_length
        assert config.pad_token_id == PAPER.pad_id


def test_paper_families_match_spec():
    shapes = {f: [(s.num_layers, s.hidden_size) for s in family_scales(f, PAPER)]
              for f in ("fixed_depth", "fixed_width", "fixed_params")}
    assert shapes["fixed_depth"] == [(4, h) for h in (64, 128, 256, 384, 512)]
    assert shapes["fixed_width"] == [(n, 512) for n in (1, 2, 4, 6, 8)]
    assert [n for n, _ in shapes["fixed_params"]] == [1, 2, 4, 7, 16]


def test_fixed_params_family_is_within_five_percent_of_target():
    for scale in family_scales("fixed_params", PAPER):
        total, _ = count_parameters(scale.num_layers, scale.hidden_size, PAPER.vocab_size)
        assert abs(total / 3.2e6 - 1) <= 0.05, scale


@pytest.mark.parametrize("family", available_families())
def test_shape_rules_heads_of_64_and_swiglu_width(family):
    for scale in family_scales(family, PAPER):
        config = llama_config(scale, PAPER)
        assert config.head_dim == 64
        assert config.hidden_size % config.num_attention_heads == 0
        assert abs(config.num_attention_heads * 64 - config.hidden_size) <= 32
        mlp = 3 * config.hidden_size * config.intermediate_size
        assert mlp == pytest.approx(8 * config.hidden_size**2, rel=0.01)


@pytest.mark.parametrize("family,scale", [("cpu_depth", "l2"), ("fixed_params", "l7"),
                                          ("fixed_params", "l16")])
def test_parameter_count_matches_the_built_model(family, scale):
    (chosen,) = select_scales(family, PAPER, scale)
    model = LlamaForCausalLM(llama_config(chosen, PAPER))
    total, non_embedding = count_parameters(chosen.num_layers, chosen.hidden_size, PAPER.vocab_size)
    assert model.num_parameters() == total
    embeddings = model.model.embed_tokens.weight.numel() + model.lm_head.weight.numel()
    assert total - non_embedding == embeddings


def test_solver_returns_closest_valid_hidden_size():
    hidden = solve_hidden_size(2, 150, 3_200_000)
    best = abs(count_parameters(2, hidden, 150)[0] - 3_200_000)
    for other in range(hidden - 20, hidden + 21):
        heads = max(1, round(other / 64))
        if other % heads == 0:
            assert abs(count_parameters(2, other, 150)[0] - 3_200_000) >= best


def test_configs_follow_the_task_preset():
    smoke = CountingTask.from_preset("smoke")
    config = llama_config(family_scales("cpu_depth", smoke)[0], smoke)
    assert (config.vocab_size, config.pad_token_id, config.eos_token_id) == (28, 27, 26)
    assert config.max_position_embeddings == smoke.context_length


def test_bad_family_and_scale_names_get_clear_errors():
    with pytest.raises(ValueError, match="unknown family 'nope'.*fixed_depth"):
        family_scales("nope", PAPER)
    with pytest.raises(ValueError, match=r"unknown scale\(s\) \['l3'\].*l1, l2, l4"):
        select_scales("cpu_depth", PAPER, "l1,l3")
