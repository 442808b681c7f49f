"""`hf-distscale lm-eval`: lm-evaluation-harness over a population of causal LMs.

A session fixture trains three tiny Llamas (one per seed) on the toy world's
corpus and saves them as a population folder; the rest checks the verb
against lm-eval itself and against plain transformers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import BertConfig, LlamaConfig, LlamaForCausalLM

import hf_distscale
from hf_distscale.cli import main
from hf_distscale.evaluation.lm_eval_run import evaluate_lm_population
from hf_distscale.formats.items import items_path, read_items
from hf_distscale.evaluation.multiple_choice import choice_scores
from hf_distscale.evaluation.models import resolve_models
from hf_distscale.evaluation.sources import expand_braces
from hf_distscale.tasks.toy_knowledge import (
    build_tokenizer,
    corpus_texts,
    export_questions,
    questions,
)

torch.set_num_threads(1)
TASK = "distscale_mc"
QUESTIONS = Path(hf_distscale.__file__).parent / "lm_eval_tasks" / TASK / "test.json"
SEEDS = (0, 1, 2)


def _tiny_llama(tokenizer, seed: int, layers: int = 1) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=171,
        num_hidden_layers=layers, num_attention_heads=1, num_key_value_heads=1,
        max_position_embeddings=64, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    ))


def _train(model, tokenizer, seed: int, steps: int = 60) -> None:
    """A few AdamW steps on sentences of the toy world, so seeds differ beyond chance."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    texts = corpus_texts(steps * 16, seed)
    for step in range(steps):
        batch = tokenizer(texts[step * 16:(step + 1) * 16], padding=True, return_tensors="pt")
        labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        loss = model(**batch, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


def _save(model, tokenizer, folder: Path, record: dict | None = None, with_tokenizer=True):
    model.save_pretrained(folder)
    if with_tokenizer:
        tokenizer.save_pretrained(folder)
    if record is not None:
        (folder / "seed_record.json").write_text(json.dumps(record))


@pytest.fixture(scope="session")
def population(tmp_path_factory) -> Path:
    """`<root>/toy/l1/seed-000k/`: three seeds with seed records, as `hf-distscale train` writes."""
    root = tmp_path_factory.mktemp("lm_population") / "toy"
    tokenizer = build_tokenizer()
    for seed in SEEDS:
        model = _tiny_llama(tokenizer, seed)
        _train(model, tokenizer, seed)
        record = {
            "population": "toy", "family": "tiny", "scale": "l1", "scale_index": 0,
            "num_parameters": model.num_parameters(), "num_layers": 1, "hidden_size": 64,
            "seed": seed, "data_seed": seed, "precision": "fp32", "preset": "tiny",
        }
        _save(model, tokenizer, root / "l1" / f"seed-{seed:04d}", record)
    return root


@pytest.fixture(scope="session")
def evaluated(population, tmp_path_factory):
    out = tmp_path_factory.mktemp("lm_eval_out") / "results.parquet"
    table = evaluate_lm_population([str(population)], [TASK], out, batch_size=64, device="cpu")
    return table, read_items(items_path(out)), out


def test_rows_follow_the_results_schema(evaluated):
    table, items, _ = evaluated
    subjects = ["distscale_mc_geography", "distscale_mc_zoology", "distscale_mc_arithmetic"]
    assert len(table) == len(SEEDS) * 4
    for _, rows in table.groupby("seed"):
        assert sorted(rows["condition"]) == sorted(subjects + [TASK])
        assert (rows["benchmark"] == TASK).all() and (rows["test_length"] == -1).all()
        assert rows.set_index("condition").loc[TASK, "n_examples"] == 72
        assert np.allclose(rows["chance"], 0.25)
    assert len(items) == len(SEEDS) * 72
    # The seeds are told apart by NLL even where accuracy ties.
    overall = table[table["condition"] == TASK]
    assert overall["nll_correct"].nunique() == len(SEEDS)


def test_nll_equals_plain_transformers_for_every_item(evaluated, population):
    """Sum of the choice tokens' log-probabilities after the prompt, computed independently."""
    table, items, _ = evaluated
    folder = population / "l1" / "seed-0000"
    model = LlamaForCausalLM.from_pretrained(folder).eval()
    tokenizer = build_tokenizer()
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines()]
    seed_items = items[items["seed"] == 0]
    for item in seed_items.itertuples():
        subject = item.condition.removeprefix(f"{TASK}_")
        doc = [q for q in questions if q["subject"] == subject][int(item.item_id)]
        prompt = tokenizer(doc["question"]).input_ids
        for choice, logged in zip(doc["choices"], item.loglikelihoods):
            ids = tokenizer(doc["question"] + " " + choice).input_ids
            with torch.no_grad():
                log_probs = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), -1)
            ours = sum(log_probs[t - 1, ids[t]].item() for t in range(len(prompt), len(ids)))
            assert abs(ours - logged) < 1e-4
        assert item.target == doc["answer"]
        assert item.correct == float(np.argmax(item.loglikelihoods) == doc["answer"])
        assert item.nll == pytest.approx(-item.loglikelihoods[doc["answer"]])
    for condition, rows in seed_items.groupby("condition"):
        nll = -np.mean([ll[t] for ll, t in zip(rows["loglikelihoods"], rows["target"])])
        row = table[(table["seed"] == 0) & (table["condition"] == condition)].iloc[0]
        assert abs(row["nll_correct"] - nll) < 1e-4
        scores = choice_scores(list(rows["loglikelihoods"]), list(rows["target"]))
        assert abs(row["brier"] - scores["brier"].mean()) < 1e-9
        assert abs(row["p_correct"] - scores["p_correct"].mean()) < 1e-9


def test_acc_equals_lm_eval_reported_acc_for_every_seed(evaluated, population):
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    table, _, _ = evaluated
    manager = TaskManager(include_path=str(Path(hf_distscale.__file__).parent / "lm_eval_tasks"),
                          include_defaults=False)
    for seed in SEEDS:
        lm = HFLM(pretrained=str(population / "l1" / f"seed-{seed:04d}"), device="cpu",
                  batch_size=64)
        reported = simple_evaluate(model=lm, tasks=[TASK], task_manager=manager,
                                   bootstrap_iters=0)["results"]
        rows = table[table["seed"] == seed].set_index("condition")
        for condition, row in rows.iterrows():
            assert row["acc"] == pytest.approx(reported[condition]["acc,none"], abs=1e-12)
            assert row["acc_norm"] == pytest.approx(reported[condition]["acc_norm,none"], abs=1e-12)


def test_sigkill_after_the_first_model_resumes_to_the_same_table(evaluated, population, tmp_path):
    out = tmp_path / "killed.parquet"
    command = [sys.executable, "-m", "hf_distscale.cli", "lm-eval", str(population),
               "--tasks", TASK, "--out", str(out), "--batch-size", "8", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not out.is_file() and time.time() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = pd.read_parquet(out)
    assert 0 < partial["model_path"].nunique() < len(SEEDS), "the kill came too late to test"
    resumed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    key = ["model_path", "condition"]
    expected = evaluated[0].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out).sort_values(key, ignore_index=True),
                                  expected, check_exact=False, atol=1e-6)
    items = read_items(items_path(out))
    assert len(items) == len(evaluated[1])
    assert not items.duplicated(["model_path", "condition", "item_id"]).any()


def test_limit_and_num_fewshot_reach_lm_eval(evaluated, population, tmp_path):
    seed_folder = population / "l1" / "seed-0000"
    out = tmp_path / "fewshot.parquet"
    table = evaluate_lm_population([str(seed_folder)], [TASK], out, limit=5, num_fewshot=2,
                                   device="cpu")
    assert table.set_index("condition")["n_examples"].to_dict() == {
        **{f"{TASK}_{s}": 5 for s in ("geography", "zoology", "arithmetic")}, TASK: 15}
    key = ["condition", "item_id"]
    fewshot = read_items(items_path(out)).set_index(key)["loglikelihoods"]
    zero_shot = evaluated[1][evaluated[1]["seed"] == 0].set_index(key)["loglikelihoods"]
    # Two dev examples before the question change every item's log-likelihoods.
    assert all(not np.allclose(fewshot[k], zero_shot[k]) for k in fewshot.index)


def test_shipped_questions_are_the_toy_world_s(tmp_path):
    """The task's JSON files are `export_questions` output, and every word is in the vocabulary."""
    for written in export_questions(tmp_path):
        assert written.read_text() == (QUESTIONS.parent / written.name).read_text()
    rows = questions("test")
    assert len(rows) >= 60 and len({row["subject"] for row in rows}) >= 3
    tokenizer = build_tokenizer()
    texts = [row["question"] + " " + choice for row in rows for choice in row["choices"]]
    assert all(len(set(row["choices"])) == 4 for row in rows)
    assert tokenizer.unk_token_id not in sum(tokenizer(texts + corpus_texts(200, 0)).input_ids, [])
    assert corpus_texts(50, 3) == corpus_texts(50, 3) != corpus_texts(50, 4)


def test_name_rule_and_patterns_identify_model_folders(tmp_path):
    tokenizer = build_tokenizer()
    for layers, size in ((1, "xs"), (2, "s")):
        for seed in (1, 2):
            _save(_tiny_llama(tokenizer, seed, layers), tokenizer,
                  tmp_path / f"toyllama-{size}-seed{seed}")
    sources = resolve_models([str(tmp_path / "toyllama-{xs,s}-seed{1..2}")])
    identities = [(s.identity["family"], s.identity["scale"], s.identity["seed"],
                   s.identity["scale_index"]) for s in sources]
    assert identities == [("toyllama", "xs", 1, 0), ("toyllama", "xs", 2, 0),
                          ("toyllama", "s", 1, 1), ("toyllama", "s", 2, 1)]
    assert sources[2].identity["num_parameters"] > sources[0].identity["num_parameters"]
    assert expand_braces("EleutherAI/pythia-{70m,160m}-seed{1..9}") == [
        f"EleutherAI/pythia-{size}-seed{k}" for size in ("70m", "160m") for k in range(1, 10)
    ]
    assert expand_braces("s{08..10}") == ["s08", "s09", "s10"]


@pytest.fixture(scope="module")
def bad_folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad_sources")
    tokenizer = build_tokenizer()
    BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
               num_attention_heads=1, intermediate_size=32,
               architectures=["BertForMaskedLM"]).save_pretrained(root / "bert-seed1")
    tokenizer.save_pretrained(root / "bert-seed1")
    _save(_tiny_llama(tokenizer, 0), tokenizer, root / "bare-seed1", with_tokenizer=False)
    _save(_tiny_llama(tokenizer, 0), tokenizer, root / "truncated-seed1")
    weights = root / "truncated-seed1" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4096])
    _save(_tiny_llama(tokenizer, 0), tokenizer, root / "deeper-seed1")
    config = json.loads((root / "deeper-seed1" / "config.json").read_text())
    (root / "deeper-seed1" / "config.json").write_text(json.dumps(config | {"num_hidden_layers": 3}))
    return {"root": root}


@pytest.mark.parametrize("case, message", [
    ("empty_pattern", "expands to nothing"),
    ("missing_folder", "no such"),
    ("non_causal", "not a causal LM"),
    ("no_tokenizer", "has no tokenizer"),
    ("unknown_task", "did you mean distscale_mc"),
    ("truncated_weights", "truncated-seed1: model.safetensors is truncated"),
    ("config_deeper_than_weights", "deeper-seed1: the weights are not the model config.json describes"),
])
def test_bad_input_is_one_line_and_exit_code_2(case, message, bad_folders, population, tmp_path,
                                                capsys):
    root = bad_folders["root"]
    source, task = {
        "empty_pattern": (str(root / "bert-seed{3..1}"), TASK),
        "missing_folder": (str(root / "absent" / "model"), TASK),
        "non_causal": (str(root / "bert-seed1"), TASK),
        "no_tokenizer": (str(root / "bare-seed1"), TASK),
        "unknown_task": (str(population), "distscale_mcq"),
        "truncated_weights": (str(root / "truncated-seed1"), TASK),
        "config_deeper_than_weights": (str(root / "deeper-seed1"), TASK),
    }[case]
    code = main(["lm-eval", source, "--tasks", task, "--out", str(tmp_path / "r.parquet")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 or err[-1].startswith("hf-distscale lm-eval: error:")
    assert err[-1].startswith("hf-distscale lm-eval: error:") and message in err[-1]


def test_hub_repo_patterns_at_a_revision_through_a_local_hub(tmp_path):
    """`org/toyllama-xs-seed{1..2}@step10` read through olah (the Hub's API on loopback)."""
    from olah_server import OlahServer

    tokenizer = build_tokenizer()
    with OlahServer(tmp_path / "hub") as hub:
        for seed in (1, 2):
            folder = tmp_path / f"toyllama-xs-seed{seed}"
            _save(_tiny_llama(tokenizer, seed), tokenizer, folder)
            hub.publish("model", f"org/toyllama-xs-seed{seed}", folder)
            repo = hub.mirrors / "models" / "org" / f"toyllama-xs-seed{seed}"
            subprocess.run(["git", "-C", str(repo), "branch", "step10"], check=True)
        bert = tmp_path / "bert"
        BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                   num_attention_heads=1, intermediate_size=32,
                   architectures=["BertForMaskedLM"]).save_pretrained(bert)
        hub.publish("model", "org/bert-seed1", bert)
        out = tmp_path / "hub.parquet"
        script = (
            "import sys; from hf_distscale.cli import main; "
            f"print(main(['lm-eval', 'org/toyllama-xs-seed{{1..2}}@step10', '--tasks', '{TASK}', "
            f"'--limit', '3', '--device', 'cpu', '--out', '{out}'])); "
            f"print(main(['lm-eval', 'org/bert-seed1', '--tasks', '{TASK}', '--out', '{out}']))"
        )
        run = subprocess.run([sys.executable, "-c", script], env=hub.env(), capture_output=True,
                             text=True, timeout=300)
    assert run.stdout.split()[-2:] == ["0", "2"], run.stderr[-2000:]
    assert "not a causal LM" in run.stderr.strip().splitlines()[-1]
    table = pd.read_parquet(out)
    overall = table[table["condition"] == TASK].sort_values("seed")
    assert overall["model_path"].tolist() == [f"hf://org/toyllama-xs-seed{k}@step10"
                                              for k in (1, 2)]
    assert overall["population"].unique().tolist() == ["org/toyllama@step10"]
    assert overall["scale"].unique().tolist() == ["xs"] and overall["seed"].tolist() == [1, 2]
    assert (overall["n_examples"] == 9).all()
