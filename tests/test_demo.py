"""The main job end to end, through the real CLI, on the seconds-long smoke preset."""

import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image


def demo(out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "hf_distscale.cli", "demo", "--preset", "smoke", "--out", str(out),
         *extra],
        capture_output=True, text=True, timeout=600,
    )


def test_demo_runs_every_stage_then_resumes_without_redoing_work(tmp_path):
    first = demo(tmp_path, "--processes", "2")
    assert first.returncode == 0, first.stderr
    stages = ["dataset", "train", "evaluate", "analyze", "hub", "leaderboard", "reference"]
    headers = [f"[{number}/7] {stage}\n" for number, stage in enumerate(stages, 1)]
    positions = [first.stdout.find(header) for header in headers]
    assert -1 not in positions and positions == sorted(positions), first.stdout
    for marker in ("population:", "results table:", "analysis:", "Hub repos", "leaderboard:", "seeds"):
        assert marker in first.stdout
    reference = first.stdout[positions[-1]:]
    assert "reference population cpu-reference" in reference
    assert "Verdicts at each family's reference condition" in reference and "The paper's findings" in reference
    assert "cpu_width" in reference
    for finding in range(1, 6):  # the reference population is sized to decide every finding
        assert re.search(rf"\| cpu-reference +\| counting +\| +{finding} \| (holds|does_not_hold) ",
                         reference), finding
    analysis = first.stdout[positions[3]:positions[4]]
    assert "seeds needed" in analysis and "Seeds needed: to detect" in analysis
    assert f"Seeds needed at every condition, with GPU-hours: hf-distscale plan {tmp_path / 'results.parquet'}" in analysis
    plan = subprocess.run([sys.executable, "-m", "hf_distscale.cli", "plan",
                           str(tmp_path / "results.parquet"), "--preset", "smoke"],
                          capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stderr
    assert "seeds for bimodality" in plan.stdout and "GPU-hours" in plan.stdout
    for kind in ("population", "dataset", "results"):
        assert f"hf-distscale hub push {kind} " in first.stdout
        assert (tmp_path / "hub" / kind / "README.md").is_file()
    assert (tmp_path / "hub" / "population" / "seeds.parquet").is_file()
    assert (tmp_path / "leaderboard" / "index.html").is_file()
    assert (tmp_path / "leaderboard" / "data" / "leaderboard.json").is_file()

    results = pd.read_parquet(tmp_path / "results.parquet")
    assert set(results["scale"]) == {"l1", "l2"}
    assert sorted(results["seed"].unique()) == [0, 1]
    assert set(results["test_length"]) == {6, 8, 10}
    assert len(results) == 2 * 2 * 3
    assert (tmp_path / "dataset" / "README.md").is_file()
    pngs = sorted((tmp_path / "analysis" / "figures").rglob("*.png"))
    assert pngs, "the demo wrote no figures"
    for png in pngs:
        with Image.open(png) as image:
            assert image.size[0] > 200 and image.getextrema() != ((255, 255),) * len(image.getbands())

    weights = tmp_path / "runs" / "cpu_depth-smoke" / "l2" / "seed-0001" / "model.safetensors"
    trained_at = os.stat(weights).st_mtime_ns
    evaluated_at = os.stat(tmp_path / "results.parquet").st_mtime_ns
    second = demo(tmp_path, "--processes", "1")
    assert second.returncode == 0, second.stderr
    assert os.stat(weights).st_mtime_ns == trained_at
    assert os.stat(tmp_path / "results.parquet").st_mtime_ns == evaluated_at
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), results)


@pytest.mark.parametrize("arguments, message", [
    (["--preset", "paper"], "'paper' has no demo section; choose one of reduced, smoke"),
    (["--preset", "smoke", "--processes", "0"], "processes: 0 is not a process count"),
    (["--lm", "--preset", "qwen2.5"], "LM preset: 'qwen2.5' has no demo section; choose one of smoke, tiny"),
])
def test_demo_bad_input_is_one_line(tmp_path, arguments, message):
    run = subprocess.run(
        [sys.executable, "-m", "hf_distscale.cli", "demo", "--out", str(tmp_path), *arguments],
        capture_output=True, text=True,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1
    assert message in run.stderr
