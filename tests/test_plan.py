"""`hf-distscale plan`: seeds needed for bimodality and for P(success), with their training cost."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from hf_distscale.analysis import distributional_statistics
from hf_distscale.analysis.plan import plan_seeds, seeds_for_p_success
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main


def demo_like(n_seeds: int, success_probability=(0.4,), test_lengths=(18, 20)) -> pd.DataFrame:
    """A reduced-preset cpu_depth population: 64 numbers, so n = 65 - L windows at length L."""
    lengths = np.array(test_lengths)
    table = synthetic_results(list(success_probability), success_mean=0.8, n_seeds=n_seeds, test_lengths=lengths,
                              family="cpu_depth", n_examples=65 - lengths, seed=5, population="cpu_depth-reduced")
    return table.assign(preset="reduced", num_layers=table["scale_index"] + 1, hidden_size=64,
                        scale="l" + (table["scale_index"] + 1).astype(str))


def run_plan(tmp_path, table, *extra):
    path = tmp_path / "results.parquet"
    table.to_parquet(path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["plan", str(path), "--out", str(tmp_path / "plan.csv"), *extra])
    return code, printed.getvalue()


def test_plan_prints_seeds_needed_and_gpu_hours_for_a_demo_sized_pilot(tmp_path):
    code, printed = run_plan(tmp_path, demo_like(8))
    assert code == 0
    plan = pd.read_csv(tmp_path / "plan.csv")
    assert len(plan) == 2 and {"seeds_for_bimodality", "seeds_for_p_success", "gpu_hours"} <= set(plan.columns)
    assert "seeds for bimodality (power 0.8)" in printed and "GPU-hours" in printed
    assert (plan["seed_run_flops"] > 0).all() and (plan["gpu_hours"] > 0).all()
    needed = plan["seeds_needed"]
    assert (plan["gpu_hours"] / needed).round(12).nunique() == 1  # one seed of one scale costs the same
    assert "8 seeds:" in printed


def test_plan_rejects_a_pilot_with_fewer_than_two_seeds_per_group(tmp_path, capsys):
    path = tmp_path / "results.parquet"
    demo_like(1).to_parquet(path)
    assert main(["plan", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "fewer than 2 seeds" in error and "train more seeds" in error


def test_seeds_for_p_success_follows_the_normal_interval():
    # N = ceil(1.96^2 w (1 - w) / h^2): w = 0.5, h = 0.1 -> 97; w = 0.2, h = 0.05 -> 246
    assert seeds_for_p_success(np.array([0.5, 0.2, np.nan]), 0.1)[:2].tolist() == [97, 62]
    assert seeds_for_p_success(np.array([0.2]), 0.05).tolist() == [246]
    assert np.isnan(seeds_for_p_success(np.array([np.nan]), 0.1)[0])


def test_a_clear_two_mode_pilot_needs_few_seeds_and_250_seeds_give_full_power():
    statistics = distributional_statistics(demo_like(24, success_probability=(0.5,), test_lengths=(18,)),
                                           n_resamples=50)
    plan = plan_seeds(statistics.per_scale, power=0.8, alpha=0.001)
    row = plan.iloc[0]
    assert row["verdict"] == "bimodal"
    assert 4 <= row["seeds_for_bimodality"] <= 32
    assert row["power_at_250"] == pytest.approx(1.0)


def test_a_pilot_without_successes_still_plans_for_a_rare_success():
    statistics = distributional_statistics(demo_like(8, success_probability=(0.0,), test_lengths=(20,)), n_resamples=50)
    assert statistics.per_scale["frac_successful"].iloc[0] == 0
    plan = plan_seeds(statistics.per_scale)
    # P(success) = (0 + 2) / (8 + 4): N = ceil(1.96^2 (1/6) (5/6) / 0.1^2) = 54
    assert plan["p_success"].iloc[0] == pytest.approx(1 / 6)
    assert plan["seeds_for_p_success"].iloc[0] == 54
