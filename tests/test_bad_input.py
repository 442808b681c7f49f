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

import pytest

from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main
from hf_distscale.formats.results import empty_table, write_table
from hf_distscale.training import train_population

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
    # Outputs (issue 28): never over or inside an input, never a file where a folder goes (or the
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
    return root


def write_lm_eval_results(folder: Path, name: str, tasks: list[str]) -> None:
    """An lm-eval results file of model EleutherAI/<name> that holds `tasks`."""
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({
        "results": {task: {"acc,none": 0.5, "alias": task} for task in tasks},
        "config": {"model": "hf", "model_args": f"pretrained=EleutherAI/{name},revision=step143000"},
    }))


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


@pytest.mark.parametrize("argv, words", CASES, ids=[" ".join(argv) or "(nothing)" for argv, _ in CASES])
def test_a_mistake_is_one_line_exit_2_and_nothing_lost(world, argv, words, capfd, monkeypatch):
    monkeypatch.chdir(world)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a Hub call would be a mistake not caught before the network
    monkeypatch.delenv("HF_TOKEN", raising=False)
    before = fingerprint(world)
    code, out, err = run(argv, capfd)
    assert code == 2, f"exit {code}; stderr: {err}"
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1, f"stderr is not one line:\n{err}"
    assert lines[0].startswith("hf-distscale"), lines[0]
    assert words in lines[0], lines[0]
    assert fingerprint(world) == before, "a mistake changed or added files"


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
