"""`hf-distscale compare`: two populations group by group, seeds as the unit, with valid tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hf_distscale
from hf_distscale.analysis.compare import (
    compare_tables,
    compare_group,
    detectable_fraction_difference,
    newcombe_interval,
    seeds_for_fraction,
)
from hf_distscale.cli import main
from hf_distscale.formats.comparison import read_comparison

REFERENCE = str(Path(hf_distscale.__file__).parent / "reference" / "cpu-reference" / "results.parquet")
N_NULL = 2000


def seed_population(rng, n_seeds: int, p_success: float) -> np.ndarray:
    """EM of `n_seeds` seeds from a two-mode population: successes near 0.85, failures near 0.03."""
    succeeded = rng.random(n_seeds) < p_success
    return np.where(succeeded, rng.beta(17, 3, n_seeds), rng.beta(1, 30, n_seeds))


def verdicts(rng, p_a: float, p_b: float, n_seeds: int = 16) -> np.ndarray:
    """The verdict of one matched group for N_NULL simulated pairs of populations."""
    return np.array([
        compare_group(seed_population(rng, n_seeds, p_a), seed_population(rng, n_seeds, p_b), 0.5, alpha=0.05,
                      power=0.8, effect=0.15, n_resamples=40, n_permutations=199, rng=rng)["p_value"] <= 0.05
        for _ in range(N_NULL)
    ])


def test_permutation_test_holds_its_level_on_null_populations_and_has_power_on_planted_ones():
    rng = np.random.default_rng(11)
    level = verdicts(rng, 0.5, 0.5).mean()
    monte_carlo_se = np.sqrt(0.05 * 0.95 / N_NULL)
    assert abs(level - 0.05) <= 2 * monte_carlo_se and level <= 0.060, level
    power = verdicts(rng, 0.2, 0.8).mean()
    print(f"level {level:.4f} over {N_NULL} null pairs of 16 seeds; power {power:.3f} for P(success) 0.2 vs 0.8")
    assert power >= 0.8


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, example (a): 56/70 - 48/80, method 10.
    low, high = newcombe_interval(56, 70, 48, 80)
    assert low == pytest.approx(0.0524, abs=1e-4) and high == pytest.approx(0.3339, abs=1e-4)


def test_seed_counts_stay_finite_at_the_edges():
    assert 0 < seeds_for_fraction(0.0, 0.15, 0.05, 0.8) < 1000
    assert seeds_for_fraction(0.5, 0.15, 0.05, 0.8) > seeds_for_fraction(0.0, 0.15, 0.05, 0.8)
    detectable = detectable_fraction_difference(0.5, 32, 32, 0.05, 0.8)
    assert seeds_for_fraction(0.5, detectable, 0.05, 0.8) <= 32 < seeds_for_fraction(0.5, detectable - 0.01, 0.05, 0.8)


def test_identical_seeds_get_no_interval_and_the_reason():
    row = compare_group(np.ones(8), np.ones(8), 0.5, alpha=0.05, power=0.8, effect=0.15, n_resamples=100,
                        n_permutations=199, rng=np.random.default_rng(0))
    assert row["mean_diff"] == 0 and np.isnan(row["mean_diff_low"]) and "holds one value" in row["mean_diff_note"]
    assert row["p_value"] == 1.0 and np.isnan(row["seeds_needed_mean"])
    low, high = row["p_success_diff_low"], row["p_success_diff_high"]
    assert low < -0.2 and high > 0.2  # 8 of 8 against 8 of 8 is far from certain


def test_doubling_width_on_the_reference_beats_seed_noise_past_the_training_length(tmp_path, capsys):
    code = main(["compare", REFERENCE, "--a", "family=cpu_width,scale=h64", "--b", "family=cpu_width,scale=h128",
                 "--out", str(tmp_path / "cmp")])
    printed = capsys.readouterr().out
    assert code == 0 and "B higher" in printed and "h64 vs h128" in printed
    comparison = read_comparison(tmp_path / "cmp")
    assert comparison["matched_on"] == ["benchmark", "condition"]
    groups = {group["condition"]: group for group in comparison["groups"]}
    assert groups["len20"]["verdict"] == "B higher" and groups["len20"]["seeds_a"] == 32
    assert groups["len16"]["verdict"] == "no difference detected"
    assert groups["len16"]["mean_diff_low"] is None and groups["len16"]["mean_diff_note"]
    text = (tmp_path / "cmp" / "comparison.md").read_text()
    assert not re.search(r"\[([+-]?\d+\.\d+), \1\]", text)  # no zero-width interval
    json.loads((tmp_path / "cmp" / "comparison.json").read_text())


@pytest.mark.parametrize("argv, words", [
    ([REFERENCE, REFERENCE], "A and B are the same rows"),
    ([REFERENCE], "A and B are the same rows"),
    ([REFERENCE, "--a", "family=cpu_depth,scale=l1", "--b", "family=cpu_width,scale=h32,condition=len99"],
     "no row of side B has condition=len99"),
    ([REFERENCE, "--a", "colour=red", "--b", "scale=h64"], "no column 'colour'"),
    ([REFERENCE, "--a", "scale", "--b", "scale=h64"], "is not COLUMN=VALUE"),
    ([REFERENCE, "--a", "family=cpu_depth", "--b", "family=cpu_width"], "share no group"),
    ([REFERENCE, "--a", "scale=l1", "--b", "scale=l2", "--alpha", "1.5"], "--alpha"),
])
def test_bad_comparisons_are_one_line(argv, words, capsys):
    assert main(["compare", *argv]) == 2
    error = capsys.readouterr().err
    assert words in error and len(error.strip().splitlines()) == 1 and "Traceback" not in error


def test_a_side_mixing_two_populations_is_named_with_the_filter_that_splits_it(tmp_path, capsys):
    table = pd.read_parquet(REFERENCE)
    both = tmp_path / "two-populations.parquet"
    pd.concat([table, table.assign(population="copy")]).to_parquet(both)
    assert main(["compare", str(both), "--a", "scale=l1", "--b", "scale=l2"]) == 2
    error = capsys.readouterr().err
    assert "appears more than once" in error and "population=NAME" in error and "copy" in error


def test_sides_with_items_are_compared_over_the_items_both_scored():
    """A and B scored partly different items: the mean difference is taken over the shared ones, where
    the easy items B lacks cannot favour A, and equals the hand-computed difference."""
    rng = np.random.default_rng(5)
    difficulty = np.linspace(-2, 2, 40)  # item 0 easiest

    def side(population: str, seeds: int, shift: float, items: range):
        correct = (rng.normal(shift, 1, (seeds, 1)) - difficulty[list(items)] + rng.normal(0, 0.5, (seeds, len(items)))) > 0
        identity = [{"model_path": f"{population}/{s}", "population": population, "family": "f", "scale": "s1",
                     "seed": s, "benchmark": "counting", "condition": "len20", "chance": 0.0} for s in range(seeds)]
        results = pd.DataFrame(identity).assign(em=correct.mean(axis=1))
        item_table = pd.DataFrame([{**identity[s], "item_id": str(i), "correct": float(correct[s, j])}
                                   for s in range(seeds) for j, i in enumerate(items)])
        return results, item_table, correct

    results_a, items_a, correct_a = side("A", 12, 0.0, range(0, 40))
    results_b, items_b, correct_b = side("B", 10, 0.0, range(20, 40))  # B only scored the harder half
    row = compare_tables(results_a, results_b, ["family", "scale", "benchmark", "condition"], items_a=items_a,
                         items_b=items_b, n_resamples=200, n_permutations=199).iloc[0]
    assert row["items_paired"] == 20
    assert row["mean_diff"] == pytest.approx(correct_a[:, 20:].mean() - correct_b.mean())
    assert row["mean_diff_low"] < row["mean_diff"] < row["mean_diff_high"]
    unpaired = compare_tables(results_a, results_b, ["family", "scale", "benchmark", "condition"],
                              n_resamples=200, n_permutations=199).iloc[0]
    assert unpaired["items_paired"] == 0 and unpaired["mean_diff"] > row["mean_diff"] + 0.1  # A's easy items
