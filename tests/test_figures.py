"""`hf-distscale analyze` writes every figure and the summary table, and the figures are not blank."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from hf_distscale.analysis import analyze
from hf_distscale.analysis.figures import histogram_conditions, histogram_lengths
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main
from hf_distscale.formats.versions import CURRENT
from hf_distscale.formats.analysis import (
    read_benchmark_statistics,
    read_claims,
    read_figure_data,
    read_figure_index,
    read_statistics,
)

FIGURES = ("top_seeds", "violins", "fractions", "histograms")
FAMILIES = ("fixed_depth", "fixed_params")


@pytest.fixture(scope="module")
def analysis_run(tmp_path_factory):
    """One CLI run over two small synthetic families; returns (out_dir, exit code, stdout)."""
    root = tmp_path_factory.mktemp("analyze")
    table = pd.concat(
        [
            synthetic_results([0.1, 0.5, 0.9], n_seeds=8, test_lengths=[18, 20, 22]),
            synthetic_results(
                [0.4, 0.6], n_seeds=8, test_lengths=[18, 20, 22], family="fixed_params",
                num_parameters=[3_200_000, 3_190_000], seed=1,
            ),
        ]
    )
    path = root / "results.parquet"
    table.to_parquet(path)
    out, printed = root / "out", io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["analyze", str(path), "--out", str(out), "--resamples", "100"])
    return out, code, printed.getvalue()


def figure_path(out, family, figure, extension="png"):
    return out / "figures" / f"synthetic-{family}" / "counting" / f"{figure}_{family}.{extension}"


def test_analyze_cli_writes_every_figure_and_table(analysis_run):
    out, code, printed = analysis_run
    assert code == 0
    for family in FAMILIES:
        for figure in FIGURES:
            for extension in ("png", "svg"):
                target = figure_path(out, family, figure, extension)
                assert target.is_file(), target
    assert "Verdicts at each family's reference condition" in printed and "The paper's findings" in printed
    assert f"to {out}:" in printed
    for name in ("summary.csv", "summary.md", "scaling_fits.csv", "passuntil.csv", "breakthrough.csv", "statistics.json"):
        assert (out / name).is_file(), name
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 3 * 3 + 2 * 3
    markdown = (out / "summary.md").read_text()
    assert "| successful " in markdown and "## Scaling fits" in markdown
    assert "= B (fewer than 4 scales)" in markdown


def test_analyze_writes_what_the_leaderboard_reads_with_format_versions(analysis_run):
    out, _, _ = analysis_run
    index = read_figure_index(out)
    assert len(index) == len(FAMILIES) * len(FIGURES)
    assert all((out / path).is_file() for entry in index for path in entry["files"].values())
    statistics = read_statistics(out)
    assert len(statistics["per_scale"]) == 3 * 3 + 2 * 3 and statistics["n_resamples"] == 100
    rows = read_benchmark_statistics(out)["rows"]
    assert [(r["family"], r["scale"], r["condition"], r["verdict"]) for r in rows] == [
        (r["family"], r["scale"], r["condition"], r["verdict"]) for r in statistics["per_scale"]]
    assert {group["family"] for claim in read_claims(out) for group in claim["groups"]} <= set(FAMILIES)
    sections = [section for population in read_figure_data(out) for section in population["sections"]]
    assert [len(section["values"]) for section in sections] == [3, 2]
    for name in ("statistics.json", "benchmark_statistics.json", "claims.json", "figure_data.json", "figures.json"):
        assert json.loads((out / name).read_text())["format_version"] == CURRENT[name.removesuffix(".json")], name


@pytest.mark.parametrize("figure", FIGURES)
def test_each_png_is_large_and_not_blank(analysis_run, figure):
    out, _, _ = analysis_run
    for family in FAMILIES:
        image = imread(figure_path(out, family, figure))[..., :3]
        height, width, _ = image.shape
        assert height >= 300 and width >= 500, (figure, image.shape)
        drawn = np.any(image < 0.9, axis=-1).mean()
        assert drawn > 0.02, f"{figure}_{family}.png is nearly blank ({drawn:.3f} of pixels drawn)"
        assert image.std() > 0.05


def test_single_scale_family_gets_no_top_seed_figure_and_a_warning(tmp_path, capsys):
    table = synthetic_results([0.5], n_seeds=6, test_lengths=[20])
    paths = analyze(table, tmp_path, n_resamples=50)
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "single scale" in warnings[0]
    assert "single scale" in (tmp_path / "summary.md").read_text()  # the result's own record says so too
    names = {path.name for path in paths.values()}
    assert "violins_fixed_depth.png" in names
    assert "top_seeds_fixed_depth.png" not in names


def test_histograms_show_every_length_up_to_eight_then_the_papers_lengths_or_spread_ones():
    assert histogram_lengths([16, 18, 20, 22, 24, 26, 28]) == [16, 18, 20, 22, 24, 26, 28]
    assert histogram_lengths(range(30, 101, 5)) == [50, 60, 70, 80, 90, 100]
    assert histogram_lengths(range(16, 30)) == [16, 18, 20, 22, 23, 25, 27, 29]
    subjects = pd.DataFrame({"test_length": -1, "condition": [f"mmlu_{i:02d}" for i in range(57)]})
    assert histogram_conditions(subjects) == [f"mmlu_{i:02d}" for i in range(0, 57, 8)]


def test_histograms_always_show_the_condition_b_and_l_use():
    lengths = range(30, 101, 5)
    rows = pd.DataFrame({"test_length": list(lengths), "condition": [f"len{x}" for x in lengths]})
    assert "len45" not in histogram_conditions(rows)
    assert histogram_conditions(rows, keep="len45") == ["len45", "len50", "len60", "len70", "len80", "len90",
                                                        "len100"]


def test_multiple_choice_population_gets_its_figures(tmp_path):
    table = synthetic_results([0.2, 0.5, 0.8, 0.9], n_seeds=8, benchmark="mmlu", chance=0.25,
                              conditions=["mmlu", "mmlu_law"], n_examples=200)
    paths = analyze(table, tmp_path, metric="acc", n_resamples=50)
    folder = tmp_path / "figures" / "synthetic-fixed_depth" / "mmlu"
    assert {p.name for p in folder.glob("*.png")} == {f"{f}_fixed_depth.png" for f in FIGURES}
    assert paths["top_seeds_synthetic-fixed_depth_mmlu_fixed_depth_png"].is_file()
