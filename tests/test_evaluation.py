"""Population evaluation: teacher-forced EM vs generate(), the results table, resume, bad input."""

import json
import shutil

import pandas as pd
import pytest
import torch

from eval_helpers import seed_folder, small_population, tiny_llama, trained_population, write_seed
from hf_distscale.cli import main
from hf_distscale.evaluation import evaluate_population, generate_scores, load_model, resolve_models
from hf_distscale.evaluation import run as run_module
from hf_distscale.evaluation import teacher_forced_scores
from hf_distscale.formats.results import COLUMNS
from hf_distscale.tasks import CountingTask

torch.set_num_threads(1)
SMOKE = CountingTask.from_preset("smoke")


def _trained_model():
    return load_model(resolve_models([str(trained_population())])[0])


@pytest.mark.parametrize("which", ["trained", "random"])
@pytest.mark.parametrize("length", [6, 8, 10])
def test_teacher_forced_em_equals_generate_em_per_example(which, length):
    model = _trained_model() if which == "trained" else tiny_llama(SMOKE, 64, 2, init_seed=7).eval()
    fast = teacher_forced_scores(model, SMOKE, length)
    reference = generate_scores(model, SMOKE, length)
    assert (fast["exact"] == reference["exact"]).all()
    assert (fast["exact_answer_only"] == reference["exact_answer_only"]).all()


def test_trained_model_is_a_non_trivial_case():
    """The equivalence test above must see both right and wrong answers."""
    model = _trained_model()
    assert teacher_forced_scores(model, SMOKE, 6)["exact"].all()
    assert not teacher_forced_scores(model, SMOKE, 10)["exact"].all()
    assert 0 < teacher_forced_scores(model, SMOKE, 8)["exact"].mean() < 1


def test_population_table_has_one_row_per_seed_and_length(tmp_path):
    out = tmp_path / "results.parquet"
    table = evaluate_population(small_population(), out, generate=True)
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 2 * 4 * len(SMOKE.test_lengths)
    assert set(table["scale"]) == {"l1", "l2"} and set(table["seed"]) == {0, 1, 2, 3}
    assert (table[table["scale"] == "l2"]["scale_index"] == 1).all()
    assert (table["em"] == table["em_generate"]).all()
    assert (table["n_examples"] == SMOKE.num_numbers - table["test_length"] + 1).all()
    pd.testing.assert_frame_equal(pd.read_parquet(out), table, check_dtype=False)


@pytest.fixture
def load_calls(monkeypatch):
    calls = []

    def counting_load(entry, device="cpu"):
        calls.append(entry.identity["seed"])
        return load_model(entry, device)

    monkeypatch.setattr(run_module, "load_model", counting_load)
    return calls


def test_rerun_skips_finished_work_and_recomputes_deleted_seed(tmp_path, load_calls):
    out = tmp_path / "results.parquet"
    first = evaluate_population(small_population(), out)
    assert len(load_calls) == 8
    load_calls.clear()
    evaluate_population(small_population(), out)
    assert load_calls == []

    kept = first[~((first["scale"] == "l2") & (first["seed"] == 2))]
    kept.to_parquet(out, index=False)
    again = evaluate_population(small_population(), out)
    assert load_calls == [2]
    key = ["scale", "seed", "test_length"]
    pd.testing.assert_frame_equal(
        again.sort_values(key).reset_index(drop=True), first.sort_values(key).reset_index(drop=True)
    )


def test_interrupted_run_resumes(tmp_path, monkeypatch):
    out = tmp_path / "results.parquet"
    loaded = []

    def failing_load(entry, device="cpu"):
        if len(loaded) == 3:
            raise KeyboardInterrupt
        loaded.append(entry)
        return load_model(entry, device)

    monkeypatch.setattr(run_module, "load_model", failing_load)
    with pytest.raises(KeyboardInterrupt):
        evaluate_population(small_population(), out)
    assert pd.read_parquet(out)["model_path"].nunique() == 3
    monkeypatch.setattr(run_module, "load_model", load_model)
    assert evaluate_population(small_population(), out)["model_path"].nunique() == 8


def test_extra_test_lengths_add_rows(tmp_path):
    out = tmp_path / "results.parquet"
    evaluate_population(trained_population(), out, test_lengths=[6])
    table = evaluate_population(trained_population(), out, test_lengths=[6, 12])
    assert sorted(table["test_length"]) == [6, 12]


def test_cli_eval_writes_table(tmp_path, capsys):
    out = tmp_path / "results.parquet"
    assert (
        main(["eval", str(trained_population()), "--out", str(out), "--test-lengths", "6-10:2"])
        == 0
    )
    assert sorted(pd.read_parquet(out)["test_length"]) == [6, 8, 10]
    assert "wrote 3 rows" in capsys.readouterr().out


def test_model_folder_without_record_needs_preset(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(seed_folder(trained_population()), folder)
    (folder / "seed_record.json").unlink()
    with pytest.raises(ValueError, match="--preset"):
        evaluate_population(folder, tmp_path / "r.parquet")
    table = evaluate_population(folder, tmp_path / "r.parquet", preset="smoke", test_lengths=[8])
    reference = evaluate_population(
        trained_population(), tmp_path / "ref.parquet", test_lengths=[8]
    )
    assert table["em"].item() == reference["em"].item()
    assert table["num_parameters"].item() == reference["num_parameters"].item()


def _cli_error(capsys, argv):
    """Exit code 2 and one error line (after any progress bars)."""
    capsys.readouterr()
    assert main(argv) == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("hf-distscale eval: error: ")
    return message


def test_bad_input_vocab_mismatch(tmp_path, capsys):
    population = tmp_path / "pop"
    folder = write_seed(population, SMOKE, "l1", 0, seed=0, hidden=64, layers=1, steps=0)
    other = tiny_llama(CountingTask.from_preset("smoke", vocab_size=40), 64, 1)
    other.save_pretrained(folder)
    message = _cli_error(capsys, ["eval", str(population), "--out", str(tmp_path / "r.parquet")])
    assert "vocab_size 40" in message and "28" in message


def test_bad_input_missing_config(tmp_path, capsys):
    folder = tmp_path / "pop" / "l1" / "seed-0000"
    shutil.copytree(seed_folder(trained_population()), folder)
    (folder / "config.json").unlink()
    message = _cli_error(
        capsys, ["eval", str(tmp_path / "pop"), "--out", str(tmp_path / "r.parquet")]
    )
    assert "config.json" in message


@pytest.mark.parametrize(
    "lengths, expected", [("30", "test length: 30 is impossible"), ("9-7", "empty")]
)
def test_bad_input_test_lengths(tmp_path, capsys, lengths, expected):
    arguments = ["eval", str(trained_population()), "--out", str(tmp_path / "r.parquet"),
                 "--test-lengths", lengths]
    assert expected in _cli_error(capsys, arguments)


def test_bad_input_empty_population(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    message = _cli_error(
        capsys, ["eval", str(tmp_path / "empty"), "--out", str(tmp_path / "r.parquet")]
    )
    assert "no finished seed" in message


def test_bad_input_language_model_population(tmp_path, capsys):
    """A population without a counting task (e.g. built by `reinit`) is pointed at `lm-eval`."""
    folder = tmp_path / "pop" / "l1" / "seed-0000"
    shutil.copytree(seed_folder(trained_population()), folder)
    record = json.loads((folder / "seed_record.json").read_text())
    del record["task"]
    (folder / "seed_record.json").write_text(json.dumps(record))
    message = _cli_error(
        capsys, ["eval", str(tmp_path / "pop"), "--out", str(tmp_path / "r.parquet")]
    )
    assert "not trained on the counting task" in message and "hf-distscale lm-eval" in message
