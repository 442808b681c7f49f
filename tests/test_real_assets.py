"""Real artefacts by repo id through olah: SmolLM2-135M-Instruct and MMLU (`make real-assets`).

`hf-distscale lm-eval` against the stock `lm_eval` CLI on a few MMLU subjects
(accuracy per subject, log-likelihood per item), group conditions, the same
commands offline from a filled cache, and the bad inputs of real use. One
olah serves the published repos for the whole module; every test of this
tier runs on one xdist worker (`--dist loadgroup`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from olah_server import OlahServer

pytestmark = [pytest.mark.real, pytest.mark.xdist_group("real")]

ASSETS = Path(os.environ.get("HF_DISTSCALE_REAL_ASSETS",
                             Path.home() / ".cache" / "hf_distscale" / "real_assets"))
SUBJECTS = ["mmlu_astronomy", "mmlu_marketing"]
LIMIT = "8"
# A small stand-in for `mmlu`'s own nesting: a top group over four category groups, one
# subject each, aggregated as mmlu aggregates (acc weighted by size); one YAML per group.
GROUP = """\
group: {name}
task: [{children}]
aggregate_metric_list:
  - metric: acc
    weight_by_size: true
"""
CATEGORIES = {"stem": "astronomy", "other": "marketing", "social_sciences": "high_school_geography",
              "humanities": "logical_fallacies"}


@pytest.fixture(scope="module")
def published() -> dict:
    path = ASSETS / "published.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing; run `make real-assets`")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def hub(published, tmp_path_factory):
    with OlahServer(tmp_path_factory.mktemp("real-hub"), mirrors=published["mirrors"]) as server:
        yield server


def model_spec(published) -> str:
    return f"{published['model']['repo_id']}@{published['model']['revision']}"


def run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def ours(published, env, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run(["hf-distscale", "lm-eval", model_spec(published), "--tasks", ",".join(SUBJECTS),
                "--limit", LIMIT, "--out", str(out), *extra], env)


def stock(published, env, out: Path) -> subprocess.CompletedProcess:
    model = published["model"]
    return run(["lm_eval", "--model", "hf", "--model_args",
                f"pretrained={model['repo_id']},revision={model['revision']},dtype=float32",
                "--tasks", ",".join(SUBJECTS), "--limit", LIMIT, "--batch_size", "32",
                "--device", "cpu", "--output_path", str(out), "--log_samples"], env)


def stock_results(out: Path) -> tuple[dict, pd.DataFrame]:
    """The stock CLI's (task -> acc, per-item log-likelihoods) from its output folder."""
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    items = [{"condition": path.name.split("_20")[0].removeprefix("samples_"), "item_id": str(s["doc_id"]),
              "loglikelihoods": [float(resp[0]) for resp in s["filtered_resps"]]}
             for path in out.rglob("samples_*.jsonl")
             for s in map(json.loads, path.read_text().splitlines())]
    return {task: values["acc,none"] for task, values in results.items()}, pd.DataFrame(items)


@pytest.fixture(scope="module")
def both(published, hub, tmp_path_factory):
    """Our results table and items, and the stock CLI's, for the same subjects through olah."""
    folder = tmp_path_factory.mktemp("real-lm-eval")
    env = hub.env(OMP_NUM_THREADS="1")
    mine = ours(published, env, folder / "ours.parquet")
    assert mine.returncode == 0, mine.stderr[-3000:]
    theirs = stock(published, env, folder / "stock")
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    return (pd.read_parquet(folder / "ours.parquet"), pd.read_parquet(folder / "ours.items.parquet"),
            *stock_results(folder / "stock"))


def test_accuracy_per_subject_equals_the_stock_cli(both):
    table, _, stock_acc, _ = both
    rows = table.set_index("condition")
    for subject in SUBJECTS:
        assert rows.loc[subject, "n_examples"] == int(LIMIT)
        assert rows.loc[subject, "acc"] == stock_acc[subject]
    assert 0 < sum(rows.loc[SUBJECTS, "acc"]) < len(SUBJECTS)  # not all right, not all wrong


def test_loglikelihoods_per_item_equal_the_stock_cli(both):
    _, items, _, stock_items = both
    merged = items.merge(stock_items, on=["condition", "item_id"], suffixes=("", "_stock"))
    assert len(merged) == len(items) == len(SUBJECTS) * int(LIMIT)
    for ours_ll, stock_ll in zip(merged["loglikelihoods"], merged["loglikelihoods_stock"]):
        assert list(ours_ll) == stock_ll and len(stock_ll) == 4


def test_category_groups_and_the_top_group_are_conditions(published, hub, tmp_path):
    """A group of groups (as `mmlu` over its four categories) gives a row per group, each the
    size-weighted mean of its subjects, as lm-eval aggregates mmlu."""
    (tmp_path / "tasks").mkdir()
    groups = [f"mmlu_sample_{category}" for category in CATEGORIES]
    for group, subject in zip(groups, CATEGORIES.values()):
        (tmp_path / "tasks" / f"{group}.yaml").write_text(GROUP.format(name=group, children=f"mmlu_{subject}"))
    (tmp_path / "tasks" / "mmlu_sample.yaml").write_text(GROUP.format(name="mmlu_sample",
                                                                      children=", ".join(groups)))
    out = tmp_path / "groups.parquet"
    result = run(["hf-distscale", "lm-eval", model_spec(published), "--tasks", "mmlu_sample",
                  "--include-path", str(tmp_path / "tasks"), "--limit", "3", "--out", str(out)],
                 hub.env(OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = pd.read_parquet(out).set_index("condition")
    assert set(rows.index) == {*groups, "mmlu_sample", *(f"mmlu_{s}" for s in CATEGORIES.values())}
    for category, subject in CATEGORIES.items():
        assert rows.loc[f"mmlu_sample_{category}", "acc"] == rows.loc[f"mmlu_{subject}", "acc"]
    assert rows.loc["mmlu_sample", "n_examples"] == 3 * len(CATEGORIES)
    assert rows.loc["mmlu_sample", "acc"] == pytest.approx(rows.loc[groups, "acc"].mean())
    assert rows.loc["mmlu_sample", "nll_correct"] == pytest.approx(rows.loc[groups, "nll_correct"].mean())


def test_the_same_commands_work_offline_from_the_filled_cache(published, both, hub, tmp_path):
    """With the cache that the olah runs filled and no server, HF_HUB_OFFLINE=1 gives the same
    numbers; a model that is not cached is one line naming the repo and how to fetch it."""
    table, _, stock_acc, _ = both
    env = hub.env(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
                  HF_ENDPOINT="http://127.0.0.1:9")
    mine = ours(published, env, tmp_path / "offline.parquet")
    assert mine.returncode == 0, mine.stderr[-3000:]
    offline = pd.read_parquet(tmp_path / "offline.parquet").set_index("condition")
    assert offline.loc[SUBJECTS, "acc"].tolist() == table.set_index("condition").loc[SUBJECTS, "acc"].tolist()
    theirs = stock(published, env, tmp_path / "stock")
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    assert stock_results(tmp_path / "stock")[0] == stock_acc

    missing = run(["hf-distscale", "lm-eval", "HuggingFaceTB/SmolLM2-360M-Instruct", "--tasks",
                   SUBJECTS[0], "--out", str(tmp_path / "missing.parquet")], env)
    lines = missing.stderr.strip().splitlines()
    assert missing.returncode == 2 and len(lines) == 1, missing.stderr[-3000:]
    assert "'HuggingFaceTB/SmolLM2-360M-Instruct' is not in the local Hugging Face cache" in lines[0]
    assert "hf download HuggingFaceTB/SmolLM2-360M-Instruct" in lines[0]


def test_few_shot_on_the_carved_dev_split_is_refused(published, hub, tmp_path):
    result = run(["hf-distscale", "lm-eval", published["model"]["folder"], "--tasks", SUBJECTS[0],
                  "--num-fewshot", "5", "--out", str(tmp_path / "fewshot.parquet")],
                 hub.env(OMP_NUM_THREADS="1"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines[-1].startswith("hf-distscale lm-eval: error:"), result.stderr[-3000:]
    assert "carved from its 'test' split" in lines[-1] and "--num-fewshot 0" in lines[-1]
    assert not (tmp_path / "fewshot.parquet").exists()


def test_a_dataset_without_the_split_a_task_reads_is_one_line(published, tmp_path):
    """cais/mmlu without `dev`: lm-eval's mmlu tasks read it even zero-shot."""
    mmlu = Path(published["dataset"]["folder"])
    trimmed = tmp_path / "mmlu"
    (trimmed / "astronomy").mkdir(parents=True)
    shutil.copy(mmlu / "astronomy" / "test-00000-of-00001.parquet", trimmed / "astronomy")
    (trimmed / "README.md").write_text(
        "---\nconfigs:\n- config_name: astronomy\n  data_files:\n  - split: test\n"
        "    path: astronomy/test-00000-of-00001.parquet\n---\n")
    with OlahServer(tmp_path / "hub") as server:
        server.publish("dataset", "cais/mmlu", trimmed)
        result = run(["hf-distscale", "lm-eval", published["model"]["folder"], "--tasks",
                      "mmlu_astronomy", "--limit", "2", "--out", str(tmp_path / "nodev.parquet")],
                     server.env(OMP_NUM_THREADS="1"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines[-1].startswith("hf-distscale lm-eval: error:"), result.stderr[-3000:]
    assert "has no 'dev' split" in lines[-1] and "add a 'dev' split" in lines[-1]
