"""The LM-population path end to end: reinit (2 processes) -> lm-eval distscale_mc -> analyze acc and NLL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hf_distscale.cli import main
from hf_distscale.evaluation.results import read_table
from lm_world import PRESET, tiny_lm_world

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tiny_lm_world(tmp_path_factory)


def test_reinit_population_to_lm_eval_to_analysis(world, tmp_path, capsys):
    base, corpus = world
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    built = subprocess.run(
        [*torchrun, "-m", "hf_distscale.training.reinit_cli", str(base), "--dataset", str(corpus),
         "--seeds", "0-3", "--preset", PRESET, "--out", str(tmp_path / "runs"), "--no-progress"],
        env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert len(built.stdout.strip().splitlines()) == 5  # header + 4 seeds, gathered on rank 0
    population = tmp_path / "runs" / "reinit-smoke"
    records = [json.loads(p.read_text()) for p in sorted(population.glob("base/seed-*/seed_record.json"))]
    assert [r["seed"] for r in records] == [0, 1, 2, 3]

    results = tmp_path / "results.parquet"
    assert main(["lm-eval", str(population), "--tasks", "distscale_mc", "--out", str(results)]) == 0
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
