"""The leaderboard page in headless Chromium, served on 127.0.0.1, built from real results.

One browser per session and one built site per fixture: the smoke population's
results (trained and evaluated here), and a site of two populations on two
benchmarks (those results plus a simulated multiple-choice population; real
multiple-choice rows are on the page in test_lm_population_e2e.py).
Chromium is Debian's /usr/bin/chromium; without it these tests skip, except
under CI, where they fail.
"""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from eval_helpers import small_population
from hf_distscale.analysis import VERDICT_RULE, distributional_statistics
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.evaluation import evaluate_population
from hf_distscale.formats.results import write_table
from hf_distscale.site import build_leaderboard
from page_helpers import LoadedPage, chromium

GROUP = ["population", "benchmark", "scale_index", "condition"]
MC_SUBJECTS = ["distscale_mc", "distscale_mc_arithmetic", "distscale_mc_science"]


@pytest.fixture(scope="session")
def browser():
    return chromium()


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory) -> Path:
    """The results table of a smoke population: 2 scales (1 and 2 layers) x 4 seeds x 3 lengths."""
    path = tmp_path_factory.mktemp("smoke") / "results.parquet"
    evaluate_population(small_population(), path)
    return path


@pytest.fixture(scope="session")
def simulated_multiple_choice_results(tmp_path_factory) -> Path:
    """Test data: a seeded simulation of a 4-choice population on the self-written `distscale_mc`
    task (the aggregate and three subjects), 3 scales adding layers, 12 seeds, in the results schema."""
    table = synthetic_results(
        [0.1, 0.5, 0.9], n_seeds=12, benchmark="distscale_mc", conditions=MC_SUBJECTS, chance=0.25,
        family="mc_depth", population="mc-simulated", n_examples=40, seed=3,
    )
    table["num_layers"] = table["scale_index"] + 1
    table["model_path"] = [f"hf://org/mc-simulated/{s}/seed-{k:04d}" for s, k in zip(table["scale"], table["seed"])]
    path = tmp_path_factory.mktemp("mc") / "results.parquet"
    write_table(table, path)
    return path


@pytest.fixture(scope="session")
def smoke_site(smoke_results, tmp_path_factory) -> Path:
    return build_leaderboard(smoke_results, tmp_path_factory.mktemp("site") / "smoke").parent


@pytest.fixture(scope="session")
def two_benchmark_site(smoke_results, simulated_multiple_choice_results, tmp_path_factory) -> Path:
    sources = [smoke_results, simulated_multiple_choice_results]
    return build_leaderboard(sources, tmp_path_factory.mktemp("site") / "two").parent


@pytest.fixture(scope="session")
def smoke_page(browser, smoke_site):
    loaded = LoadedPage(browser, smoke_site)
    yield loaded
    loaded.close()


def test_smoke_page_loads_offline_without_errors(smoke_page):
    assert smoke_page.errors == []
    assert smoke_page.blocked == []
    requested = smoke_page.page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert requested and all(url.startswith("http://127.0.0.1:") for url in requested)


def test_table_rows_and_filter(smoke_page, smoke_results):
    results = pd.read_parquet(smoke_results)
    groups = results.groupby(GROUP).ngroups
    assert len(smoke_page.active_rows()) == groups
    assert smoke_page.row_count_text() == f"{groups} rows"

    condition = sorted(results["condition"].unique())[0]
    smoke_page.page.select_option("#filter-condition", condition)
    expected = results[results["condition"] == condition].groupby(GROUP).ngroups
    assert len(smoke_page.active_rows()) == expected < groups
    assert smoke_page.row_count_text() == f"{expected} rows"
    smoke_page.page.select_option("#filter-condition", "")
    assert len(smoke_page.active_rows()) == groups


def test_rows_carry_the_analysis_verdicts(smoke_page, smoke_results):
    per_scale = distributional_statistics(pd.read_parquet(smoke_results), "em").per_scale
    expected = {(row.scale, row.condition): (row.verdict, row.frac_successful) for row in per_scale.itertuples()}
    shown = {(row["scale"], row["condition"]): (row["verdict"], row["p_success"]) for row in smoke_page.active_rows()}
    assert shown == expected
    assert smoke_page.page.inner_text("#verdict-rule") == f"Verdict rule: {VERDICT_RULE}"


def test_every_figure_renders_with_its_traces(smoke_page, smoke_results):
    results = pd.read_parquet(smoke_results)
    scales = results["scale"].nunique()
    seeds = results["seed"].nunique()
    fit = distributional_statistics(results, "em").scaling_fits.iloc[0]
    figures = {name: (traces, drawn) for name, traces, drawn in smoke_page.traces()}
    notes = smoke_page.page.evaluate(
        "(document.querySelector(\".figure[data-figure='fractions']\").layout.annotations || []).map(a => a.text)"
    )
    # P(success), P(fail), logistic fit, successful mean, and the 0.5 crossing as a marker when it is
    # inside the measured scales, otherwise as a note saying it is not reached
    assert notes == ([] if fit.crossing_in_range else [
        f"P(success) = 0.5 is not reached in the measured range: the fit stays {fit.crossing_direction} 0.5"])
    assert figures == {
        "violins": (scales, True),
        "fractions": (4 + bool(fit.crossing_in_range), True),
        "top_seeds": (min(5, seeds) * (1 if scales < 4 else 2), True),  # B = L below 4 scales: one ranking
        "histograms": (scales, True),
    }


def test_claims_read_as_a_check(smoke_page):
    claims = smoke_page.page.locator("#claims table.claims tbody tr")
    assert claims.count() >= 1
    shown = [claims.nth(i).inner_text() for i in range(claims.count())]
    assert len(shown) == 5  # one population, one benchmark: one row per finding
    assert "Depth moves mass from failed to successful seeds." in shown[2]
    for text in shown:
        assert sum(status in text for status in ("holds", "does not hold", "untestable")) == 1


@pytest.fixture(scope="session")
def two_benchmark_page(browser, two_benchmark_site):
    loaded = LoadedPage(browser, two_benchmark_site)
    yield loaded
    loaded.close()


def test_sorting_by_p_success_orders_the_rows(two_benchmark_page):
    header = two_benchmark_page.page.locator(".tabulator-col[tabulator-field='p_success']")
    for direction in (sorted, lambda v: sorted(v, reverse=True)):
        header.click()
        values = [row["p_success"] for row in two_benchmark_page.active_rows()]
        assert values == direction(values)
    assert len(set(values)) > 2, "the simulated population spreads P(success) over its scales"


def test_two_populations_on_two_benchmarks(two_benchmark_page, smoke_results, simulated_multiple_choice_results,
                                           tmp_path):
    results = pd.concat([pd.read_parquet(smoke_results), pd.read_parquet(simulated_multiple_choice_results)])
    loaded = two_benchmark_page
    assert loaded.errors == [] and loaded.blocked == []
    rows = loaded.active_rows()
    assert len(rows) == results.groupby(GROUP).ngroups
    assert {row["benchmark"] for row in rows} == {"counting", "distscale_mc"}
    loaded.page.select_option("#filter-benchmark", "distscale_mc")
    mc_rows = loaded.active_rows()
    assert len(mc_rows) == 3 * len(MC_SUBJECTS)
    assert all(row["seeds_for_p_success"] >= 2 for row in mc_rows), "the planner's seed counts reach the page"
    assert {row["model_url"] for row in mc_rows} == {
        f"https://huggingface.co/org/mc-simulated/tree/main/s{s}" for s in range(3)
    }

    populations = loaded.page.locator("#figure-population option").all_inner_texts()
    assert sorted(populations) == sorted(results["population"].unique())
    loaded.page.select_option("#figure-population", label="mc-simulated")
    loaded.page.evaluate("window.leaderboard.drawing")
    figures = {name: (traces, drawn) for name, traces, drawn in loaded.traces()}
    assert figures["nll_scatter"] == (3, True)
    assert figures["violins"] == (3, True)
    assert figures["top_seeds"] == (5, True)
    assert loaded.errors == []

    loaded.page.select_option("#filter-benchmark", "")
    loaded.page.mouse.move(0, 0)  # no header tooltip in the picture
    screenshot = tmp_path / "leaderboard.png"
    loaded.page.screenshot(path=screenshot, full_page=True, scale="css")
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("LEADERBOARD_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["LEADERBOARD_SCREENSHOT"])
