"""The datasets builder and its Hub-ready export, read back with `load_dataset`."""

import json
import subprocess
import sys

import datasets
import numpy as np
import pytest
import yaml
from lm_eval.tasks import TaskManager

from hf_distscale.data import CountingBuilder, export_dataset, write_counting_tasks
from hf_distscale.presets import available_presets, load_preset
from hf_distscale.tasks import CountingTask


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "counting"
    result = subprocess.run(
        ["hf-distscale", "dataset", "build", "--preset", "paper", "--preset", "smoke",
         "--train-rows", "300", "--out", str(out)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_separate_process_loads_paper_test_len60(exported):
    script = f"""
import datasets, json
ds = datasets.load_dataset({str(exported)!r}, "paper", split="test_len60")
print(json.dumps({{"rows": len(ds), "texts": list(ds["text"]), "starts": list(ds["start"])}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["rows"] == 146 - 60 + 1 == 87
    for a, text in zip(loaded["starts"], loaded["texts"]):
        b = a + 59
        assert text == " ".join(["$", str(a), str(b), ">", *map(str, range(a, b + 1)), "."])


def test_config_names_and_splits_are_listed(exported):
    assert sorted(datasets.get_dataset_config_names(str(exported))) == ["paper", "smoke"]
    splits = datasets.get_dataset_split_names(str(exported), "smoke")
    assert sorted(splits) == ["test_len10", "test_len6", "test_len8", "train"]
    card = (exported / "README.md").read_text()
    assert "config_name: paper" in card and "## How it was made" in card


def test_load_dataset_round_trips_the_generator(exported):
    task = CountingTask.from_preset("smoke", train_rows=300)
    loaded = datasets.load_dataset(str(exported), "smoke")
    for length in task.test_lengths:
        split = loaded[f"test_len{length}"]
        expected = task.test_set(length)
        np.testing.assert_array_equal(np.array(split["input_ids"]), expected["input_ids"])
        np.testing.assert_array_equal(np.array(split["loss_mask"]), expected["loss_mask"])
        assert list(split["count_length"]) == [length] * len(split)
        assert {row["prompt"] + " " + row["answer"] for row in split} == set(list(split["text"]))
    train = loaded["train"]
    assert len(train) == 300
    first_block = task.training_batch(0, 0, 300)
    np.testing.assert_array_equal(np.array(train["input_ids"]), first_block["input_ids"])
    np.testing.assert_array_equal(np.array(train["loss_mask"]), first_block["loss_mask"])


def test_builder_works_directly(tmp_path):
    builder = CountingBuilder(config_name="smoke", cache_dir=str(tmp_path))
    builder.download_and_prepare()
    test = builder.as_dataset(split="test_len6")
    assert len(test) == 24 - 6 + 1
    assert test.features["input_ids"].feature.dtype == "int32"
    assert test.features["split_kind"].names == ["train", "test"]


def test_export_refuses_to_overwrite(exported):
    with pytest.raises(ValueError, match="not empty.*--overwrite"):
        export_dataset(["smoke"], exported)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "nope"], "unknown preset 'nope'"),
        (["--preset", "smoke", "--train-rows", "0"], "train_rows"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = subprocess.run(
        ["hf-distscale", "dataset", "build", *args, "--out", str(tmp_path / "x")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_lm_eval_tasks_are_one_per_preset_test_length_and_a_group_of_them(tmp_path):
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "counting_removed_len5.yaml").write_text("task: counting_removed_len5\n")
    write_counting_tasks(folder)
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    expected = set()
    for preset in available_presets():
        members = [f"counting_{preset}_len{length}" for length in load_preset(preset)["task"]["test_lengths"]]
        assert set(members) <= set(manager.all_subtasks)
        assert f"counting_{preset}" in manager.all_groups
        assert yaml.safe_load((folder / f"counting_{preset}.yaml").read_text())["task"] == members
        expected |= {f"counting_{preset}", *members}
    assert {path.stem for path in folder.glob("*.yaml")} == expected


@pytest.mark.parametrize("preset", ["smoke", "paper"])
def test_lm_eval_counting_group_reads_each_test_split_of_the_exported_dataset(exported, tmp_path, preset):
    manager = TaskManager(include_path=str(write_counting_tasks(tmp_path)), include_defaults=False,
                          metadata={"data_dir": str(exported)})
    loaded = manager.load([f"counting_{preset}"])
    lengths = load_preset(preset)["task"]["test_lengths"]
    assert loaded["group_map"][f"counting_{preset}"] == [f"counting_{preset}_len{length}" for length in lengths]
    for length in lengths:
        split = datasets.load_dataset(str(exported), preset, split=f"test_len{length}")
        docs = list(loaded["tasks"][f"counting_{preset}_len{length}"].test_docs())
        assert [(doc["prompt"], doc["answer"]) for doc in docs] == list(zip(split["prompt"], split["answer"]))
