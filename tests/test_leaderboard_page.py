"""The leaderboard page in headless Chromium, served on 127.0.0.1, built from real results.

One browser per session and one built site per fixture: the smoke population's
results (trained and evaluated here), and a site of two populations on two
benchmarks (those results plus a simulated multiple-choice population; real
multiple-choice rows are on the page in test_lm_population_e2e.py).
Chromium is Debian's /usr/bin/chromium; without it these tests skip, except
under CI, where they fail.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eval_helpers import small_population
from hf_distscale.analysis import VERDICT_RULE, distributional_statistics
from hf_distscale.analysis.display import with_interval
from hf_distscale.analysis.plan import ALPHA, CI_HALF_WIDTH, POWER, seeds_needed_rule
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.analysis.thresholds import score_thresholds
from hf_distscale.evaluation import evaluate_population
from hf_distscale.formats.results import write_table
from hf_distscale.site import build_leaderboard
from page_helpers import LoadedPage, boxes, chromium, save_screenshot

GROUP = ["population", "benchmark", "scale_index", "condition"]
FIRST_SCREEN = ["scale_index", "condition", "seeds", "p_success", "p_fail", "verdict", "seeds_for_p_success"]
WIDE, PHONE = (1280, 800), (390, 844)
DATA_ROWS = "#table .tabulator-row:not(.tabulator-group)"
HOLDER = "#table .tabulator-tableholder"


def cells(page, field: str, script: str = "cells => cells.map(c => c.innerText)") -> list:
    """`script` of every data row's cell of `field`, top to bottom."""
    return page.eval_on_selector_all(f"{DATA_ROWS} [tabulator-field='{field}']", script)
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
    # P(success), P(fail), logistic fit (a note instead where the slope is undefined: all fail or all
    # succeed at every scale), successful mean, and the 0.5 crossing as a marker when it is inside the
    # measured scales, otherwise as a note saying it is not reached
    undefined = [f"logistic slope {fit.slope_note}: no fit is drawn"] if fit.slope_note else []
    assert notes == undefined + ([] if fit.crossing_in_range else [
        f"P(success) = 0.5 is not reached in the measured range: the fit stays {fit.crossing_direction} 0.5"])
    assert figures == {
        "violins": (scales, True),
        "fractions": (4 + bool(fit.crossing_in_range) - bool(fit.slope_note), True),
        "top_seeds": (min(5, seeds) * (1 if scales < 4 else 2), True),  # B = L below 4 scales: one ranking
        "histograms": (scales, True),
    }


def test_histograms_share_their_axes_and_mark_the_success_and_failure_lines(smoke_page, smoke_results):
    results = pd.read_parquet(smoke_results)
    scales = results["scale"].nunique()
    layout = smoke_page.page.evaluate("document.querySelector(\".figure[data-figure='histograms']\").layout")
    y_ranges = [layout["yaxis" + ("" if s == 0 else str(s + 1))]["range"] for s in range(scales)]
    x_ranges = [layout["xaxis" + ("" if s == 0 else str(s + 1))]["range"] for s in range(scales)]
    assert len({tuple(r) for r in y_ranges}) == 1 and len({tuple(r) for r in x_ranges}) == 1
    condition = layout["title"]["text"].split(" at ")[1].split(":")[0]
    tallest = max(np.histogram(group["em"], bins=20, range=(0, 1))[0].max()
                  for _, group in results[results["condition"] == condition].groupby("scale"))
    assert tallest <= y_ranges[0][1] < tallest + 1
    lines = score_thresholds("counting", "em", 0.0)
    marked = sorted({shape["x0"] for shape in layout["shapes"]})
    assert marked == [lines.failure, lines.success] and len(layout["shapes"]) == 2 * scales


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


def test_fractions_axes_span_the_measured_scales(smoke_page, smoke_results):
    parameters = pd.read_parquet(smoke_results)["num_parameters"]
    low, high = math.log10(parameters.min()), math.log10(parameters.max())
    layout = smoke_page.page.evaluate("document.querySelector(\".figure[data-figure='fractions']\").layout")
    for axis in ("xaxis", "xaxis2"):
        start, end = layout[axis]["range"]
        assert start <= low and end >= high, "every measured scale is on the axis"
        assert end - start <= 1.1 * (high - low), "and nothing beyond them: no extrapolated stretch"


@pytest.fixture
def wide_page(browser, two_benchmark_site):
    loaded = LoadedPage(browser, two_benchmark_site, WIDE)
    yield loaded
    loaded.close()


def visible_fields(page) -> list[str]:
    return page.evaluate("window.leaderboard.table.getColumns().filter(c => c.isVisible()).map(c => c.getField())")


def test_first_screen_at_1280_shows_every_rows_verdict_and_seeds_needed(wide_page):
    page = wide_page.page
    assert wide_page.errors == [] and wide_page.blocked == []
    assert visible_fields(page) == FIRST_SCREEN
    rows = len(wide_page.active_rows())
    for field in ("verdict", "seeds_for_p_success"):
        cells = boxes(page, f"{DATA_ROWS} .tabulator-cell[tabulator-field='{field}']")
        assert len(cells) == rows
        assert all(cell["width"] > 0 and 0 <= cell["x"] and cell["right"] <= WIDE[0] for cell in cells), field
    first_row = boxes(page, DATA_ROWS)[0]
    assert 0 <= first_row["y"] and first_row["bottom"] <= WIDE[1], "the table starts on the first screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE[0], "no horizontal scrolling"
    save_screenshot(page, "leaderboard-1280x800.png")


@pytest.fixture(scope="session")
def many_rows_page(browser, tmp_path_factory):
    """Test data: a seeded simulation of 3 scales x 20 lengths x 8 seeds (60 rows, taller than the
    window; fractions k/8 such as 0.625, which JavaScript's toFixed would round the other way)."""
    table = synthetic_results([0.1, 0.5, 0.9], n_seeds=8, test_lengths=tuple(range(10, 50, 2)), seed=7)
    path = tmp_path_factory.mktemp("many") / "results.parquet"
    write_table(table, path)
    loaded = LoadedPage(browser, build_leaderboard(path, path.parent / "site", plan=False).parent, WIDE)
    yield loaded
    loaded.close()


def test_no_row_is_hidden_behind_a_scroll_box(many_rows_page):
    page = many_rows_page.page
    table = boxes(page, "#table")[0]
    rows = boxes(page, DATA_ROWS)
    assert len(rows) == len(many_rows_page.active_rows()) == 60
    assert rows[-1]["bottom"] > WIDE[1], "more rows than one screen holds"
    assert all(table["y"] <= row["y"] and row["bottom"] <= table["bottom"] + 1 for row in rows)
    holder = page.eval_on_selector(HOLDER, "h => [h.scrollHeight, h.clientHeight]")
    assert holder[0] <= holder[1] + 1, "the table grows with its rows: a full-page screenshot shows every one"
    assert many_rows_page.errors == []


def test_page_rounds_as_the_summary_does(many_rows_page):
    """0.625 is exact in binary: Python's format (summary.md) reads 0.62, JavaScript's toFixed 0.63."""
    page = many_rows_page.page
    rows = many_rows_page.active_rows()
    shown = cells(page, "p_success")
    assert shown == [row["text"]["p_success"] for row in rows]
    halves = [text for row, text in zip(rows, shown) if row["p_success"] in (0.125, 0.625)]
    assert halves and all(text.startswith(("0.12 ", "0.62 ")) for text in halves)
    assert with_interval(0.625, 0.25, 0.875) == "0.62 [0.25, 0.88]"
    assert page.evaluate("(0.625).toFixed(2)") == "0.63", "why the page shows the analysis text, never its own rounding"


def test_more_columns_are_one_click_away_and_scale_and_condition_stay_put(wide_page):
    page = wide_page.page
    page.click("#column-chooser summary")
    for box in page.locator("#column-chooser-options input").all():
        box.check()
    every_column = page.evaluate("window.leaderboard.table.getColumns().map(c => c.getField())")
    assert visible_fields(page) == every_column and every_column[:len(FIRST_SCREEN)] == FIRST_SCREEN
    assert len(every_column) > len(FIRST_SCREEN) + 10
    assert page.eval_on_selector(HOLDER, "h => h.scrollWidth > h.clientWidth")
    fields = ("scale_index", "condition", "seeds")
    before = {field: boxes(page, f"{DATA_ROWS} [tabulator-field='{field}']")[0]["x"] for field in fields}
    page.eval_on_selector(HOLDER, "h => { h.scrollLeft = 300; }")
    page.wait_for_timeout(100)
    after = {field: boxes(page, f"{DATA_ROWS} [tabulator-field='{field}']")[0]["x"] for field in before}
    assert after["scale_index"] == before["scale_index"] and after["condition"] == before["condition"]
    assert after["seeds"] < before["seeds"], "the other columns scroll"


def test_cells_show_the_analysis_text_links_and_what_seeds_needed_is_for(wide_page, smoke_results):
    page = wide_page.page
    rows = wide_page.active_rows()
    for field in ("p_success", "p_fail"):
        assert cells(page, field) == [row["text"][field] for row in rows]
    assert cells(page, "seeds_for_p_success") == [row["text"]["seeds_needed"] for row in rows]
    assert cells(page, "scale_index") == [f"{row['scale']} ({row['text']['num_parameters']})" for row in rows]

    rule = seeds_needed_rule()
    assert f"power {POWER}" in rule and f"p < {ALPHA}" in rule and f"+-{CI_HALF_WIDTH}" in rule
    assert cells(page, "seeds_for_p_success", "cells => cells.map(c => c.firstChild.title)") == [rule] * len(rows)

    links = cells(page, "scale_index", "cells => cells.map(c => c.querySelector('a')?.href ?? null)")
    assert links == [row["model_url"] for row in rows]
    hub = "https://huggingface.co/org/mc-simulated/tree/main"
    assert {url for url in links if url} == {f"{hub}/s{s}" for s in range(3)}
    assert None in links, "local model folders stay plain text"


def test_verdicts_are_colour_coded_with_a_legend(wide_page):
    page = wide_page.page
    background = "els => els.map(e => [e.textContent, getComputedStyle(e).backgroundColor])"
    legend = dict(page.eval_on_selector_all("#verdict-legend .verdict", background))
    assert set(legend) == {"bimodal", "unimodal", "all fail", "all succeed", "too few seeds"}
    assert len(set(legend.values())) == len(legend), "one colour per verdict"
    cells = page.eval_on_selector_all(f"{DATA_ROWS} [tabulator-field='verdict'] .verdict", background)
    assert len(cells) == len(wide_page.active_rows()) and len({verdict for verdict, _ in cells}) >= 2
    assert all(legend[verdict] == colour for verdict, colour in cells)


def test_phone_page_has_no_errors_and_no_page_wide_scrolling(browser, two_benchmark_site):
    loaded = LoadedPage(browser, two_benchmark_site, PHONE)
    try:
        assert loaded.errors == [] and loaded.blocked == []
        page = loaded.page
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
        scale = boxes(page, f"{DATA_ROWS} [tabulator-field='scale_index']")[0]
        assert 0 <= scale["x"] and scale["right"] <= PHONE[0]
        save_screenshot(page, "leaderboard-390x844.png")
        assert loaded.errors == []
    finally:
        loaded.close()


FIGURE_STATE = """select => {
  const grid = select.closest('.figure-controls').nextElementSibling;
  return Object.fromEntries([...grid.querySelectorAll('.figure')].map(d => [d.dataset.figure, JSON.stringify({
    data: d.data.map(t => [t.name, t.x, t.y, t.visible]), title: d.layout.title.text, shapes: d.layout.shapes})]));
}"""


def select_each_option(page, select):
    """Pick every other option of `select` in turn; yield (value, figure state before, after)."""
    for value in select.evaluate("s => [...s.options].map(o => o.value)"):
        if value == select.input_value():
            continue
        before = select.evaluate(FIGURE_STATE)
        select.select_option(value)
        page.evaluate("window.leaderboard.drawing")
        yield value, before, select.evaluate(FIGURE_STATE)


def test_every_select_changes_every_figure_it_names(wide_page):
    page = wide_page.page
    for population in page.locator("#figure-population option").all_inner_texts():
        page.select_option("#figure-population", label=population)
        page.evaluate("window.leaderboard.drawing")
        for select in page.locator(".figure-controls select").all():
            named = select.get_attribute("data-figures").split()
            for value, before, after in select_each_option(page, select):
                assert set(named) <= set(after)
                assert [name for name in named if after[name] == before[name]] == [], (population, value)
        conditions = page.locator(".figure-controls select").first
        assert sorted(conditions.get_attribute("data-figures").split()) == sorted(conditions.evaluate(FIGURE_STATE))
    assert wide_page.errors == []


def test_condition_select_redraws_the_top_seeds_at_that_condition(wide_page):
    page = wide_page.page
    page.select_option("#figure-population", label="mc-simulated")
    page.evaluate("window.leaderboard.drawing")
    section = page.evaluate("(b => b.populations[b.board.populations.find(p => p.population === 'mc-simulated').file])"
                            "(window.leaderboard).sections[0]")
    select = page.locator(".figure-controls select").first
    for condition, _, _ in select_each_option(page, select):
        c = section["conditions"].index(condition)
        curves = [trace["y"] for trace in wide_page.figure("top_seeds")]
        assert curves and all(
            all(value in section["values"][s][c] for s, value in enumerate(curve)) for curve in curves
        ), condition
        title = page.evaluate("document.querySelector(\".figure[data-figure='top_seeds']\").layout.title.text")
        assert title.endswith(f"at {condition}")
