"""The counting task's lm-eval tasks, written from the presets' task sections.

Per preset, one loglikelihood task per test length (`counting_<preset>_len<L>`,
split `test_len<L>` of the preset's config of an exported dataset) and one
group (`counting_<preset>`) that averages acc over the lengths. Adding a preset
or a test length adds its tasks. The dataset folder (or Hub repo id) comes
from lm-eval's `--metadata data_dir=PATH`:

    lm-eval run --include_path "$(python -c 'from hf_distscale.data import write_counting_tasks; print(write_counting_tasks())')" \\
        --tasks counting_reduced_len18 --metadata '{"data_dir": "outputs/demo/dataset"}' ...
"""

from __future__ import annotations

import os
from pathlib import Path

import datasets
import yaml

import hf_distscale
from hf_distscale.data.builder import test_split_name
from hf_distscale.formats.outputs import write_file
from hf_distscale.presets import available_presets
from hf_distscale.tasks import CountingTask

SHIPPED_TASKS = Path(hf_distscale.__file__).parent / "lm_eval_tasks"

# `acc` is lm-eval's is_greedy flag: 1 when greedy decoding would produce the
# answer and `.`, i.e. the EM of `hf-distscale eval`.
TASK_YAML = """\
# Written by hf_distscale.data.lm_eval_tasks from the `{preset}` preset.
task: {task}
tag: counting
output_type: loglikelihood
custom_dataset: !function hf_distscale.data.lm_eval_tasks.load_counting
dataset_kwargs:
  config_name: {preset}
test_split: {split}
doc_to_text: prompt
doc_to_target: answer
target_delimiter: " "
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: perplexity
    aggregation: perplexity
    higher_is_better: false
metadata:
  version: 1.0
"""


def counting_task_name(preset: str, length: int | None = None) -> str:
    """`counting_<preset>`, the group, or `counting_<preset>_len<length>`, one test length."""
    return f"counting_{preset}" if length is None else f"counting_{preset}_len{length}"


def counting_task_files(presets: list[str] | None = None) -> dict[str, str]:
    """File name -> YAML text of every counting task and group of `presets` (default: all)."""
    files = {}
    for preset in presets or available_presets():
        lengths = CountingTask.from_preset(preset).test_lengths
        for length in lengths:
            name = counting_task_name(preset, length)
            files[f"{name}.yaml"] = TASK_YAML.format(preset=preset, task=name, split=test_split_name(length))
        group = {
            "group": counting_task_name(preset),
            "task": [counting_task_name(preset, length) for length in lengths],
            "aggregate_metric_list": [{"metric": "acc", "aggregation": "mean", "weight_by_size": False}],
            "metadata": {"version": 1.0},
        }
        files[f"{counting_task_name(preset)}.yaml"] = (
            f"# Every test length of the `{preset}` preset; acc is averaged over lengths.\n"
            + yaml.safe_dump(group, sort_keys=False))
    return files


def default_task_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hf_distscale" / "lm_eval_tasks"


def write_counting_tasks(folder: str | Path | None = None) -> Path:
    """Write every preset's counting tasks into `folder` (default: a user cache folder); return it.

    Files that already match are left alone and counting tasks of presets that
    no longer exist are removed, so the folder always equals the presets.
    Each file is replaced atomically: concurrent runs may share the folder.
    """
    folder = Path(folder) if folder else default_task_folder()
    folder.mkdir(parents=True, exist_ok=True)
    files = counting_task_files()
    for stale in folder.glob("counting_*.yaml"):
        if stale.name not in files:
            stale.unlink(missing_ok=True)
    for name, text in files.items():
        path = folder / name
        if not path.is_file() or path.read_text() != text:
            write_file(path, text.encode())
    return folder


def lm_eval_task_folders() -> list[str]:
    """`TaskManager(include_path=...)` for every task of ours: the shipped ones and the counting ones."""
    return [str(SHIPPED_TASKS), str(write_counting_tasks())]


def load_counting(data_dir=None, config_name=None, **_other_metadata):
    """All splits of one preset's config; lm-eval passes its metadata (`data_dir`) and the task's `dataset_kwargs`.

    `_other_metadata` (model args, version) is not ours.
    """
    if not data_dir:
        raise ValueError(
            "data_dir: the counting tasks need the exported dataset; pass "
            "--metadata data_dir=/path/to/dataset (made by `hf-distscale dataset build`)"
        )
    return datasets.load_dataset(data_dir, config_name)
