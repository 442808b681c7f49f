"""The LM-population path end to end: reinit (2 processes) -> lm-eval distscale_mc -> analyze acc and NLL,
and the leaderboard of those real multiple-choice rows beside a real counting population, in Chromium."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eval_helpers import small_population
from hf_distscale.cli import main
from hf_distscale.evaluation import evaluate_population
from hf_distscale.formats.results import read_table
from hf_distscale.site import build_leaderboard
from lm_world import PRESET, tiny_lm_world
from page_helpers import LoadedPage, chromium

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
GROUP = ["population", "benchmark", "scale", "condition"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tiny_lm_world(tmp_path_factory)


@pytest.fixture(scope="module")
def built(world, tmp_path_factory):
    """A reinit population of 4 seeds built by 2 processes, and its lm-eval results on `distscale_mc`."""
    base, corpus = world
    runs = tmp_path_factory.mktemp("lm-population")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    reinit = subprocess.run(
        [*torchrun, "-m", "hf_distscale.training.reinit_cli", str(base), "--dataset", str(corpus),
         "--seeds", "0-3", "--preset", PRESET, "--out", str(runs / "runs"), "--no-progress"],
        env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert reinit.returncode == 0, reinit.stderr
    population = runs / "runs" / "reinit-smoke"
    results = runs / "results.parquet"
    assert main(["lm-eval", str(population), "--tasks", "distscale_mc", "--out", str(results)]) == 0
    return reinit.stdout, population, results


def test_reinit_population_to_lm_eval_to_analysis(built, tmp_path, capsys):
    stdout, population, results = built
    assert len(stdout.strip().splitlines()) == 5  # header + 4 seeds, gathered on rank 0
    records = [json.loads(p.read_text()) for p in sorted(population.glob("base/seed-*/seed_record.json"))]
    assert [r["seed"] for r in records] == [0, 1, 2, 3]

    table = read_table(results)
    overall = table[table["condition"] == "distscale_mc"].sort_values("seed")
    assert list(overall["seed"]) == [0, 1, 2, 3]
    assert set(overall["population"]) == {"reinit-smoke"} and set(overall["scale"]) == {"base"}
    assert list(overall["num_parameters"]) == [r["num_parameters"] for r in records]
    assert overall["acc"].nunique() > 1, "every seed has the same accuracy"
    assert overall["nll_correct"].between(0, 20).all()
    assert set(table["condition"]) == {"distscale_mc", "distscale_mc_arithmetic",
                                       "distscale_mc_geography", "distscale_mc_zoology"}

    for metric in ("acc", "nll_correct"):
        out = tmp_path / f"analysis-{metric}"
        assert main(["analyze", str(results), "--out", str(out), "--metric", metric,
                     "--resamples", "200"]) == 0
        statistics = json.loads((out / "statistics.json").read_text())
        assert statistics, metric
        assert f"`{metric}`" in (out / "summary.md").read_text()
        figures = list((out / "figures" / "reinit-smoke" / "distscale_mc").glob("*.png"))
        assert figures, f"no figure for {metric}"
    capsys.readouterr()


@pytest.fixture(scope="module")
def browser():
    return chromium()


def test_leaderboard_of_real_counting_and_multiple_choice_populations(built, browser, tmp_path):
    _, _, lm_results = built
    counting_results = tmp_path / "counting.parquet"
    evaluate_population(small_population(), counting_results)
    site = build_leaderboard([counting_results, lm_results], tmp_path / "site", plan=False).parent
    results = pd.concat([read_table(counting_results), read_table(lm_results)])
    assert set(results["benchmark"]) == {"counting", "distscale_mc"}

    loaded = LoadedPage(browser, site)
    try:
        rows, groups = loaded.active_rows(), results.groupby(GROUP).ngroups
        assert len(rows) == groups and loaded.row_count_text() == f"{groups} rows"
        assert {row["benchmark"] for row in rows} == {"counting", "distscale_mc"}
        assert {row["population"] for row in rows} == set(results["population"]) == {"small", "reinit-smoke"}

        loaded.page.select_option("#figure-population", label="reinit-smoke")
        loaded.page.evaluate("window.leaderboard.drawing")
        condition = loaded.page.locator("#figures .figure-controls select").first.input_value()
        points = [(x, y) for trace in loaded.figure("nll_scatter") for x, y in zip(trace["x"], trace["y"])]
        seeds = results[(results["population"] == "reinit-smoke") & (results["condition"] == condition)]
        assert len(points) == len(seeds) == 4, "one point per seed"
        expected = sorted(zip(seeds["nll_correct"], seeds["acc"]))
        assert np.array(sorted(points)) == pytest.approx(np.array(expected), rel=1e-3)  # the page rounds
        assert loaded.errors == [] and loaded.blocked == []
    finally:
        loaded.close()
