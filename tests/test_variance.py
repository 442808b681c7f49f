"""Seeds or items: the items table `eval` writes, and the split of a population mean's variance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eval_helpers import small_population

import hf_distscale
from hf_distscale.analysis.variance import seed_item_components, two_level_bootstrap, variance_split
from hf_distscale.cli import main
from hf_distscale.formats.analysis import read_statistics
from hf_distscale.formats.items import items_path, read_items, write_items

SMOLLM2 = Path(hf_distscale.__file__).parent / "reference" / "smollm2-reinit" / "results.parquet"
# Known components of the synthetic crossed design.
VAR_SEED, VAR_ITEM, VAR_RESIDUAL = 0.04, 0.01, 0.02


def crossed_scores(rng, n_seeds: int, n_items: int) -> np.ndarray:
    """y_si = 0.5 + a_s + b_i + e_si with normal effects of the known variances."""
    return (0.5 + rng.normal(0, VAR_SEED**0.5, (n_seeds, 1)) + rng.normal(0, VAR_ITEM**0.5, (1, n_items))
            + rng.normal(0, VAR_RESIDUAL**0.5, (n_seeds, n_items)))


def test_the_anova_estimates_recover_known_components_within_ten_percent():
    """Averaged over 300 synthetic populations of 40 seeds x 200 items, each estimate lies within 10% of
    its true value (the method-of-moments estimators are unbiased before truncation at 0, which is
    rare here), and so do the shares of the variance of the mean."""
    rng = np.random.default_rng(3)
    estimates = pd.DataFrame([seed_item_components(crossed_scores(rng, 40, 200)) for _ in range(300)]).mean()
    assert estimates["var_seed"] == pytest.approx(VAR_SEED, rel=0.1)
    assert estimates["var_item"] == pytest.approx(VAR_ITEM, rel=0.1)
    assert estimates["var_residual"] == pytest.approx(VAR_RESIDUAL, rel=0.1)
    terms = np.array([VAR_SEED / 40, VAR_ITEM / 200, VAR_RESIDUAL / 8000])
    assert estimates["seed_share"] == pytest.approx(terms[0] / terms.sum(), rel=0.1)
    assert estimates["item_share"] == pytest.approx(terms[1] / terms.sum(), rel=0.1)


def test_the_two_level_bootstrap_covers_the_true_mean():
    """The interval resamples seeds and items, so it covers the mean of new seeds and new items: over 200
    synthetic populations of 20 seeds x 50 items, at least 90% of the 95% intervals cover 0.5 (an
    items-only interval, lm-eval's, covers far less when seeds vary)."""
    rng = np.random.default_rng(4)
    covered = [low <= 0.5 <= high for low, high in
               (two_level_bootstrap(crossed_scores(rng, 20, 50), 200, rng) for _ in range(200))]
    assert np.mean(covered) >= 0.9


def test_eval_writes_every_window_and_its_mean_is_the_results_row(tmp_path, capsys):
    out = tmp_path / "results.parquet"
    assert main(["eval", str(small_population()), "--out", str(out), "--test-lengths", "6,8"]) == 0
    assert "each test window's result" in capsys.readouterr().out
    results, items = pd.read_parquet(out), read_items(items_path(out))
    per_model = items.groupby(["model_path", "condition"]).agg(em_items=("correct", "mean"), nll=("nll", "mean"),
                                                               windows=("item_id", "size"))
    joined = results.set_index(["model_path", "condition"]).join(per_model)
    assert len(joined) == len(results) and (joined["windows"] == joined["n_examples"]).all()
    assert np.allclose(joined["em"], joined["em_items"]) and np.allclose(joined["nll_sum"], joined["nll"])
    size = items_path(out).stat().st_size
    print(f"items table: {size / len(items) * 1000 / 1024:.1f} KiB per 1,000 items ({len(items)} items)")


def test_no_items_writes_none(tmp_path):
    out = tmp_path / "results.parquet"
    assert main(["eval", str(small_population()), "--out", str(out), "--test-lengths", "6", "--no-items"]) == 0
    assert out.is_file() and not items_path(out).exists()


def test_analyze_splits_the_shipped_mmlu_population_into_seeds_and_items(tmp_path):
    """The shipped reinit population's items (an older side table, migrated on read) give one split per
    subject; on accuracy at chance the seeds barely differ, so the items carry most of the variance."""
    assert main(["analyze", str(SMOLLM2), "--metric", "acc", "--out", str(tmp_path / "a"), "--no-plan",
                 "--resamples", "100"]) == 0
    split = pd.DataFrame(read_statistics(tmp_path / "a")["variance_split"])
    assert len(split) == 5 and (split["seeds"] == 8).all() and (split["items"] == 50).all()
    assert (split["item_share"] > split["seed_share"]).all()
    assert np.allclose(split[["seed_share", "item_share", "residual_share"]].sum(axis=1), 1)
    assert "## Seeds or items?" in (tmp_path / "a" / "summary.md").read_text()


def test_split_groups_follow_the_items(tmp_path):
    items = read_items(items_path(SMOLLM2), pd.read_parquet(SMOLLM2))
    split = variance_split(items, "nll_correct", n_resamples=50)
    assert set(split["condition"]) == set(items["condition"]) and (split["seed_share"] > 0).any()
    assert variance_split(items, "brier").empty  # no item holds it


def test_asking_for_items_that_are_not_there_is_one_line(tmp_path, capsys):
    assert main(["analyze", str(SMOLLM2), "--items", str(tmp_path / "none.items.parquet"),
                 "--out", str(tmp_path / "a")]) == 2
    error = capsys.readouterr().err
    assert "no items table at" in error and "without --no-items" in error and len(error.splitlines()) == 1
    assert not (tmp_path / "a").exists()


def test_an_items_table_is_checked_on_read(tmp_path, capsys):
    items = read_items(items_path(SMOLLM2), pd.read_parquet(SMOLLM2))
    items.loc[7, "correct"] = 1.7
    write_items(items, tmp_path / "bad.items.parquet")
    assert main(["analyze", str(SMOLLM2), "--items", str(tmp_path / "bad.items.parquet"),
                 "--out", str(tmp_path / "a")]) == 2
    error = capsys.readouterr().err
    assert "column 'correct' must hold 1 (right) or 0 (wrong)" in error and "row 7" in error
    assert len(error.splitlines()) == 1 and not (tmp_path / "a").exists()
