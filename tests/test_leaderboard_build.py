"""Building the leaderboard: its data files, read from `analyze` output, and bad input at the CLI."""

import ast
import json
from pathlib import Path

import huggingface_hub
import pandas as pd
import pytest

from hf_distscale.analysis.report import analyze
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main
from hf_distscale.formats.analysis import read_benchmark_statistics, read_claims
from hf_distscale.formats.results import write_table
from hf_distscale.leaderboard import build_site
from hf_distscale.site import build_leaderboard

PARAMETERS = [100_000, 400_000, 1_600_000, 6_400_000]
GOLDEN = Path(__file__).parent / "golden" / "leaderboard"


def family_table(success_probability, success_mean, grows: str, seed: int, **options) -> pd.DataFrame:
    """A synthetic family whose scales add layers (`grows`="depth") or widen at 4 layers ("width")."""
    table = synthetic_results(success_probability, success_mean, PARAMETERS, n_seeds=60,
                              test_lengths=(30,), family=f"{grows}-{seed}", seed=seed, **options)
    table["num_layers"] = table["scale_index"] + 1 if grows == "depth" else 4
    table["hidden_size"] = 512 if grows == "depth" else 128 * (table["scale_index"] + 1)
    return table


def test_build_writes_the_site_and_its_data(tmp_path):
    table = family_table([0.0] * 4, 0.85, "depth", seed=1, failure_mean=0.005, concentration=400)
    write_table(table, tmp_path / "results.parquet")
    index = build_leaderboard(tmp_path / "results.parquet", tmp_path / "site")
    assert index == tmp_path / "site" / "index.html"
    for name in ("app.js", "style.css", "vendor/plotly.min.js", "vendor/tabulator.min.js", "README.md"):
        assert (index.parent / name).is_file(), name
    assert "sdk: static" in (index.parent / "README.md").read_text()
    assert "cdn" not in index.read_text().lower() and "http" not in index.read_text()
    board = json.loads((index.parent / "data" / "leaderboard.json").read_text())
    assert len(board["rows"]) == 4
    assert {row["scale"] for row in board["rows"]} == {"s0", "s1", "s2", "s3"}
    assert {(row["verdict"], row["p_fail"], row["p_success"]) for row in board["rows"]} == {("all fail", 1.0, 0.0)}
    assert all(row["seeds_for_bimodality"] is None and row["seeds_for_p_success"] > 0 for row in board["rows"])
    population = json.loads((index.parent / "data" / board["populations"][0]["file"]).read_text())
    assert [len(cell) for scale in population["sections"][0]["values"] for cell in scale] == [60] * 4
    again = build_leaderboard(tmp_path / "results.parquet", tmp_path / "site")
    assert again == index, "rebuilding into an earlier leaderboard replaces it"


@pytest.fixture
def bad_inputs(tmp_path):
    (tmp_path / "empty.parquet").write_bytes(b"")
    pd.DataFrame({"x": [1, 2]}).to_parquet(tmp_path / "schemaless.parquet")
    good = tmp_path / "good.parquet"
    write_table(family_table([0.2, 0.8, 0.9, 0.9], 0.85, "depth", seed=2), good)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("not a leaderboard")
    return tmp_path


@pytest.mark.parametrize("arguments, message", [
    (["build", "empty.parquet", "--out", "site"], "empty.parquet is not a Parquet results table"),
    (["build", "schemaless.parquet", "--out", "site"], "has no 'em' column"),
    (["build", "missing.parquet", "--out", "site"], "no such results file"),
    (["build", "good.parquet", "--out", "notes"], "notes exists and is not a finished leaderboard output"),
    (["push", "notes", "someone/space"], "notes is not a finished leaderboard output"),
])
def test_bad_input_is_one_line_and_exit_code_2(bad_inputs, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(bad_inputs)
    assert main(["leaderboard", *arguments]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("hf-distscale leaderboard: error:")
    assert message in error


def test_unreachable_results_repo_is_one_line_and_exit_code_2(tmp_path, capsys, monkeypatch):
    """The Hub in offline mode (HF_HUB_OFFLINE) with an empty cache: the message names the repo and how to fetch it."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    assert main(["leaderboard", "build", "someone/results", "--out", str(tmp_path / "site")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "not in the local Hugging Face cache" in error and "'someone/results'" in error
    assert "hf download someone/results --repo-type dataset" in error


def test_breakthrough_condition_applies_where_a_benchmark_has_it(tmp_path):
    counting = synthetic_results([0.2, 0.5, 0.8], n_seeds=8, test_lengths=(30, 40, 50), population="counts")
    choice = synthetic_results([0.3, 0.6, 0.9], n_seeds=8, benchmark="toy_mc", population="choices",
                               conditions=["toy_mc", "toy_mc_a"], chance=0.25, seed=1)
    write_table(pd.concat([counting, choice], ignore_index=True), tmp_path / "results.parquet")
    index = build_leaderboard(tmp_path / "results.parquet", tmp_path / "site", plan=False,
                              breakthrough_condition="len50")
    data = index.parent / "data"
    board = json.loads((data / "leaderboard.json").read_text())
    opened_at = {}
    for entry in board["populations"]:
        for section in json.loads((data / entry["file"]).read_text())["sections"]:
            opened_at[section["benchmark"]] = section["reference_condition"]
    assert opened_at == {"counting": "len50", "toy_mc": "toy_mc"}
    read_at = {group["condition"] for claim in board["claims"] if claim["benchmark"] == "counting"
               for group in claim["groups"] if "condition" in group}
    assert read_at == {"len50"}


def golden_table() -> pd.DataFrame:
    """Two populations: counting (a depth and a width family) and a multiple-choice benchmark."""
    depth = synthetic_results([0.1, 0.4, 0.7, 0.9], 0.85, n_seeds=12, test_lengths=(16, 18, 20),
                              family="deep", population="counts", seed=3)
    depth["num_layers"], depth["hidden_size"] = depth["scale_index"] + 1, 64
    width = synthetic_results([0.5, 0.5, 0.5], [0.6, 0.7, 0.8], n_seeds=12, test_lengths=(16, 18, 20),
                              family="wide", population="counts", seed=4)
    width["num_layers"], width["hidden_size"] = 2, 32 * (width["scale_index"] + 1)
    choice = synthetic_results([0.2, 0.6, 0.9], n_seeds=12, benchmark="toy_mc", population="choices",
                               conditions=["toy_mc", "toy_mc_a"], chance=0.25, seed=5)
    choice["model_path"] = [f"hf://org/choices/{s}/seed-{k:04d}" for s, k in zip(choice["scale"], choice["seed"])]
    return pd.concat([depth, width, choice], ignore_index=True)


@pytest.fixture(scope="module")
def golden_analysis(tmp_path_factory) -> Path:
    """`analyze` output of golden_table() (B/L at length 18, no planner)."""
    folder = tmp_path_factory.mktemp("golden")
    write_table(golden_table(), folder / "results.parquet")
    analyze(folder / "results.parquet", folder / "analysis", breakthrough_test_length=18, plan=False)
    return folder / "analysis"


def markdown_rows(markdown: str, first_column: str) -> list[dict]:
    """The rows of the Markdown table in `markdown` whose header starts with `first_column`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_column} "))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    body = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        body.append(dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))))
    return body


def test_page_text_reads_as_summary_md(golden_analysis):
    """One formatting function (`analysis.display`) writes both: a counting row's P(success), P(fail)
    and successful mean read the same on the page as in summary.md."""
    summary = markdown_rows((golden_analysis / "summary.md").read_text(), "population")
    in_summary = {(r["family"], r["scale"], r["condition"]): (r["successful"], r["failed"], r["successful mean"])
                  for r in summary if r["benchmark"] == "counting"}
    page_rows = read_benchmark_statistics(golden_analysis)["rows"]
    on_page = {(r["family"], r["scale"], r["condition"]):
               (r["text"]["p_success"], r["text"]["p_fail"], r["text"]["successful_mean"])
               for r in page_rows if r["benchmark"] == "counting"}
    assert on_page == in_summary and len(on_page) == 21


def test_site_built_from_analyze_output_equals_the_page_computed_from_results(golden_analysis, tmp_path):
    """tests/golden/leaderboard/ holds the page data the leaderboard computed itself from the results
    (commit b85d54e: `build_leaderboard(results of golden_table(), out, breakthrough_condition="len18",
    plan=False)`), rewritten on purpose since only where an analysis rule changed (exact proportion
    intervals, no interval for a one-seed mean, no crossing outside the measured range, the crossing's
    direction, the claims replaced by the five findings, a number that rounds to zero read without a
    minus sign, no zero-width interval without its reason) and where the page data gained keys on
    purpose, every earlier value unchanged (each number as the page shows it: rows' `text`,
    `seeds_needed_rule`, scales' `label`, fits' `slope_text` and `crossing_text`; and
    `top_seeds_by_condition`, for the Condition select, which replaced the reference-only `top_seeds`; each
    section's success and failure `lines`; each row's `seed_share`, null without items; each fit's
    `slope_note`); a site built from `analyze` output matches it value for value, floats exactly."""
    assert {claim["population"] for claim in read_claims(golden_analysis)} == {"choices", "counts"}
    data = build_site(golden_analysis, tmp_path / "site").parent / "data"
    for golden in GOLDEN.iterdir():
        assert json.loads((data / golden.name).read_text()) == json.loads(golden.read_text()), golden.name
    assert sorted(path.name for path in data.iterdir()) == sorted(path.name for path in GOLDEN.iterdir())


def test_leaderboard_package_imports_no_analysis_and_no_statistics_library():
    package = Path(__file__).parents[1] / "hf_distscale" / "leaderboard"
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module)
    forbidden = ("hf_distscale.analysis", "scipy", "sklearn", "diptest", "huggingface_hub")
    assert not [name for name in imported if name.startswith(forbidden)]


def test_a_folder_that_is_not_an_analysis_is_one_line_and_exit_code_2(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    assert main(["leaderboard", "build", str(tmp_path / "notes"), "--out", str(tmp_path / "site")]) == 2
    assert "notes is a folder, not a results table" in capsys.readouterr().err
    with pytest.raises(ValueError, match="is not a finished analysis output"):
        build_site(tmp_path / "notes", tmp_path / "site")
