"""The evaluate modules (length_generalization, pass_until) and the PassUntil sampler."""

from pathlib import Path

import evaluate
import numpy as np
import pytest
import torch

import hf_distscale
from eval_helpers import trained_population
from hf_distscale.evaluation import (
    evaluate_population,
    load_model,
    resolve_models,
    teacher_forced_scores,
)
from hf_distscale.evaluation.pass_until import pass_until_estimate, sample_until

torch.set_num_threads(1)
METRICS = Path(hf_distscale.__file__).parent / "metrics"


def test_end_token_counts_in_em_but_not_in_answer_only():
    metric = evaluate.load(str(METRICS / "length_generalization"))
    result = metric.compute(
        predictions=[[9, 1, 2, 3, 7], [9, 1, 2, 3, 8]],
        references=[[9, 1, 2, 3, 8], [9, 1, 2, 3, 8]],
        masks=[[0, 1, 1, 1, 1], [0, 1, 1, 1, 1]],
        end_id=8,
    )
    assert result == {"n_examples": 2, "em": 0.5, "token_accuracy": 7 / 8, "em_answer_only": 1.0}


def test_length_generalization_module_matches_results_table(tmp_path):
    """Argmax predictions and token NLLs through the module give the CLI's row."""
    entry = resolve_models([str(trained_population())])[0]
    model, task, length = load_model(entry), entry.task, 8
    examples = task.test_set(length)
    input_ids = torch.from_numpy(examples["input_ids"]).long()
    with torch.inference_mode():
        log_probs = torch.log_softmax(model(input_ids=input_ids).logits.float(), -1)
    predictions = torch.cat([input_ids[:, :1], log_probs[:, :-1].argmax(-1)], 1)
    token_nll = torch.cat(
        [
            torch.zeros(len(input_ids), 1),
            -log_probs[:, :-1].gather(-1, input_ids[:, 1:, None])[..., 0],
        ],
        1,
    )
    metric = evaluate.load(str(METRICS / "length_generalization"), "nll")
    result = metric.compute(
        predictions=predictions.tolist(),
        references=input_ids.tolist(),
        masks=examples["loss_mask"].tolist(),
        token_nll=token_nll.tolist(),
        end_id=task.end_id,
    )
    row = evaluate_population(
        trained_population(), tmp_path / "r.parquet", test_lengths=[length]
    ).iloc[0]
    for key, value in result.items():
        assert value == pytest.approx(row[key], rel=1e-5), key
    assert 0 < row["em"] < 1


def test_pass_until_module_formulas():
    metric = evaluate.load(str(METRICS / "pass_until"))
    result = metric.compute(successes=[10, 10, 3], samples=[20, 40, 100], required=10)
    assert result["per_example"] == [0.5, 0.25, 0.03]
    assert result["pass_until"] == pytest.approx(0.78 / 3)
    assert result["pass_until_unbiased"] == pytest.approx((9 / 19 + 9 / 39) / 2)
    assert result["capped_fraction"] == pytest.approx(1 / 3)


def test_pass_until_rejects_impossible_counts():
    with pytest.raises(ValueError, match="successes <= samples"):
        pass_until_estimate([5], [3], required=5)


def test_pass_until_bias_and_unbiased_variant():
    """Negative-binomial draws: r/K overestimates p, (r-1)/(K-1) does not."""
    rng = np.random.default_rng(0)
    p, r = 0.3, 4
    samples = r + rng.negative_binomial(r, p, size=200_000)
    estimate = pass_until_estimate(np.full_like(samples, r), samples, r)
    assert estimate["pass_until"].mean() > p + 0.02
    assert estimate["pass_until_unbiased"].mean() == pytest.approx(p, abs=0.003)
    assert estimate["pass_until"].std() == pytest.approx(np.sqrt(p**2 * (1 - p) / r), rel=0.25)


def test_pass_until_sampling_converges_to_p_exact():
    """Sampling with model.generate until r successes approaches exp(-nll_sum) per example."""
    entry = resolve_models([str(trained_population())])[0]
    model, task, length = load_model(entry), entry.task, 8
    p_exact = np.exp(-teacher_forced_scores(model, task, length)["nll_sum"])
    starts = np.flatnonzero((p_exact > 0.1) & (p_exact < 0.95))
    assert len(starts) >= 2

    errors = {}
    for required in (4, 150):
        counts = sample_until(
            model, task, length, required, max_samples=20 * required, starts=starts
        )
        estimate = pass_until_estimate(counts["successes"], counts["samples"], required)
        assert not estimate["capped"].any()
        errors[required] = np.abs(estimate["pass_until"] - p_exact[starts])
        assert (errors[required] <= 4 * estimate["stderr"]).all()
    assert errors[150].mean() < errors[4].mean()
    assert errors[150].max() < 0.1


def test_pass_until_cap_reports_partial_counts():
    entry = resolve_models([str(trained_population())])[0]
    model, task = load_model(entry), entry.task
    counts = sample_until(model, task, 10, required=50, max_samples=60, starts=[0, 1])
    assert (counts["samples"] == 60).all() and (counts["successes"] < 50).all()
    assert pass_until_estimate(counts["successes"], counts["samples"], 50)["capped"].all()
