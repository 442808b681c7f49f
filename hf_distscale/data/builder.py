"""The counting task as a `datasets` builder: one config per preset.

datasets 5 no longer runs loading scripts, so the builder is used from Python
(`download_and_prepare()` / `as_dataset()`) and exported to a Parquet folder
that `load_dataset(folder, config)` reads (see `export.py`).
"""

from __future__ import annotations

import datasets
import numpy as np

from hf_distscale.presets import available_presets, load_preset
from hf_distscale.tasks import CountingTask, build_tokenizer

TRAIN_BLOCK_ROWS = 1024  # rows generated per `training_batch` call

FEATURES = datasets.Features(
    {
        "text": datasets.Value("string"),
        "prompt": datasets.Value("string"),
        "answer": datasets.Value("string"),
        "input_ids": datasets.Sequence(datasets.Value("int32")),
        "loss_mask": datasets.Sequence(datasets.Value("int8")),
        "count_length": datasets.Value("int32"),
        "start": datasets.Value("int32"),
        "split_kind": datasets.ClassLabel(names=["train", "test"]),
    }
)


def test_split_name(length: int) -> str:
    return f"test_len{length}"


class CountingConfig(datasets.BuilderConfig):
    """A preset's task, plus the seed of the finite training sample."""

    def __init__(self, task: CountingTask, train_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.task = task
        self.train_seed = train_seed


class CountingBuilder(datasets.GeneratorBasedBuilder):
    """Packed training rows (`train`) and every window per test length (`test_len{L}`).

    Packed training rows hold several examples, so their `count_length` and
    `start` are -1 and their `prompt` and `answer` are empty.
    """

    BUILDER_CONFIG_CLASS = CountingConfig
    BUILDER_CONFIGS = [
        CountingConfig(
            name=name,
            task=CountingTask.from_preset(name),
            description=load_preset(name)["description"],
        )
        for name in available_presets()
    ]
    DEFAULT_CONFIG_NAME = "reduced"

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=self.config.description, features=FEATURES)

    def _split_generators(self, dl_manager):
        task = self.config.task
        splits = [datasets.SplitGenerator(name=datasets.Split.TRAIN, gen_kwargs={"length": None})]
        splits += [
            datasets.SplitGenerator(name=test_split_name(length), gen_kwargs={"length": length})
            for length in task.test_lengths
        ]
        return splits

    def _generate_examples(self, length):
        task = self.config.task
        words = np.array(build_tokenizer(task).convert_ids_to_tokens(list(range(task.vocab_size))))
        if length is None:
            yield from self._train_rows(task, words)
        else:
            yield from self._test_rows(task, words, length)

    def _train_rows(self, task, words):
        for block_start in range(0, task.train_rows, TRAIN_BLOCK_ROWS):
            rows = min(TRAIN_BLOCK_ROWS, task.train_rows - block_start)
            batch = task.training_batch(self.config.train_seed, block_start // TRAIN_BLOCK_ROWS, rows)
            for i, (ids, mask) in enumerate(zip(batch["input_ids"], batch["loss_mask"])):
                yield block_start + i, {
                    "text": " ".join(words[ids]),
                    "prompt": "",
                    "answer": "",
                    "input_ids": ids,
                    "loss_mask": mask,
                    "count_length": -1,
                    "start": -1,
                    "split_kind": "train",
                }

    def _test_rows(self, task, words, length):
        examples = task.test_set(length)
        for i, (ids, mask, start) in enumerate(
            zip(examples["input_ids"], examples["loss_mask"], examples["start"])
        ):
            tokens = words[ids]
            split_at = int(np.argmax(mask))
            yield i, {
                "text": " ".join(tokens),
                "prompt": " ".join(tokens[:split_at]),
                "answer": " ".join(tokens[split_at:]),
                "input_ids": ids,
                "loss_mask": mask,
                "count_length": length,
                "start": int(start),
                "split_kind": "test",
            }
