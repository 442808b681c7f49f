"""A newcomer's mistakes across every verb: each is one line on stderr, exit code 2, and nothing lost.

Every case runs the real CLI entry point on real files in a temporary world
(a trained one-seed counting population, results tables good and bad, a
corrupt Parquet file, folders holding work). Inputs and finished work are
hashed before and after: a mistake must not change a byte of them.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hf_distscale.analysis.bootstrap import BYTES_PER_DRAW, MAX_RESAMPLES, MIN_RESAMPLES
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main
from hf_distscale.formats.results import REQUIRED_TEXT, SCHEMA, empty_table, write_table
from hf_distscale.formats.versions import CURRENT, PARQUET_VERSION_KEY
from hf_distscale.training import train_population
from hf_distscale.training.seeds import MAX_SEEDS

POPULATION = "runs/cpu_depth-smoke"
SEED = f"{POPULATION}/l1/seed-0000"

# (argv, words the one line must hold). Paths are relative to the world folder.
CASES = [
    ([], "required: VERB"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["eval"], "required: sources, --out"),
    (["dataset", "build", "--preset", "no-such-preset", "--out", "new-dataset"], "unknown preset 'no-such-preset'"),
    (["dataset", "build", "--preset", "smoke", "--out", "work"], "--overwrite"),
    (["train", "--family", "no-such-family", "--seeds", "0", "--preset", "smoke", "--out", "new-runs"],
     "unknown family 'no-such-family'"),
    (["train", "--family", "cpu_depth", "--seeds", "zero", "--preset", "smoke", "--out", "new-runs"], "zero"),
    (["train", "--family", "cpu_depth", "--scales", "l9", "--seeds", "0", "--preset", "smoke", "--out", "new-runs"],
     "l9"),
    (["train", "--family", "cpu_depth", "--seeds", "0", "--preset", "no-such-preset", "--out", "new-runs"],
     "unknown preset 'no-such-preset'"),
    (["train", "--family", "cpu_depth", "--seeds", "0", "--preset", "smoke", "--set", "bogus=1", "--out", "new-runs"],
     "bogus"),
    (["train", "--family", "cpu_depth", "--seeds", "0", "--preset", "smoke", "--set", "max_steps", "--out", "new-runs"],
     "max_steps"),
    (["train", "--family", "cpu_depth", "--seeds", "0", "--preset", "smoke", "--seeds-per-process", "0",
      "--out", "new-runs"], "--seeds-per-process"),
    (["train", "--family", "cpu_depth", "--seeds", "0", "--precision", "fp16"], "invalid choice: 'fp16'"),
    (["reinit", SEED, "--dataset", "english.txt", "--seeds", "0", "--out", "new-runs"],
     "counting task's (one token per number), not a text tokenizer"),
    (["reinit", "no/such/base", "--dataset", "english.txt", "--seeds", "0", "--out", "new-runs"], "no/such/base"),
    (["reinit", SEED, "--dataset", "english.txt", "--seeds", "0", "--preset", "no-such-preset", "--out", "new-runs"],
     "unknown LM preset 'no-such-preset'"),
    (["eval", "no/such/population", "--out", "new.parquet"], "no/such/population: no such model or population folder"),
    (["eval", POPULATION, "--out", "corrupt.parquet"], "--out corrupt.parquet is not a Parquet results table"),
    (["eval", POPULATION, "--out", "work"], "--out: work is a folder"),
    (["eval", POPULATION, "--out", "new.parquet", "--test-lengths", "ten"], "test-lengths: 'ten' is not a list"),
    (["eval", POPULATION, "--out", "new.parquet", "--test-lengths", "10-5"], "is empty"),
    (["eval", POPULATION, "--out", "new.parquet", "--preset", "no-such-preset"], "unknown preset 'no-such-preset'"),
    (["eval", "org/model-{3..1}", "--out", "new.parquet"], "expands to nothing"),
    (["eval", POPULATION, "--out", "old.parquet"], "has no 'em' column"),
    (["eval", "empty-folder", "--out", "new.parquet"], "holds no finished seed"),
    (["eval", POPULATION, "--out", "new.parquet", "--batch-size", "0"], "--batch-size"),
    (["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", "new.parquet"],
     "counting task's (one token per number), not a text tokenizer"),
    (["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", "new.parquet", "--limit", "-3"],
     "--limit: '-3' is not a positive item count"),
    (["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", "new.parquet", "--limit", "lots"], "'lots'"),
    (["lm-eval", "no/such/population", "--tasks", "distscale_mc", "--out", "new.parquet"],
     "no such model or population folder"),
    (["lm-eval", POPULATION, "--tasks", ",", "--out", "new.parquet"], "give at least one lm-eval task"),
    (["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", "corrupt.parquet"], "--out corrupt.parquet"),
    (["ingest", "not-lm-eval.json", "--out", "new.parquet"], "not an lm-eval results file; expected"),
    (["ingest", "lm-eval/gpt2", "--out", "new.parquet"],
     "does not match the model name 'gpt2'"),
    (["ingest", "lm-eval/mixed", "--out", "new.parquet"], "seed 1 lacks piqa acc"),
    (["ingest", "lm-eval/no-such-folder", "--out", "new.parquet"], "no such lm-eval results file or folder"),
    (["ingest", "empty-folder", "--out", "new.parquet"], "empty-folder: no lm-eval results file"),
    (["ingest", "lm-eval/mixed/pythia-70m", "lm-eval/copy", "--out", "new.parquet"], "duplicate:"),
    (["ingest", "lm-eval/mixed/pythia-70m", "--out", "results.parquet"], "--out: results.parquet exists"),
    (["compare", "results.parquet", "results.parquet"], "A and B are the same rows"),
    (["compare", "results.parquet", "--a", "scale", "--b", "scale=l1"], "is not COLUMN=VALUE"),
    (["compare", "results.parquet", "--a", "scale=l1", "--b", "scale=l2", "--out", "results.parquet"],
     "--out: results.parquet is a file"),
    (["compare", "results.parquet", "--a", "scale=l1", "--b", "scale=l2", "--permutations", "5"],
     "--permutations: 5 is too few"),
    (["verify", "no/such/population"], "no such population folder or results table"),
    (["verify", "work"], "work is neither a population folder"),
    (["verify", "results.parquet", "--out", "work"], "--out: work is not a .json file name"),
    (["verify", POPULATION, "--out", f"{SEED}/verify.json"], "lies inside the input"),
    (["analyze", "no-such-file", "--out", "new-analysis"], "no-such-file: no such results file"),
    (["analyze", "results.parquet", "--out", "results.parquet"], "--out: results.parquet is a file"),
    (["analyze", POPULATION, "--out", "new-analysis"], "is a population folder, not a results table"),
    (["analyze", "runs", "--out", "new-analysis"], "is a folder of population folders"),
    (["analyze", "old.parquet", "--out", "new-analysis"], "has no 'em' column"),
    (["analyze", "corrupt.parquet", "--out", "new-analysis"], "is not a Parquet results table"),
    (["analyze", "empty.parquet", "--out", "new-analysis"], "has no rows"),
    (["analyze", "results.parquet", "--out", "new-analysis", "--metric", "accuracy"], "invalid choice: 'accuracy'"),
    (["analyze", "results.parquet", "--out", "new-analysis", "--resamples", "0"], "--resamples"),
    (["analyze", "results.parquet", "--out", "new-analysis", "--breakthrough-condition", "len999"],
     "'len999' is not in the table"),
    (["plan", "no-such.parquet"], "no such results file"),
    (["plan", "results.parquet", "--out", "work"], "--out: work is a folder"),
    (["plan", POPULATION], "is a population folder"),
    (["plan", "results.parquet", "--metric", "nll_mean"], "metric 'nll_mean' is not a score in [0, 1]"),
    (["plan", "results.parquet", "--preset", "nosuchpreset"], "unknown preset 'nosuchpreset'"),
    (["hub", "push", "widget", "results.parquet", "org/name"], "invalid choice: 'widget'"),
    (["hub", "push", "population", "no/such/population", "org/name"], "no/such/population"),
    (["hub", "push", "results", "corrupt.parquet", "org/name"], "is not a Parquet results table"),
    (["hub", "pull", "org/name"], "required: --out"),
    (["hub", "push", "results", "results.parquet", "org/name"], "no Hugging Face token to push"),
    (["leaderboard", "build", "no-such.parquet", "--out", "new-site"], "no such results file"),
    (["leaderboard", "build", "results.parquet", "--out", "work"], "work"),
    (["leaderboard", "build", POPULATION, "--out", "new-site"], "is a population folder"),
    (["leaderboard", "push", "no-such-site", "org/space"], "no-such-site"),
    (["demo", "--preset", "no-such-preset", "--out", "new-demo"], "no-such-preset"),
    # Outputs: never over or inside an input, never a file where a folder goes (or the
    # reverse), never over a folder that is not a finished output of its kind; readers take only those.
    (["plan", "results.parquet", "--out", "results.parquet"], "--out: results.parquet is also an input"),
    (["ingest", "lm-eval/gpt2/results.json", "--out", "lm-eval/gpt2/results.json"], "is also an input"),
    (["eval", POPULATION, "--out", f"{POPULATION}/results.parquet"], "lies inside the input"),
    (["eval", POPULATION, "--out", "results.parquet/new.parquet"], "which is a file"),
    (["analyze", "results.parquet", "--out", "."], "holds the input results.parquet"),
    (["analyze", "results.parquet", "--out", "work"], "work exists and is not a finished analysis output"),
    (["leaderboard", "build", "results.parquet", "--out", "."], "holds the input results.parquet"),
    (["leaderboard", "build", "half-analysis", "--out", "new-site"], "is not a finished analysis output"),
    (["leaderboard", "push", "work", "org/space"], "work is not a finished leaderboard output"),
    (["hub", "push", "dataset", "work", "org/name"], "work is not a finished dataset output"),
    (["hub", "pull", "org/name", "--out", "results.parquet"], "--out: results.parquet is a file"),
    (["dataset", "build", "--preset", "smoke", "--out", "results.parquet"], "--out: results.parquet is a file"),
    (["train", "--family", "cpu_depth", "--seeds", "0", "--preset", "smoke", "--out", "results.parquet"],
     "--out: results.parquet is a file"),
    (["reinit", SEED, "--dataset", "english.txt", "--seeds", "0", "--out", SEED], "is also an input"),
    (["demo", "--out", "results.parquet"], "--out: results.parquet is a file"),
    # Values read from disk are checked once, in formats/: file, column, first rows, fix.
    (["analyze", "out-of-range.parquet", "--out", "new-analysis"],
     "column 'p_exact' must hold a score in [0, 1]"),
    (["plan", "fractional-seed.parquet"], "column 'seed' must hold an integer"),
    (["analyze", "null-scale.parquet", "--out", "new-analysis"], "row 3 (population"),
    (["leaderboard", "build", "infinite.parquet", "--out", "new-site"], "= inf (not finite)"),
    (["eval", POPULATION, "--out", "duplicate.parquet"], "duplicate rows"),
    (["analyze", "text-score.parquet", "--out", "new-analysis"], "'high' (not a number)"),
    (["ingest", "lm-eval/over", "--out", "new.parquet"], "task 'arc_easy' reports acc,none = 1.7"),
    (["ingest", "lm-eval/high", "--out", "new.parquet"], "reports acc,none = 'high' (not a number)"),
    (["ingest", "lm-eval/no-results", "--out", "new.parquet"], "holds no results"),
    (["ingest", "lm-eval/perplexity-only", "--out", "new.parquet"], "none of its results (lambada_openai)"),
    (["ingest", "lm-eval/flat", "--out", "new.parquet"], "'results' of arc_easy is not what lm-eval writes"),
    (["ingest", "lm-eval/cut-samples", "--out", "new.parquet"], "line 2 is not a JSON object"),
    (["ingest", "lm-eval/sizeless", "--out", "new.parquet"], "finds no size in the model name 'mymodel-large-seed1'"),
    # Resources and devices are checked before work.
    (["train", "--family", "cpu_depth", "--seeds", "0-1000000", "--preset", "smoke", "--out", "new-runs"],
     "more than 10,000 seeds"),
    (["reinit", SEED, "--dataset", "english.txt", "--seeds", "0", "--data-seeds", "0-99999999999",
      "--out", "new-runs"], "more than 10,000 seeds"),
    (["analyze", "results.parquet", "--out", "new-analysis", "--resamples", "30000000000"],
     "give at most 100000"),
    (["eval", POPULATION, "--out", "new.parquet", "--test-lengths", "1-1000000000"], "1,000,000,000 lengths"),
    (["eval", POPULATION, "--out", "new.parquet", "--device", "cdua"], "'cdua' is not a torch device name"),
    (["eval", POPULATION, "--out", "new.parquet", "--device", "cuda:99"], "--device: 'cuda:99'"),
    (["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", "new.parquet", "--device", "cdua"],
     "'cdua' is not a torch device name"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A folder with what a newcomer has at hand: a trained population, results, a corrupt file, work."""
    root = tmp_path_factory.mktemp("newcomer")
    train_population("cpu_depth", ["l1"], [0], "smoke", root / "runs", progress=False)
    table = synthetic_results([0.2, 0.8], n_seeds=6)
    write_table(table, root / "results.parquet")
    write_table(table.drop(columns=["em", "em_answer_only", "token_accuracy", "nll_mean", "nll_sum", "p_exact",
                                    "em_generate", "acc", "acc_norm", "nll_correct", "p_correct", "brier"]),
                root / "old.parquet")
    write_table(empty_table(), root / "empty.parquet")
    write_faulty_tables(root, table)
    (root / "corrupt.parquet").write_bytes(b"PAR1 this is not a Parquet file")
    (root / "english.txt").write_text("The cat sat on the mat. Seeds are drawn at random.\n" * 20)
    (root / "work").mkdir()
    (root / "work" / "notes.md").write_text("finished work that no mistake may touch\n")
    (root / "empty-folder").mkdir()
    (root / "half-analysis").mkdir()  # what an interrupted analyze left before outputs were atomic
    (root / "half-analysis" / "statistics.json").write_text("{}")
    (root / "not-lm-eval.json").write_text(json.dumps({"accuracy": 0.5}))
    write_lm_eval_results(root / "lm-eval" / "gpt2", "gpt2", ["arc_easy"])
    write_lm_eval_results(root / "lm-eval" / "mixed" / "pythia-70m", "pythia-70m", ["arc_easy", "piqa"])
    write_lm_eval_results(root / "lm-eval" / "mixed" / "pythia-70m-seed1", "pythia-70m-seed1", ["arc_easy"])
    (root / "lm-eval" / "copy").mkdir()
    shutil.copy(root / "lm-eval" / "mixed" / "pythia-70m" / "results.json", root / "lm-eval" / "copy")
    write_lm_eval_results(root / "lm-eval" / "over", "pythia-70m", ["arc_easy"], {"acc,none": 1.7})
    write_lm_eval_results(root / "lm-eval" / "high", "pythia-70m", ["arc_easy"], {"acc,none": "high"})
    write_lm_eval_results(root / "lm-eval" / "no-results", "pythia-70m", [])
    write_lm_eval_results(root / "lm-eval" / "perplexity-only", "pythia-70m", ["lambada_openai"], {"perplexity,none": 12.5})
    write_lm_eval_results(root / "lm-eval" / "sizeless", "mymodel-large-seed1", ["arc_easy"])
    write_lm_eval_results(root / "lm-eval" / "flat", "pythia-70m", ["arc_easy"])
    flat = root / "lm-eval" / "flat" / "results.json"
    flat.write_text(json.dumps({**json.loads(flat.read_text()), "results": {"arc_easy": 0.5}}))
    write_lm_eval_results(root / "lm-eval" / "cut-samples", "pythia-70m", ["arc_easy"])
    item = {"doc_id": 0, "target": 0, "filtered_resps": [["-1.0", "False"], ["-2.0", "False"]]}
    (root / "lm-eval" / "cut-samples" / "samples_arc_easy_2024.jsonl").write_text(
        json.dumps(item) + "\n" + json.dumps(item)[:25])
    return root


def write_lm_eval_results(folder: Path, name: str, tasks: list[str], metrics: dict | None = None) -> None:
    """An lm-eval results file of model EleutherAI/<name> that holds `tasks`, each with `metrics`."""
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({
        "results": {task: {**(metrics or {"acc,none": 0.5}), "alias": task} for task in tasks},
        "config": {"model": "hf", "model_args": f"pretrained=EleutherAI/{name},revision=step143000"},
    }))


def write_faulty_tables(root: Path, table: pd.DataFrame) -> None:
    """Results tables with one fault each, as a hand edit or another writer leaves them."""
    write_table(table.assign(p_exact=table["p_exact"].where(table.index != 5, 1.7)), root / "out-of-range.parquet")
    write_table(table.astype({"seed": float}).assign(seed=lambda t: t["seed"].where(t.index != 2, 1.5)),
                root / "fractional-seed.parquet")
    write_table(table.assign(scale=table["scale"].where(table.index != 3, None)), root / "null-scale.parquet")
    write_table(table.assign(nll_mean=table["nll_mean"].where(table.index != 4, np.inf)), root / "infinite.parquet")
    write_table(pd.concat([table, table.iloc[[7]]], ignore_index=True), root / "duplicate.parquet")
    write_table(table.assign(em=table["em"].astype(str).where(table.index != 0, "high")), root / "text-score.parquet")


def fingerprint(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root` (new files show up as new keys)."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def run(argv: list[str], capfd) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    printed = capfd.readouterr()
    return code, printed.out, printed.err


def test_the_table_covers_every_verb_with_at_least_40_cases():
    from hf_distscale.cli import build_parser

    verbs = set(build_parser()._subparsers._group_actions[0].choices)
    assert len(CASES) >= 40
    assert verbs <= {argv[0] for argv, _ in CASES if argv}


def assert_refused(argv: list[str], capfd, roots: list[Path], *words: str) -> str:
    """The contract for a mistake: exit 2, one line on stderr holding `words`, no traceback, and not a
    byte changed or added under `roots`. Returns the line."""
    before = [fingerprint(root) for root in roots]
    code, out, err = run(argv, capfd)
    assert code == 2, f"{argv}: exit {code}; stderr: {err}"
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1, f"{argv}: stderr is not one line:\n{err}"
    assert lines[0].startswith("hf-distscale"), lines[0]
    assert all(word in lines[0] for word in words), lines[0]
    assert [fingerprint(root) for root in roots] == before, f"{argv}: a mistake changed or added files"
    return lines[0]


@pytest.fixture
def offline(world, monkeypatch):
    """Inside the world folder, with no Hub and no token: a Hub call would be a mistake not caught before the network."""
    monkeypatch.chdir(world)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return world


@pytest.mark.parametrize("argv, words", CASES, ids=[" ".join(argv) or "(nothing)" for argv, _ in CASES])
def test_a_mistake_is_one_line_exit_2_and_nothing_lost(offline, argv, words, capfd):
    assert_refused(argv, capfd, [offline], words)


HEAVY = ("torch", "transformers", "datasets", "lm_eval", "scipy", "matplotlib")
INSTANT = [["--help"], *[[verb, "--help"] for verb in ("dataset", "train", "reinit", "eval", "lm-eval", "ingest",
                                                       "analyze", "plan", "hub", "leaderboard", "demo")],
           ["hub", "push", "--help"], ["leaderboard", "build", "--help"],
           ["analyze", "no-such-file", "--out", "x"], ["analyze", "no/such.parquet", "--out", "x"],
           ["eval", "no/such/population", "--out", "x.parquet"], ["lm-eval", "no/such/population", "--tasks", "mmlu", "--out", "x"],
           ["plan", "no-such.parquet"], ["leaderboard", "build", "no-such.parquet", "--out", "site"],
           ["ingest", "no/such/folder", "--out", "x.parquet"], ["verify", "--help"], ["verify", "no/such/path"],
           ["lm-eval", "x", "--tasks", "mmlu", "--out", "x", "--limit", "-3"],
           ["train", "--family", "cpu_depth", "--seeds", "0", "--precision", "fp16"],
           ["train", "--family", "no-such-family", "--seeds", "0", "--preset", "smoke"],
           ["train", "--family", "cpu_depth", "--scales", "l9", "--seeds", "0", "--preset", "smoke"],
           ["train", "--family", "cpu_depth", "--seeds", "0", "--preset", "smoke", "--set", "bogus=1"],
           ["reinit", "no/such/base", "--dataset", "english.txt", "--seeds", "0"],
           ["reinit", "base", "--dataset", "english.txt", "--seeds", "0", "--preset", "no-such-preset"],
           ["dataset", "build", "--preset", "no-such-preset", "--out", "d"],
           ["demo", "--preset", "no-such-preset"], ["hub", "push", "population", "no/such/population", "org/name"]]


def test_help_and_instant_errors_load_no_heavy_library(tmp_path):
    """What makes `--help` and these errors answer at once: none of them imports torch & co."""
    script = (f"import sys\nfrom hf_distscale.cli import main\nfor argv in {INSTANT!r}:\n"
              "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
              f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]", f"loaded: {done.stdout.splitlines()[-1]}"
    errors = done.stderr.splitlines()
    assert len(errors) == sum("--help" not in argv for argv in INSTANT), done.stderr
    assert all(line.startswith("hf-distscale") and ": error: " in line for line in errors), done.stderr


def test_warnings_are_one_line_on_stderr_and_written_into_the_analysis(world, capfd, monkeypatch, tmp_path):
    """A first-version table and too few seeds: `warning:` lines, no Python warning with a source line."""
    monkeypatch.chdir(world)
    old = synthetic_results([0.2, 0.8], n_seeds=3).drop(
        columns=["benchmark", "condition", "chance", "acc", "acc_norm", "nll_correct", "p_correct", "brier"])
    old.to_parquet(tmp_path / "first-version.parquet")
    code, out, err = run(["analyze", str(tmp_path / "first-version.parquet"), "--out", str(tmp_path / "analysis"),
                          "--resamples", "40", "--no-plan"], capfd)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any("counting-only results table" in line for line in warnings)
    assert any("fewer than 5 seeds" in line for line in warnings)
    assert "warning:" not in out and "UserWarning" not in err and ".py:" not in err
    assert "fewer than 5 seeds" in (tmp_path / "analysis" / "summary.md").read_text()


def test_third_party_progress_bars_stay_off_the_terminal_unless_verbose(world, tmp_path):
    """transformers' "Loading weights" bars are the libraries' own: only `--verbose` lets them through."""
    def evaluate(*extra):
        return subprocess.run([sys.executable, "-m", "hf_distscale.cli", "eval", POPULATION, "--out",
                               str(tmp_path / f"results{len(extra)}.parquet"), *extra],
                              cwd=world, capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items() if "PROGRESS" not in k and "VERBOSITY" not in k})
    quiet, verbose = evaluate(), evaluate("--verbose")
    assert quiet.returncode == verbose.returncode == 0, quiet.stderr + verbose.stderr
    assert "Loading weights" not in quiet.stderr + quiet.stdout
    assert "Loading weights" in verbose.stderr


# Generated mistakes (hypothesis, derandomised): the same contract for inputs no table lists.
# A failing example is reported as found, not shrunk: shrinking would rerun whole verbs many times.
GENERATED = settings(derandomize=True, max_examples=30, deadline=None, phases=[Phase.explicit, Phase.generate],
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Verbs that read a results table; "{}" is where the table goes.
TABLE_READERS = (("analyze", "{}", "--out", "new-analysis"), ("plan", "{}"),
                 ("leaderboard", "build", "{}", "--out", "new-site"), ("eval", POPULATION, "--out", "{}"),
                 ("hub", "push", "results", "{}", "org/name"))
INTEGERS = [name for name, column in SCHEMA.items() if column.dtype == "int64"]
FLOATS = [name for name, column in SCHEMA.items() if column.dtype == "float64"]
BOUNDED = [name for name in FLOATS if SCHEMA[name].high < np.inf]
LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_ ", min_size=1, max_size=12)


@pytest.fixture(scope="module")
def good_table() -> pd.DataFrame:
    return synthetic_results([0.2, 0.8], n_seeds=4)


FAULTS = ("empty identity", "empty integer", "fractional integer", "out of range", "not finite", "text in numbers",
          "number in text", "duplicate", "version")


@st.composite
def faulty_tables(draw, good: pd.DataFrame, fault: str) -> tuple[pd.DataFrame, bytes, str]:
    """(a results table with one generated `fault`, its version stamp, a phrase the refusal must hold)."""
    table, stamp = good.copy(), str(CURRENT["results"]).encode()
    row = draw(st.integers(0, len(table) - 1))
    if fault == "empty identity":
        column = draw(st.sampled_from(REQUIRED_TEXT))
        table.loc[row, column] = draw(st.sampled_from([None, ""]))
        return table, stamp, "(empty)"
    if fault in ("empty integer", "fractional integer"):
        column = draw(st.sampled_from(INTEGERS))
        table[column] = table[column].astype(float)
        table.loc[row, column] = np.nan if fault == "empty integer" else draw(st.integers(-5, 10**6)) + 0.5
        return table, stamp, "(empty)" if fault == "empty integer" else "(not an integer)"
    if fault == "out of range":
        column = draw(st.sampled_from(BOUNDED))
        high = SCHEMA[column].high
        table.loc[row, column] = draw(st.floats(high, 1e9, exclude_min=True) | st.floats(-1e9, 0, exclude_max=True))
        return table, stamp, "(out of range)"
    if fault == "not finite":
        table.loc[row, draw(st.sampled_from(FLOATS))] = draw(st.sampled_from([np.inf, -np.inf]))
        return table, stamp, "(not finite)"
    if fault == "text in numbers":
        column = draw(st.sampled_from(INTEGERS + FLOATS))
        table[column] = table[column].astype(str)
        table.loc[row, column] = draw(LETTERS)
        return table, stamp, "(not a number)"
    if fault == "number in text":
        column = draw(st.sampled_from(REQUIRED_TEXT))
        table[column] = draw(st.floats(-1e6, 1e6, allow_nan=False))
        return table, stamp, "(not text)"
    if fault == "duplicate":
        copy = table.iloc[[row]].assign(em=draw(st.floats(0, 1)))
        return pd.concat([table, copy], ignore_index=True), stamp, "duplicate rows"
    stamp = draw(st.integers(CURRENT["results"] + 1, 10**9).map(str) | st.integers(-10**9, 0).map(str) | LETTERS)
    return table, stamp.encode(), "format version"


def write_stamped(table: pd.DataFrame, path: Path, stamp: bytes) -> None:
    """`table` as Parquet with `stamp` as its format version, whatever the table holds."""
    arrow = pyarrow.Table.from_pandas(table, preserve_index=False)
    pq.write_table(arrow.replace_schema_metadata({PARQUET_VERSION_KEY: stamp}), path)


@pytest.mark.parametrize("fault", FAULTS)
@settings(GENERATED, max_examples=5)
@given(data=st.data(), reader=st.sampled_from(TABLE_READERS))
def test_a_generated_faulty_table_is_one_line_naming_the_file(offline, good_table, fault, data, reader, capfd,
                                                              tmp_path_factory):
    table, stamp, words = data.draw(faulty_tables(good_table, fault))
    folder = tmp_path_factory.mktemp("faulty")
    write_stamped(table, folder / "results.parquet", stamp)
    argv = [str(folder / "results.parquet") if part == "{}" else part for part in reader]
    assert_refused(argv, capfd, [offline, folder], str(folder / "results.parquet"), words)


@GENERATED
@given(reader=st.sampled_from(TABLE_READERS + (("ingest", "{}", "--out", "new.parquet"),)),
       cut=st.floats(0, 1, exclude_max=True))
def test_a_truncated_file_is_one_line(offline, reader, cut, capfd, tmp_path_factory):
    """An interrupted copy: the first part of a results table or of an lm-eval results file."""
    whole = offline / ("lm-eval/mixed/pythia-70m/results.json" if reader[0] == "ingest" else "results.parquet")
    folder = tmp_path_factory.mktemp("truncated")
    data = whole.read_bytes()
    (folder / whole.name).write_bytes(data[:int(cut * len(data))])
    argv = [str(folder / whole.name) if part == "{}" else part for part in reader]
    assert_refused(argv, capfd, [offline, folder], whole.name)


def arc_easy(metrics: dict) -> dict:
    """lm-eval's `results` holding one task, arc_easy, with `metrics`."""
    return {"arc_easy": {**metrics, "alias": "arc_easy"}}


# The `results` of an lm-eval results file with one generated fault, and a phrase the refusal must hold.
FAULTY_LM_EVAL = st.one_of(
    st.tuples(st.sampled_from(["acc", "acc_norm"]), st.floats(1, 1e9, exclude_min=True)
              | st.floats(-1e9, 0, exclude_max=True) | st.sampled_from([float("inf"), float("-inf")])).map(
        lambda fault: (arc_easy({f"{fault[0]},none": fault[1]}), "task 'arc_easy' reports")),
    st.tuples(st.sampled_from(["acc", "acc_norm", "brier_score"]),
              LETTERS | st.lists(st.integers(), max_size=2) | st.booleans()).map(
        lambda fault: (arc_easy({f"{fault[0]},none": fault[1]}), "(not a number)")),
    st.just(({}, "holds no results")),
    st.dictionaries(st.sampled_from(["perplexity", "word_perplexity", "exact_match"]), st.floats(0, 1),
                    min_size=1).map(lambda metrics: (arc_easy({f"{name},none": value for name, value in metrics.items()}),
                                                     "none of its results")),
    (st.integers() | LETTERS | st.lists(st.integers(), max_size=2)).map(
        lambda entry: ({"arc_easy": entry}, "is not what lm-eval writes")),
)


@GENERATED
@given(fault=FAULTY_LM_EVAL)
def test_a_generated_faulty_lm_eval_file_is_one_line_naming_it(offline, fault, capfd, tmp_path_factory):
    results, words = fault
    folder = tmp_path_factory.mktemp("lm-eval")
    (folder / "results.json").write_text(json.dumps({"results": results, "config": {
        "model": "hf", "model_args": "pretrained=EleutherAI/pythia-70m-seed3,revision=step143000"}}))
    assert_refused(["ingest", str(folder), "--out", "new.parquet"], capfd, [offline, folder],
                   str(folder / "results.json"), words)


# Option values beyond what the verb can do, as argv tails of a verb that is otherwise right.
OPTION_MISTAKES = st.one_of(
    (st.integers(-10**12, MIN_RESAMPLES - 1) | st.integers(MAX_RESAMPLES + 1, 10**15)).map(
        lambda n: ["analyze", "results.parquet", "--out", "new-analysis", "--resamples", str(n)]),
    (st.integers(MAX_SEEDS, 10**15).map(lambda n: f"0-{n}") | LETTERS.filter(lambda text: not text.strip(" ").isdigit())
     ).map(lambda seeds: ["train", "--family", "cpu_depth", "--seeds", seeds, "--preset", "smoke", "--out", "new-runs"]),
    st.integers(1001, 10**15).map(
        lambda n: ["eval", POPULATION, "--out", "new.parquet", "--test-lengths", f"1-{n}"]),
    (st.sampled_from(["cdua", "gpu", "CUDA", "cuda:99", "meta", "cuda:x"])
     | LETTERS.filter(lambda name: name.split(":")[0] not in ("cpu", "cuda", "mps", "xpu"))).flatmap(
        lambda device: st.sampled_from([["eval", POPULATION, "--out", "new.parquet", "--device", device],
                                        ["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", "new.parquet",
                                         "--device", device]])),
    st.tuples(st.sampled_from(["--power", "--alpha", "--ci-width"]),
              st.floats(1, 1e9) | st.floats(-1e9, 0)).map(lambda option: ["plan", "results.parquet", option[0],
                                                                         str(option[1])]),
    # A name rule that cannot name a seed: not a regex, or one without (?P<seed>...).
    st.text(alphabet="abc()[]?P<>*+\\-_.", min_size=1, max_size=16).map(
        lambda rule: ["ingest", "lm-eval/mixed", "--out", "new.parquet", f"--name-rule={rule}"]),
    # Flags that do not go together: a card's results table for a dataset push.
    st.sampled_from(["results.parquet", "no-such.parquet"]).map(
        lambda table: ["hub", "push", "dataset", "work", "org/name", "--results", table]),
)


@settings(GENERATED, max_examples=42)  # six examples for each of the seven kinds, on average
@given(argv=OPTION_MISTAKES)
def test_a_generated_option_beyond_its_ceiling_is_one_line(offline, argv, capfd):
    assert_refused(argv, capfd, [offline])


HOSTILE_INPUTS = st.tuples(
    st.sampled_from(["no/such/dir", "results.parquet", "work/notes.md", "ünïcødé dir", "dir with spaces/and more"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._ é", min_size=1, max_size=20) | st.just("x" * 300),
).map("/".join)


@GENERATED
@given(path=HOSTILE_INPUTS, reader=st.sampled_from(TABLE_READERS[:3] + (("eval", "{}", "--out", "new.parquet"),
                                                                       ("ingest", "{}", "--out", "new.parquet"))))
def test_a_hostile_input_path_is_one_line(offline, path, reader, capfd):
    """Inputs under missing folders or under a file, with spaces, accents or a name too long for the system."""
    assert_refused([path if part == "{}" else part for part in reader], capfd, [offline])


@pytest.mark.parametrize("argv", [
    ["analyze", "results.parquet", "--out", "results.parquet"],
    ["leaderboard", "build", "results.parquet", "--out", "results.parquet"],
    ["ingest", "lm-eval/copy/results.json", "--out", "lm-eval/copy/results.json"],
    ["eval", POPULATION, "--out", POPULATION],
    ["lm-eval", POPULATION, "--tasks", "distscale_mc", "--out", POPULATION],
], ids=lambda argv: " ".join(argv))
def test_an_output_that_is_an_input_changes_nothing(offline, argv, capfd):
    """Refusing such an --out is the outputs helper's job; here only: no traceback, the input as it was."""
    before = fingerprint(offline)
    code, out, err = run(argv, capfd)
    assert "Traceback" not in out + err
    assert fingerprint(offline) == before


def test_resamples_that_would_not_fit_in_memory_are_refused_with_the_estimate(offline, capfd, tmp_path):
    """Under the ceiling, but a series of many seeds: the bootstrap's memory is estimated before it runs."""
    seeds = 2 * psutil.virtual_memory().available // (BYTES_PER_DRAW * MAX_RESAMPLES) + 1
    table = synthetic_results([0.5], n_seeds=int(seeds))
    write_table(table, tmp_path / "many-seeds.parquet")
    line = assert_refused(["analyze", str(tmp_path / "many-seeds.parquet"), "--out", str(tmp_path / "analysis"),
                           "--resamples", str(MAX_RESAMPLES)], capfd, [offline, tmp_path], "GiB of memory is available")
    assert f"({seeds} seeds over its scales)" in line
