"""Export the builder's configs as a Hub-ready dataset folder.

The folder holds `<config>/<split>-XXXXX-of-YYYYY.parquet` shards and a
README.md dataset card whose YAML `configs:` maps every config and split to
its files, so `load_dataset(folder_or_repo, config, split=...)` works without
any loading script.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import yaml
from tqdm.auto import tqdm

from hf_distscale.data.builder import CountingBuilder, test_split_name
from hf_distscale.formats.outputs import DATASET, folder_output
from hf_distscale.presets import load_preset
from hf_distscale.tasks import CountingTask

CARD_TEMPLATE = Path(__file__).with_name("dataset_card.md")


def export_dataset(
    presets: list[str],
    out_dir: str | Path,
    train_rows: int | None = None,
    train_seed: int = 0,
    shard_rows: int = 10_000,
    overwrite: bool = False,
) -> Path:
    """Build every preset with `CountingBuilder` and write Parquet shards plus a card.

    The folder is built aside and swapped in whole, under a lock
    (`formats.outputs.folder_output`); `out_dir` must be new or empty
    unless `overwrite`.
    """
    out_dir = Path(out_dir)
    overrides = {} if train_rows is None else {"train_rows": train_rows}
    tasks = [CountingTask.from_preset(name, **overrides) for name in presets]
    with folder_output(out_dir, DATASET, overwrite=overwrite) as folder, \
            tempfile.TemporaryDirectory() as cache_dir:
        for task in tqdm(tasks, desc="configs", unit="config"):
            builder = CountingBuilder(
                config_name=task.name, task=task, train_seed=train_seed, cache_dir=cache_dir
            )
            builder.download_and_prepare()
            for split in builder.info.splits:
                _write_shards(builder.as_dataset(split=split), folder / task.name, split, shard_rows)
        (folder / "README.md").write_text(dataset_card(tasks, train_seed))
    return out_dir


def _write_shards(dataset, folder: Path, split: str, shard_rows: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    num_shards = max(1, math.ceil(len(dataset) / shard_rows))
    for index in range(num_shards):
        shard = dataset.shard(num_shards=num_shards, index=index, contiguous=True)
        shard.to_parquet(str(folder / f"{split}-{index:05d}-of-{num_shards:05d}.parquet"))


def dataset_card(tasks: list[CountingTask], train_seed: int) -> str:
    """The README.md card: YAML `configs:` for `load_dataset`, then the documentation."""
    configs = [
        {
            "config_name": task.name,
            "data_files": [{"split": "train", "path": f"{task.name}/train-*.parquet"}]
            + [
                {"split": test_split_name(length), "path": f"{task.name}/{test_split_name(length)}-*.parquet"}
                for length in task.test_lengths
            ],
        }
        for task in tasks
    ]
    header = {
        "pretty_name": "hf_distscale counting task",
        "license": "apache-2.0",
        "task_categories": ["text-generation"],
        "tags": ["synthetic", "length-generalization", "emergence"],
        "configs": configs,
    }
    rows = "\n".join(
        f"| `{task.name}` | {task.vocab_size} | {task.num_numbers} | "
        f"{task.min_train_length}..{task.max_train_length} | {task.context_length} | "
        f"{task.train_rows} | {', '.join(map(str, task.test_lengths))} | "
        f"{load_preset(task.name)['description']} |"
        for task in tasks
    )
    example = tasks[0]
    return CARD_TEMPLATE.read_text().format(
        yaml_header=yaml.safe_dump(header, sort_keys=False).strip(),
        config_rows=rows,
        example_config=example.name,
        example_split=test_split_name(example.test_lengths[0]),
        train_seed=train_seed,
        task_json=json.dumps({task.name: task.to_dict() for task in tasks}, indent=2),
    )

