"""Known-answer tests of the distributional analysis on synthetic populations."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hf_distscale.analysis import (
    bimodality_coefficient,
    breakthrough_metrics,
    breakthrough_table,
    distributional_statistics,
    fit_logistic,
    load_results,
    passuntil_fit,
)
from hf_distscale.analysis.breakthrough import default_condition, top_seeds
from hf_distscale.analysis.distribution import seed_distribution_row
from hf_distscale.analysis.proportion import clopper_pearson
from hf_distscale.analysis.report import analyze
from hf_distscale.analysis.scaling_fit import scaling_fits
from hf_distscale.analysis.summary import fits_digest
from hf_distscale.analysis.schema import condition_order
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.analysis.thresholds import Thresholds
import hf_distscale
from hf_distscale.cli import main
from hf_distscale.formats.analysis import read_benchmark_statistics, read_figure_data, read_statistics
from hf_distscale.formats.results import write_table

FAST = 200  # bootstrap resamples where coverage is not under test
EM_LINES = Thresholds(failure=0.1, success=0.5)


def counting_rows(values_per_scale: dict[int, list[float]], test_length: int = 20) -> pd.DataFrame:
    """Analysis rows of one counting series: {scale_index: [metric of seed 0, 1, ...]}."""
    return pd.DataFrame([
        {"population": "p", "benchmark": "counting", "family": "f", "scale": f"s{i}", "scale_index": i,
         "num_parameters": 10 ** (i + 4), "seed": seed, "condition": f"len{test_length}",
         "test_length": test_length, "n_examples": 41, "chance": 0.0, "em": value, "p_exact": value}
        for i, values in values_per_scale.items() for seed, value in enumerate(values)
    ])


# --- breakthroughness and linearity -------------------------------------------------


@pytest.mark.parametrize(
    ("curve", "breakthroughness", "linearity"),
    [
        ([0.0, 0.25, 0.5, 0.75, 1.0], 4.0, 4.0),  # I = 1, every step 0.25
        ([0.0, 0.1, 0.9, 1.0], 1 / 0.1, 1 / math.sqrt((0.01 + 0.64 + 0.01) / 3)),
        ([1.0, 0.5, 0.0], -2.0, -2.0),  # argmax before argmin: I = -1
        ([0.0, 0.0, 0.0, 1.0], math.inf, math.sqrt(3)),  # median square step 0: step curve
        ([1.0, 1.0, 1.0, 0.0], -math.inf, -math.sqrt(3)),
        ([0.3, 0.3, 0.3], 0.0, 0.0),  # flat: 0/0 is defined as 0
    ],
)
def test_breakthrough_metrics_match_hand_computed_values(curve, breakthroughness, linearity):
    result = breakthrough_metrics(np.array(curve))
    assert result.breakthroughness == pytest.approx(breakthroughness)
    assert result.linearity == pytest.approx(linearity)


def test_breakthrough_metrics_need_two_scales():
    with pytest.raises(ValueError, match="at least 2 scales"):
        breakthrough_metrics(np.array([0.5]))


def test_breakthrough_table_ranks_fixed_seed_curves():
    curves = [[0.0, 0.0, 0.0, 1.0], [0.0, 0.3, 0.6, 0.9], [0.5, 0.5, 0.5, 0.5]]
    table = breakthrough_table(counting_rows({i: [c[i] for c in curves] for i in range(4)}))
    assert top_seeds(table, "breakthroughness", k=2) == [0, 1]
    assert top_seeds(table, "linearity", k=1) == [1]
    assert table.set_index("seed").loc[2, "breakthroughness"] == 0.0
    assert not table["rankings_identical"].any()


@pytest.mark.parametrize("n_scales", [2, 3])
def test_fewer_than_four_scales_make_b_equal_l_and_are_flagged(n_scales):
    rng = np.random.default_rng(n_scales)
    table = breakthrough_table(counting_rows({i: list(rng.random(6)) for i in range(n_scales)}))
    assert table["rankings_identical"].all()
    assert table["breakthroughness"].to_numpy() == pytest.approx(table["linearity"].to_numpy())


def test_four_scales_give_two_different_rankings():
    rng = np.random.default_rng(4)
    table = breakthrough_table(counting_rows({i: list(rng.random(30)) for i in range(4)}))
    assert not table["rankings_identical"].any()
    assert top_seeds(table, "breakthroughness", 5) != top_seeds(table, "linearity", 5)


def test_default_condition_is_the_papers_60_or_the_task_aggregate():
    paper = pd.DataFrame({"benchmark": "counting", "test_length": range(30, 101, 10),
                          "condition": [f"len{x}" for x in range(30, 101, 10)]})
    assert default_condition(paper) == "len60"
    assert default_condition(paper[paper["test_length"] <= 60]) == "len40"
    mmlu = pd.DataFrame({"benchmark": "mmlu", "test_length": -1, "condition": ["mmlu_law", "mmlu", "mmlu_anatomy"]})
    assert default_condition(mmlu) == "mmlu"
    assert default_condition(mmlu[mmlu["condition"] != "mmlu"]) == "mmlu_anatomy"


def test_conditions_order_by_test_length_then_name():
    table = pd.DataFrame({"test_length": [10, 8, -1, -1], "condition": ["len10", "len8", "b", "a"]})
    assert condition_order(table) == ["a", "b", "len8", "len10"]


# --- bootstrap intervals ------------------------------------------------------------


@pytest.mark.parametrize("truth", [0.0, 0.05, 0.5, 0.95, 1.0])
def test_proportion_intervals_cover_the_true_probability_at_24_seeds(truth):
    """Coverage of P(success) and P(fail) intervals over 2,000 simulated 24-seed populations: at least 93%."""
    n_seeds, repeats = 24, 2000
    rng = np.random.default_rng(1)
    successes = rng.binomial(n_seeds, truth, size=repeats)
    low, high = clopper_pearson(successes, n_seeds)
    assert np.mean((low <= truth) & (truth <= high)) >= 0.93
    low, high = clopper_pearson(n_seeds - successes, n_seeds)
    assert np.mean((low <= 1 - truth) & (1 - truth <= high)) >= 0.93


def test_seed_rows_carry_the_exact_proportion_intervals():
    values = np.where(np.arange(24) < 6, 0.9, 0.02)
    row = seed_distribution_row(values, EM_LINES, n_resamples=FAST)
    assert (row["frac_successful_ci_low"], row["frac_successful_ci_high"]) == tuple(clopper_pearson(6, 24))
    assert (row["frac_failed_ci_low"], row["frac_failed_ci_high"]) == tuple(clopper_pearson(18, 24))


def test_no_success_in_24_seeds_has_an_upper_bound_near_0_14_and_no_successful_mean():
    row = seed_distribution_row(np.zeros(24), EM_LINES, n_resamples=FAST)
    assert row["frac_successful"] == 0.0 and row["frac_successful_ci_low"] == 0.0
    assert row["frac_successful_ci_high"] == pytest.approx(1 - 0.025 ** (1 / 24))  # 0.142
    assert (row["frac_failed_ci_low"], row["frac_failed_ci_high"]) == (pytest.approx(0.025 ** (1 / 24)), 1.0)
    assert math.isnan(row["successful_mean"]) and math.isnan(row["successful_mean_ci_low"])


def test_a_successful_mean_of_one_seed_has_no_interval():
    row = seed_distribution_row(np.array([0.56] + [0.0] * 9), EM_LINES, n_resamples=FAST)
    assert row["successful_mean"] == 0.56 and row["n_successful"] == 1
    assert math.isnan(row["successful_mean_ci_low"]) and math.isnan(row["successful_mean_ci_high"])
    two = seed_distribution_row(np.array([0.56, 0.8] + [0.0] * 8), EM_LINES, n_resamples=FAST)
    assert 0.56 <= two["successful_mean_ci_low"] < two["successful_mean_ci_high"] <= 0.8 + 1e-12


def test_too_few_resamples_is_refused():
    table = counting_rows({0: [0, 0, 1, 1, 1, 1], 1: [1, 1, 1, 1, 1, 1]})
    with pytest.raises(ValueError, match="resamples: 0 bootstrap resamples"):
        distributional_statistics(table, n_resamples=0)


# --- bimodality ---------------------------------------------------------------------


def test_bimodality_coefficient_separates_bimodal_from_unimodal_population():
    rng = np.random.default_rng(0)
    bimodal = np.where(rng.random(120) < 0.5, rng.beta(34, 6, 120), rng.beta(1.2, 38, 120))
    unimodal = rng.beta(4, 6, 120)
    assert bimodality_coefficient(bimodal) > 5 / 9 > bimodality_coefficient(unimodal)
    assert math.isnan(bimodality_coefficient(np.full(8, 0.2)))


def test_wasserstein_distance_to_next_scale_matches_hand_value():
    rows = counting_rows({0: [0, 0, 1, 1, 1, 1], 1: [1, 1, 1, 1, 1, 1]})
    table = distributional_statistics(rows, n_resamples=FAST).per_scale
    assert table["wasserstein_to_next"].iloc[0] == pytest.approx(1 / 3)
    assert math.isnan(table["wasserstein_to_next"].iloc[1])


# --- distributional scaling fit -----------------------------------------------------


def test_logistic_fit_recovers_exact_parameters():
    x = np.linspace(-3, 3, 7)
    probability = 1 / (1 + np.exp(-(0.5 + 1.5 * x)))
    trials = np.full(7, 1_000_000)
    a, b = fit_logistic(x, probability * trials, trials)
    assert (a, b) == (pytest.approx(0.5, abs=1e-3), pytest.approx(1.5, abs=1e-3))


def test_logistic_fit_recovers_a_known_crossing_scale():
    parameters = [int(10 ** (5 + s / 2)) for s in range(5)]  # 1e5 .. 1e7
    crossing = 1e6
    probability = [1 / (1 + math.exp(-2 * (math.log(n) - math.log(crossing)))) for n in parameters]
    table = synthetic_results(probability, num_parameters=parameters, n_seeds=300, test_lengths=[40, 50])
    fits = scaling_fits(load_results(table), n_resamples=FAST)
    for fit in fits.itertuples():
        assert fit.x_variable == "log_parameters"
        assert fit.crossing_parameters_ci_low <= crossing <= fit.crossing_parameters_ci_high
        assert fit.crossing_parameters == pytest.approx(crossing, rel=0.5)
        assert fit.slope == pytest.approx(2.0, rel=0.3)
        assert fit.crossing_in_range


@pytest.mark.parametrize(("probability", "direction"), [([0.05, 0.1, 0.2], "below"), ([0.8, 0.9, 0.95], "above")])
def test_a_crossing_outside_the_measured_range_is_reported_as_not_reached(probability, direction):
    parameters = [100_000, 200_000, 400_000]
    table = synthetic_results(probability, num_parameters=parameters, n_seeds=40, test_lengths=[40])
    statistics = distributional_statistics(table, n_resamples=FAST)
    fit = statistics.scaling_fits.iloc[0]
    assert not fit["crossing_in_range"] and fit["crossing_direction"] == direction
    assert all(math.isnan(fit[c]) for c in ("crossing_x", "crossing_parameters", "crossing_parameters_ci_high"))
    text = fits_digest(statistics)["P(success) = 0.5 at"].iloc[0]
    assert text == f"not reached in N in [1e+05, 4e+05]: P(success) stays {direction} 0.5"


def test_fixed_parameter_family_fits_against_scale_index():
    table = synthetic_results([0.1, 0.5, 0.9], num_parameters=[3_200_000, 3_210_000, 3_190_000], n_seeds=200)
    fits = scaling_fits(load_results(table), n_resamples=FAST)
    assert set(fits["x_variable"]) == {"scale_index"}
    assert fits["crossing_x"].to_numpy() == pytest.approx([1.0, 1.0], abs=0.3)


@pytest.mark.parametrize(
    ("success_probability", "inverse"),
    [([0.9, 0.7, 0.5, 0.3, 0.1], True), ([0.1, 0.3, 0.5, 0.7, 0.9], False)],
)
def test_inverse_scaling_is_detected_only_when_success_falls_while_its_mean_rises(success_probability, inverse):
    table = synthetic_results(success_probability, success_mean=[0.6, 0.7, 0.8, 0.88, 0.95], n_seeds=120)
    fits = distributional_statistics(table, n_resamples=FAST).scaling_fits
    assert fits["inverse_scaling"].tolist() == [inverse, inverse]


# --- PassUntil ------------------------------------------------------------------------


def test_passuntil_law_recovers_alpha_and_no_concavity_on_a_straight_law():
    x = np.log([1e5, 3e5, 1e6, 3e6, 1e7])
    pass_probability = np.exp(-np.exp(4.0 - 0.5 * x))  # PU = exp(-c N^-alpha), c = e^4, alpha = 0.5
    fit = passuntil_fit([np.full(8, p) for p in pass_probability], x, n_resamples=FAST)
    assert fit["alpha"] == pytest.approx(0.5)
    assert fit["log_c"] == pytest.approx(4.0)
    assert abs(fit["quadratic"]) < 1e-8
    assert not fit["accelerated_emergence"]


def test_passuntil_detects_accelerated_emergence_on_a_concave_curve():
    x = np.log([1e5, 3e5, 1e6, 3e6, 1e7])
    log_neg_log = 6.0 - 0.2 * (x - x[0]) - 0.3 * (x - x[0]) ** 2
    rng = np.random.default_rng(0)
    per_scale = [np.exp(-np.exp(v + rng.normal(0, 0.01, 16))) for v in log_neg_log]
    fit = passuntil_fit(per_scale, x, n_resamples=FAST)
    assert fit["concave"] and fit["accelerated_emergence"]
    assert fit["quadratic"] == pytest.approx(-0.3, abs=0.05)


# --- bad input --------------------------------------------------------------------------


def test_missing_column_is_named():
    table = synthetic_results([0.2, 0.8], n_seeds=6).drop(columns="scale_index")
    with pytest.raises(ValueError, match="'scale_index'"):
        load_results(table)


def test_missing_metric_column_is_named_through_the_cli(tmp_path, capsys):
    path = tmp_path / "results.parquet"
    synthetic_results([0.2, 0.8], n_seeds=6).drop(columns="em_answer_only").to_parquet(path)
    assert main(["analyze", str(path), "--out", str(tmp_path / "out"), "--metric", "em_answer_only"]) == 2
    assert "'em_answer_only'" in capsys.readouterr().err


def test_file_that_is_not_parquet_is_one_line_through_the_cli(tmp_path, capsys):
    path = tmp_path / "results.parquet"
    path.write_text("seed,em\n0,1.0\n")
    assert main(["analyze", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("hf-distscale analyze: error:")
    assert f"{path} is not a Parquet results table" in error and "hf-distscale eval" in error


def test_missing_file_and_bad_values_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        load_results(tmp_path / "absent.parquet")
    table = synthetic_results([0.2, 0.8], n_seeds=6)
    with pytest.raises(ValueError, match="unknown metric"):
        load_results(table, metric="accuracy")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_results(table.assign(em=table["em"] + 1))
    with pytest.raises(ValueError, match="more than once"):
        load_results(pd.concat([table, table.iloc[:1]]))


def test_single_scale_family_gets_no_breakthrough_with_a_message():
    table = pd.concat(
        [synthetic_results([0.5], n_seeds=8, family="lonely"), synthetic_results([0.2, 0.8], n_seeds=8)]
    )
    statistics = distributional_statistics(table, n_resamples=FAST)
    assert set(statistics.breakthrough["family"]) == {"fixed_depth"}
    assert set(statistics.scaling_fits["family"]) == {"fixed_depth"}
    assert any("'fixed_depth'" in m and "breakthroughness equals linearity" in m for m in statistics.messages)
    assert any("'lonely'" in m and "at least 2 scales" in m for m in statistics.messages)
    assert set(statistics.per_scale["family"]) == {"lonely", "fixed_depth"}


def test_few_seeds_are_a_message_of_the_statistics_and_one_warning_line(tmp_path, capsys):
    table = synthetic_results([0.2, 0.8], n_seeds=3)
    statistics = distributional_statistics(table, n_resamples=FAST)
    assert any("fewer than 5 seeds" in message for message in statistics.messages)
    path = tmp_path / "results.parquet"
    table.to_parquet(path)
    assert main(["analyze", str(path), "--out", str(tmp_path / "out"), "--resamples", "40", "--no-plan"]) == 0
    printed = capsys.readouterr()
    assert "warning" not in printed.out
    few = [line for line in printed.err.splitlines() if "fewer than 5 seeds" in line]
    assert len(few) == 1 and few[0].startswith("warning: ")
    assert "fewer than 5 seeds" in (tmp_path / "out" / "statistics.json").read_text()
    assert len(statistics.per_scale) == 4
    assert statistics.per_scale["frac_successful"].between(0, 1).all()


def test_enough_seeds_do_not_warn():
    table = synthetic_results([0.2, 0.8], n_seeds=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        statistics = distributional_statistics(table, n_resamples=FAST)
    assert not any("fewer than 5 seeds" in message for message in statistics.messages)


def test_unknown_breakthrough_length_is_rejected():
    with pytest.raises(ValueError, match="not in the table"):
        distributional_statistics(synthetic_results([0.2, 0.8], n_seeds=6), breakthrough_condition="len99")


# --- evaluate module --------------------------------------------------------------------


def test_evaluate_module_returns_the_library_statistics():
    import evaluate

    import hf_distscale
    from hf_distscale.analysis.schema import EVALUATE_INPUTS

    table = synthetic_results([0.1, 0.5, 0.9], n_seeds=10)
    module = evaluate.load(str(Path(hf_distscale.__file__).parent / "metrics" / "distributional_scaling"))
    output = module.compute(
        scores=table["em"], **{name: table[column] for name, column in EVALUATE_INPUTS.items()},
        n_resamples=FAST,
    )
    expected = distributional_statistics(table, n_resamples=FAST).to_dict()
    assert output["metric"] == "em"
    assert pd.DataFrame(output["per_scale"]).equals(pd.DataFrame(expected["per_scale"]))
    assert pd.DataFrame(output["scaling_fits"]).equals(pd.DataFrame(expected["scaling_fits"]))


# --- the unified results schema: benchmarks, conditions, thresholds per benchmark -------


def multiple_choice(success_probability, chance=0.25, **kwargs):
    return synthetic_results(success_probability, benchmark="mmlu", chance=chance,
                             conditions=["mmlu", "mmlu_anatomy"], n_examples=[400, 100], **kwargs)


def test_multiple_choice_thresholds_are_relative_to_chance():
    table = multiple_choice([0.0, 1.0], n_seeds=40, success_mean=0.8, failure_mean=0.02)
    table.loc[table["scale_index"] == 0, "acc"] = 0.3  # below chance + 0.1 (1 - chance) = 0.325: failed
    per_scale = distributional_statistics(table, metric="acc", n_resamples=FAST).per_scale
    assert per_scale["failure_threshold"].to_numpy() == pytest.approx(0.325)
    assert per_scale["success_threshold"].to_numpy() == pytest.approx(0.625)
    small, large = per_scale[per_scale["scale_index"] == 0], per_scale[per_scale["scale_index"] == 1]
    assert (small["frac_failed"] == 1.0).all() and (small["frac_successful"] == 0.0).all()
    assert (large["frac_successful"] == 1.0).all()  # 0.25 + 0.75 * 0.8 = 0.85 > 0.625
    assert large["successful_mean"].to_numpy() == pytest.approx(0.85, abs=0.03)


def test_a_table_with_counting_and_multiple_choice_rows_analyses_each_metric_on_its_rows():
    table = pd.concat([synthetic_results([0.2, 0.8], n_seeds=8), multiple_choice([0.3, 0.6], n_seeds=8)])
    on_em = distributional_statistics(table, metric="em", n_resamples=FAST)
    on_acc = distributional_statistics(table, metric="acc", n_resamples=FAST)
    assert set(on_em.per_scale["benchmark"]) == {"counting"}
    assert set(on_acc.per_scale["benchmark"]) == {"mmlu"}
    assert on_acc.per_scale["condition"].tolist() == ["mmlu", "mmlu_anatomy"] * 2
    assert set(on_acc.scaling_fits["condition"]) == {"mmlu", "mmlu_anatomy"}
    assert on_acc.passuntil.empty and not on_em.passuntil.empty
    with pytest.raises(ValueError, match="no row measured 'nll_mean'"):
        distributional_statistics(table.assign(nll_mean=np.nan), metric="nll_mean")


def test_unbounded_metric_gets_distribution_statistics_but_no_fractions():
    table = multiple_choice([0.2, 0.8], n_seeds=12)
    statistics = distributional_statistics(table, metric="nll_correct", n_resamples=FAST)
    per_scale = statistics.per_scale
    assert per_scale["frac_successful"].isna().all() and per_scale["failure_threshold"].isna().all()
    assert per_scale["dip_p"].notna().all() and per_scale["wasserstein_to_next"].notna().any()
    assert statistics.scaling_fits.empty
    assert not statistics.breakthrough.empty


def test_first_version_counting_table_reads_with_a_warning():
    new = synthetic_results([0.2, 0.8], n_seeds=6)
    old = new.drop(columns=["benchmark", "condition", "chance", "acc", "acc_norm", "nll_correct", "p_correct", "brier"])
    with pytest.warns(UserWarning, match="counting-only results table"):
        table = load_results(old)
    assert set(table["benchmark"]) == {"counting"} and set(table["condition"]) == {"len30", "len40"}
    with pytest.warns(UserWarning):
        from_old = distributional_statistics(old, n_resamples=FAST).per_scale
    pd.testing.assert_frame_equal(from_old, distributional_statistics(new, n_resamples=FAST).per_scale)


def test_no_output_file_holds_inf_nan_or_a_runaway_number(tmp_path):
    """Edge cases that make undefined or infinite statistics (one-step curves: B = inf; 0/5 and 5/5 groups;
    a crossing beyond the measured scales) reach no output as 'inf', 'nan' or a number above 1e12."""
    one_step = [0.0] * 5
    table = counting_rows({0: one_step, 1: one_step, 2: one_step, 3: [1.0] * 5})
    statistics = distributional_statistics(table, n_resamples=FAST)
    assert np.isinf(statistics.breakthrough["breakthroughness"]).all()
    write_table(table, tmp_path / "results.parquet")
    analyze(tmp_path / "results.parquet", tmp_path / "analysis", breakthrough_test_length=20, n_resamples=40,
            plan=False)
    written = [path for path in (tmp_path / "analysis").rglob("*") if path.suffix in (".json", ".csv", ".md")]
    assert len(written) >= 9
    for path in written:
        text = path.read_text()
        assert not re.search(r"(?<![\w.])-?(inf|nan|NaN|Infinity)(?![\w])", text), path.name
        numbers = [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])", text)]
        assert max(map(abs, numbers), default=0) <= 1e12, path.name


def test_a_population_that_succeeds_everywhere_gets_reasons_not_zero_width_intervals(tmp_path, capsys):
    """Every seed of cpu_depth l2, l4 and l6 of the shipped reference succeeds at length 16 with EM 1:
    the logistic slope is undefined and the successful-mean slope is at ceiling, and no output prints
    an interval whose ends are equal."""
    reference = Path(hf_distscale.__file__).parent / "reference" / "cpu-reference" / "results.parquet"
    table = pd.read_parquet(reference)
    table = table[(table["family"] == "cpu_depth") & table["scale"].isin(["l2", "l4", "l6"])
                  & (table["condition"] == "len16")]
    assert (table["em"] == 1).all() and table["scale"].nunique() == 3
    table.to_parquet(tmp_path / "ceiling.parquet")
    out = tmp_path / "analysis"
    assert main(["analyze", str(tmp_path / "ceiling.parquet"), "--out", str(out), "--no-plan",
                 "--resamples", "200"]) == 0
    console = capsys.readouterr().out
    fit = read_statistics(out)["scaling_fits"][0]
    assert fit["slope"] is None and fit["slope_ci_low"] is None and fit["slope_note"] == \
        "undefined: all succeed at every scale"
    assert fit["success_mean_slope_ci_low"] is None and fit["success_mean_slope_note"].startswith("at ceiling")
    assert fit["crossing_direction"] == "above"
    summary = (out / "summary.md").read_text()
    assert "undefined: all succeed at every scale" in summary and "at ceiling" in summary
    page = json.dumps(read_benchmark_statistics(out)) + json.dumps(read_figure_data(out))
    assert "undefined: all succeed at every scale" in page
    zero_width = re.compile(r"\[(-?[0-9.e+-]+), \1\]")
    for name, text in (("summary.md", summary), ("console", console), ("page data", page)):
        assert not zero_width.search(text), (name, zero_width.search(text))
