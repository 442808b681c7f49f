"""`hf-distscale ingest`: lm-eval output someone already has -> a results table.

The current layout is what lm-eval itself writes: `simple_evaluate` and its
`EvaluationTracker` run on ten tiny untrained Llamas named like PolyPythias'
seeds (two sizes, the seed-less name and seeds 1-4), with samples logged.
The older layout (lm-eval 0.3: `results`, `versions`, `config`, no samples)
is written here from its format. Both are read back through the CLI and
compared with the JSON and with scores computed from the items here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hf_distscale.cli import main
from hf_distscale.evaluation.ingest import ingest

SIZES = ("70m", "160m")
SEEDS = range(5)
REVISION = "step143000"
POPULATION = f"EleutherAI/pythia@{REVISION}"
TASK = "distscale_mc"
SUBJECTS = ("distscale_mc_geography", "distscale_mc_zoology", "distscale_mc_arithmetic")
OLD_TASKS = ("arc_easy", "piqa")


def model_name(size: str, seed: int) -> str:
    """PolyPythias' names: the original model is `pythia-{size}`, seed k is `pythia-{size}-seed{k}`."""
    return f"pythia-{size}" if seed == 0 else f"pythia-{size}-seed{seed}"


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> tuple[Path, dict]:
    """lm-eval's own output for 2 sizes x 5 seeds; returns (output folder, name -> (results, samples))."""
    import torch
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from transformers import LlamaConfig, LlamaForCausalLM

    from hf_distscale.data.lm_eval_tasks import lm_eval_task_folders
    from hf_distscale.tasks.toy_knowledge import build_tokenizer

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("lm_eval_output")
    tokenizer = build_tokenizer()
    manager = TaskManager(include_path=lm_eval_task_folders(), include_defaults=False)
    runs = {}
    for layers, size in enumerate(SIZES, start=1):
        for seed in SEEDS:
            torch.manual_seed(seed * 10 + layers)
            model = LlamaForCausalLM(LlamaConfig(
                vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                num_attention_heads=1, num_key_value_heads=1, max_position_embeddings=64,
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id)).eval()
            name = model_name(size, seed)
            tracker = EvaluationTracker(output_path=str(root))
            results = simple_evaluate(
                model=HFLM(pretrained=model, tokenizer=tokenizer, batch_size=64, device="cpu"),
                model_args=f"pretrained=EleutherAI/{name},revision={REVISION},dtype=float32",
                tasks=[TASK], task_manager=manager, log_samples=True, evaluation_tracker=tracker,
                bootstrap_iters=0, verbosity="ERROR")
            samples = results.pop("samples")
            logged = {task: [[float(resp[0]) for resp in s["filtered_resps"]] for s in samples[task]]
                      for task in samples}
            gold = {task: [int(s["target"]) for s in samples[task]] for task in samples}
            tracker.save_results_aggregated(results=results, samples=samples)  # as lm-eval's CLI does
            for task in results["configs"]:
                tracker.save_results_samples(task_name=task, samples=samples[task])
            runs[name] = (results, logged, gold)
    return root, runs


def write_old_results(folder: Path, name: str, accuracies: dict[str, float]) -> Path:
    """A results file of lm-eval 0.3 (no ",none" filters, no groups, no samples)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json.dumps({
        "results": {task: {"acc": acc, "acc_stderr": 0.01, "acc_norm": acc / 2, "acc_norm_stderr": 0.01}
                    for task, acc in accuracies.items()},
        "versions": {task: 0 for task in accuracies},
        "config": {"model": "hf-causal-experimental",
                   "model_args": f"pretrained=EleutherAI/{name},revision={REVISION}",
                   "num_fewshot": 0, "batch_size": 16, "device": "cuda:0", "no_cache": True,
                   "limit": None, "bootstrap_iters": 100000, "description_dict": {}},
    }, indent=2))
    return path


@pytest.fixture(scope="module")
def old(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("old_lm_eval")
    rng = np.random.default_rng(0)
    accuracies = {}
    for size in SIZES:
        for seed in SEEDS:
            name = model_name(size, seed)
            accuracies[name] = {task: float(rng.uniform(0.3, 0.7)) for task in OLD_TASKS}
            write_old_results(root / name, name, accuracies[name])
    return root, accuracies


def ingested(paths: list[Path], tmp_path: Path, *options: str) -> pd.DataFrame:
    out = tmp_path / "ingested.parquet"
    assert main(["ingest", *map(str, paths), "--out", str(out), *options]) == 0
    return pd.read_parquet(out)


def row_of(table: pd.DataFrame, name: str, condition: str) -> pd.Series:
    rows = table[(table["model_path"] == f"hf://EleutherAI/{name}@{REVISION}") & (table["condition"] == condition)]
    assert len(rows) == 1, f"{name} {condition}: {len(rows)} rows"
    return rows.iloc[0]


def test_current_layout_values_are_lm_eval_s_and_the_samples(current, tmp_path):
    root, runs = current
    table = ingested([root], tmp_path)
    assert len(table) == len(SIZES) * len(SEEDS) * (len(SUBJECTS) + 1)
    assert (table["benchmark"] == TASK).all() and (table["test_length"] == -1).all()
    for name, (results, logged, gold) in runs.items():
        for condition in (*SUBJECTS, TASK):
            row = row_of(table, name, condition)
            assert row["acc"] == results["results"][condition]["acc,none"]
            assert row["acc_norm"] == results["results"][condition]["acc_norm,none"]
            tasks = SUBJECTS if condition == TASK else (condition,)
            lls = [ll for task in tasks for ll in logged[task]]
            answers = [y for task in tasks for y in gold[task]]
            probabilities = [np.exp(ll) / np.exp(ll).sum() for ll in map(np.array, lls)]
            assert row["n_examples"] == len(lls) == (72 if condition == TASK else 24)
            assert row["nll_correct"] == pytest.approx(np.mean([-ll[y] for ll, y in zip(lls, answers)]), abs=1e-12)
            assert row["p_correct"] == pytest.approx(np.mean([p[y] for p, y in zip(probabilities, answers)]), abs=1e-12)
            assert row["brier"] == pytest.approx(
                np.mean([((p - np.eye(len(p))[y]) ** 2).sum() for p, y in zip(probabilities, answers)]), abs=1e-12)
            assert row["chance"] == 0.25


def test_polypythia_names_give_population_scale_seed_and_revision(current, tmp_path):
    table = ingested([current[0]], tmp_path)
    assert set(table["population"]) == {POPULATION} and set(table["family"]) == {"pythia"}
    for size, scale_index in zip(SIZES, range(len(SIZES))):
        for seed in SEEDS:
            row = row_of(table, model_name(size, seed), TASK)  # model_path keeps the revision
            assert (row["scale"], row["seed"], row["data_seed"]) == (size, seed, seed)
            assert row["scale_index"] == scale_index
    assert set(table["num_parameters"]) == {70_000_000, 160_000_000}


def test_old_layout_values_are_the_json_s(old, tmp_path):
    root, accuracies = old
    table = ingested([root], tmp_path)
    assert len(table) == len(accuracies) * len(OLD_TASKS)
    assert (table["benchmark"] == table["condition"]).all()
    for name, by_task in accuracies.items():
        for task, acc in by_task.items():
            row = row_of(table, name, task)
            assert (row["acc"], row["acc_norm"]) == (acc, acc / 2)
            assert row["n_examples"] == -1 and np.isnan(row["nll_correct"]) and np.isnan(row["chance"])
    assert row_of(table, "pythia-160m", "piqa")[["scale", "seed"]].tolist() == ["160m", 0]


@pytest.mark.parametrize("layout, metrics", [("current", ("nll_correct",)), ("old", ("acc",))])
def test_analyze_and_plan_read_the_ingested_table(layout, metrics, request, tmp_path):
    """Without samples (old layout) n_examples and chance are unknown: no fail/success lines, no mixture test."""
    table_path = tmp_path / "results.parquet"
    assert main(["ingest", str(request.getfixturevalue(layout)[0]), "--out", str(table_path)]) == 0
    for metric in metrics:
        out = tmp_path / f"analysis-{metric}"
        assert main(["analyze", str(table_path), "--out", str(out), "--metric", metric,
                     "--resamples", "40", "--no-plan"]) == 0
        assert (out / "summary.md").is_file()
    assert main(["plan", str(table_path), "--metric", "acc", "--out", str(tmp_path / "plan.csv")]) == 0


def test_a_duplicate_model_and_task_names_both_files(current, tmp_path, capsys):
    root, _ = current
    first = next((root / "EleutherAI__pythia-70m-seed2").glob("results_*.json"))
    copy = tmp_path / "rerun" / first.name
    copy.parent.mkdir()
    shutil.copy(first, copy)
    assert main(["ingest", str(root), str(copy.parent), "--out", str(tmp_path / "r.parquet")]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "duplicate" in line
    assert str(first) in line and str(copy) in line and f"hf://EleutherAI/pythia-70m-seed2@{REVISION}" in line
    assert not (tmp_path / "r.parquet").exists()


def test_seeds_of_one_scale_on_different_tasks_are_listed(old, tmp_path, capsys):
    root = tmp_path / "mixed"
    shutil.copytree(old[0], root)
    write_old_results(root / "pythia-70m-seed3", "pythia-70m-seed3", {"arc_easy": 0.5})
    assert main(["ingest", str(root), "--out", str(tmp_path / "r.parquet")]) == 2
    line = capsys.readouterr().err.strip()
    assert "scale 70m" in line and "seed 3 lacks piqa acc, piqa acc_norm" in line


def test_a_name_rule_reads_other_names(old, tmp_path):
    folder = tmp_path / "runs"
    for size in ("small", "large"):
        for run in (1, 2):
            write_old_results(folder / f"{size}{run}", f"mymodel-{size}-run{run}", {"arc_easy": 0.5})
    table = ingested([folder], tmp_path, "--name-rule", r"^(?P<family>\w+)-(?P<scale>\w+)-run(?P<seed>\d+)$")
    assert sorted(zip(table["scale"], table["seed"])) == [("large", 1), ("large", 2), ("small", 1), ("small", 2)]
    assert set(table["population"]) == {f"EleutherAI/mymodel@{REVISION}"}
    assert set(table["num_parameters"]) == {-1}
    write_old_results(tmp_path / "gpt2", "gpt2", {"arc_easy": 0.5})
    with pytest.raises(ValueError, match=r"the name rule '.+' does not match the model name 'gpt2'"):
        ingest([str(tmp_path / "gpt2")])


def test_a_results_file_given_twice_is_read_once(old, tmp_path):
    root, accuracies = old
    table = ingested([root, root / "pythia-70m" / "results.json"], tmp_path)
    assert len(table) == len(accuracies) * len(OLD_TASKS)


def test_a_task_without_a_table_metric_is_left_out_with_a_warning(tmp_path):
    path = write_old_results(tmp_path / "pythia-70m", "pythia-70m", {"arc_easy": 0.5})
    data = json.loads(path.read_text())
    data["results"]["lambada_openai"] = {"ppl": 12.5, "ppl_stderr": 0.4}
    path.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="left out lambada_openai, with none of the metrics"):
        table = ingest([str(tmp_path)])
    assert table["condition"].tolist() == ["arc_easy"]


def test_a_lone_task_listed_with_no_subtasks_still_reads_its_samples(current, tmp_path):
    """lm-eval 0.4.2 wrote `group_subtasks` {"task": []} for a task in no group."""
    root, runs = current
    folder = tmp_path / "lone"
    shutil.copytree(root / "EleutherAI__pythia-70m", folder)
    path = next(folder.glob("results_*.json"))
    data = json.loads(path.read_text())
    geography = SUBJECTS[0]
    data = {**data, "results": {geography: data["results"][geography]}, "group_subtasks": {geography: []}}
    del data["groups"]
    path.write_text(json.dumps(data))
    row = row_of(ingest([str(folder)]), "pythia-70m", geography)
    _, logged, gold = runs["pythia-70m"]
    assert row["benchmark"] == geography and row["n_examples"] == 24
    assert row["nll_correct"] == pytest.approx(np.mean([-ll[y] for ll, y in zip(logged[geography], gold[geography])]))


def test_a_trailing_variant_is_part_of_the_population_never_the_scale(tmp_path):
    """`-Instruct`, `-deduped`: another population of the same sizes, not a scale called "Instruct"."""
    for name in ("Qwen2.5-0.5B-Instruct", "Qwen2.5-1.5B-Instruct", "pythia-70m-deduped", "pythia-70m-deduped-seed1"):
        write_old_results(tmp_path / "evals" / name, name, {"arc_easy": 0.5})
    table = ingested([tmp_path / "evals"], tmp_path)
    read = sorted(zip(table["population"], table["family"], table["scale"], table["seed"], table["num_parameters"]))
    assert read == [(f"EleutherAI/Qwen2.5-Instruct@{REVISION}", "Qwen2.5-Instruct", "0.5B", 0, 500_000_000),
                    (f"EleutherAI/Qwen2.5-Instruct@{REVISION}", "Qwen2.5-Instruct", "1.5B", 0, 1_500_000_000),
                    (f"EleutherAI/pythia-deduped@{REVISION}", "pythia-deduped", "70m", 0, 70_000_000),
                    (f"EleutherAI/pythia-deduped@{REVISION}", "pythia-deduped", "70m", 1, 70_000_000)]


def test_a_name_without_a_size_is_refused_with_the_rule_unless_a_rule_reads_it(tmp_path, capsys):
    write_old_results(tmp_path / "runs", "mymodel-large-seed1", {"arc_easy": 0.5})
    assert main(["ingest", str(tmp_path / "runs"), "--out", str(tmp_path / "r.parquet")]) == 2
    line = capsys.readouterr().err.strip()
    assert "finds no size in the model name 'mymodel-large-seed1'" in line and "(?P<scale>" in line
    assert not (tmp_path / "r.parquet").exists()
    table = ingested([tmp_path / "runs"], tmp_path, "--name-rule", r"^(?P<family>\w+)-(?P<scale>\w+)-seed(?P<seed>\d+)$")
    assert table[["family", "scale", "seed"]].values.tolist() == [["mymodel", "large", 1]]
