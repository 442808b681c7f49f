"""Bimodality tests for k-of-n scores: calibration, known answers, and the verdict."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from hf_distscale.analysis import distributional_statistics, mixture_test, tie_corrected_dip, verdict
from hf_distscale.analysis.betabinomial import fit_mixture, fit_one, histograms, sample_counts
from hf_distscale.analysis.bimodality import VERDICT_RULE, dip_pvalue

WINDOWS = 41
# Correct windows out of 41 per seed: a 24-seed cpu_depth l1 population, reduced preset, length 24.
NEAR_ZERO_PILE = np.array([3, 0, 2, 2, 5, 1, 0, 0, 1, 0, 4, 0, 5, 3, 0, 1, 3, 0, 0, 1, 1, 0, 1, 4])
REPLICATES = 500
ALPHA = 0.05
# One-sided 99.5% Monte-Carlo bound on a false-positive rate of ALPHA over REPLICATES populations.
TYPE_I_BOUND = ALPHA + 2.576 * math.sqrt(ALPHA * (1 - ALPHA) / REPLICATES)


def population(counts, n=WINDOWS) -> pd.DataFrame:
    """A one-group counting results table whose seeds scored counts / n."""
    return pd.DataFrame({
        "population": "p", "benchmark": "counting", "family": "f", "scale": "l1", "scale_index": 0,
        "num_parameters": 58_112, "seed": np.arange(len(counts)), "condition": "len24", "test_length": 24,
        "n_examples": n, "chance": 0.0, "em": np.asarray(counts) / n, "p_exact": np.asarray(counts) / n,
    })


def per_scale(counts) -> pd.Series:
    return distributional_statistics(population(counts), n_resamples=100).per_scale.iloc[0]


def test_near_zero_pile_is_not_bimodal_though_the_raw_dip_test_says_so():
    row = per_scale(NEAR_ZERO_PILE)
    assert row["dip_p_raw"] < 0.005  # the paper's test, fooled by ties
    assert row["dip_p"] > 0.5
    assert row["mixture_lrt_p"] > 0.05
    assert row["verdict"] == "unimodal"


def test_constructed_two_mode_population_is_bimodal():
    rng = np.random.default_rng(0)
    counts = np.r_[rng.integers(0, 3, 12), rng.integers(34, 39, 12)]
    row = per_scale(counts)
    assert row["mixture_lrt_p"] < 1e-4 and row["mixture_modes"] == 2
    assert row["verdict"] == "bimodal"
    assert row["mixture_success_weight"] == pytest.approx(0.5, abs=0.01)
    assert row["mixture_success_mean"] == pytest.approx(36 / 41, abs=0.03)


@pytest.mark.parametrize("weight", [0.2, 0.5])
def test_mixture_fit_recovers_known_weights_on_250_seeds(weight):
    rng = np.random.default_rng(1)
    rows = 20
    a1, b1, a2, b2 = (np.full(rows, x) for x in (0.5, 9.5, 16.0, 4.0))  # modes at 5% and 80% EM
    counts = sample_counts(a1, b1, WINDOWS, 250, rng, weight=np.full(rows, weight), a2=a2, b2=b2)
    fit = fit_mixture(histograms(counts, WINDOWS))
    assert np.all(np.abs(fit.weight - weight) < 0.1), fit.weight
    assert np.all(np.abs(fit.a2 / (fit.a2 + fit.b2) - 0.8) < 0.05)


@pytest.mark.parametrize("counts", [np.zeros(24, int), np.full(24, WINDOWS), np.r_[np.zeros(20, int), np.full(4, WINDOWS)]])
def test_boundary_masses_fit_without_numerical_failure(counts):
    hist = histograms(counts[None], WINDOWS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            one, mixture = fit_one(hist), fit_mixture(hist)
    assert np.isfinite([one.log_likelihood[0], mixture.log_likelihood[0]]).all()
    assert mixture.log_likelihood[0] >= one.log_likelihood[0] - 1e-6 or counts.min() == counts.max()
    if counts.min() == 0 and counts.max() == WINDOWS:
        assert mixture.weight[0] == pytest.approx(4 / 24, abs=0.01)


# --- calibration on unimodal beta-binomial populations ---------------------------------------


@pytest.fixture(scope="module", params=[24, 250], ids=["24-seeds", "250-seeds"])
def null_populations(request):
    """REPLICATES unimodal populations with heavy mass at 0: BB(41, 0.3, 6), mean EM 0.05."""
    rng = np.random.default_rng(request.param)
    counts = sample_counts(np.full(REPLICATES, 0.3), np.full(REPLICATES, 6.0), WINDOWS, request.param, rng)
    return counts


def false_positive_rate(pvalues) -> float:
    return float(np.mean(np.asarray(pvalues) < ALPHA))


def test_raw_dip_test_rejects_unimodal_k_of_n_populations_far_too_often(null_populations):
    raw = [tie_corrected_dip(c / WINDOWS, 0.0).dip_p for c in null_populations]
    assert false_positive_rate(raw) > 2 * TYPE_I_BOUND


def test_tie_corrected_dip_test_holds_its_level(null_populations):
    tied = [tie_corrected_dip(c / WINDOWS, 1 / WINDOWS, seed=i).dip_p for i, c in enumerate(null_populations)]
    assert false_positive_rate(tied) <= TYPE_I_BOUND


def test_mixture_likelihood_ratio_test_holds_its_level(null_populations):
    result = mixture_test(list(null_populations), [WINDOWS] * REPLICATES, seed=3)
    assert false_positive_rate(result.pvalue) <= TYPE_I_BOUND
    assert (result.replicates <= 200).all()


POWER_REPLICATES = 200


def test_mixture_likelihood_ratio_test_power_on_a_two_mode_population_is_reported(record_property):
    """24 seeds, 40% in a success mode at 80% EM (BB(41, 16, 4)) and 60% at 5% (BB(41, 0.5, 9.5)):
    the share of populations the verdict calls bimodal at ALPHA (its power), written to the test report."""
    rng = np.random.default_rng(11)
    rows = np.ones(POWER_REPLICATES)
    counts = sample_counts(0.5 * rows, 9.5 * rows, WINDOWS, 24, rng, weight=0.4 * rows, a2=16 * rows, b2=4 * rows)
    result = mixture_test(list(counts), [WINDOWS] * POWER_REPLICATES, seed=5)
    power = float(np.mean((result.pvalue < ALPHA) & (result.modes >= 2)))
    record_property("mixture_lrt_power_24_seeds", power)
    print(f"power of the mixture LRT at alpha {ALPHA}, 24 seeds, 40% success mode: {power:.2f}")
    assert power >= 0.8


# --- the verdict ------------------------------------------------------------------------------


def test_verdict_follows_its_rule():
    assert "raw dip p is never used" in VERDICT_RULE
    cases = [  # frac_failed, frac_successful, mixture p, modes, dip p -> verdict
        (1.0, 0.0, np.nan, 1, 0.0, "all fail"),
        (0.0, 1.0, np.nan, 1, 0.0, "all succeed"),
        (0.5, 0.5, 1e-5, 2, 0.9, "bimodal"),
        (0.5, 0.5, 1e-5, 1, 0.0, "unimodal"),  # significant but one-peaked fit: not two modes
        (0.5, 0.5, 0.2, 2, 0.0, "unimodal"),  # the dip does not decide for k-of-n scores
        (np.nan, np.nan, np.nan, np.nan, 1e-5, "bimodal"),  # NLL-like metric: the dip decides
        (np.nan, np.nan, np.nan, np.nan, 0.3, "unimodal"),
    ]
    for *inputs, expected in cases:
        assert verdict(*inputs) == expected, inputs
    assert list(verdict(*map(np.array, zip(*(c[:5] for c in cases))))) == [c[5] for c in cases]
    assert verdict(1.0, 0.0, np.nan, 1, 0.0, n_seeds=4) == "too few seeds"
    assert verdict(0.5, 0.5, 1e-5, 2, 0.9, n_seeds=5) == "bimodal"


def test_dip_pvalue_matches_diptest():
    import diptest

    values = np.random.default_rng(0).random(50)
    dip, p = diptest.diptest(values)
    assert dip_pvalue(dip, 50)[0] == pytest.approx(p)
