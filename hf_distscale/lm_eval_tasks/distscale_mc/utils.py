"""Load the toy world's questions for one subject (dev.json, test.json: JSON Lines, here).

The files are written by `hf_distscale.tasks.toy_knowledge.export_questions(<this folder>)`;
paths are made absolute here because lm-eval resolves relative `data_files`
against the working directory.
"""

from pathlib import Path

import datasets

HERE = Path(__file__).parent


def load_questions(subject=None, **_other_metadata):
    """Both splits, restricted to `subject` (from the task's dataset_kwargs)."""
    files = {split: str(HERE / f"{split}.json") for split in ("dev", "test")}
    data = datasets.load_dataset("json", data_files=files)
    return data.filter(lambda row: row["subject"] == subject)
