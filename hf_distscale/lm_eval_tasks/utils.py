"""Load the exported counting dataset for lm-eval tasks.

The folder (or Hub repo id) comes from lm-eval's `--metadata data_dir=PATH`
(or `TaskManager(metadata={"data_dir": PATH})`); lm-eval passes the metadata
and the task's `dataset_kwargs` to this function.
"""

import datasets


def load_counting(data_dir=None, config_name=None, **_other_metadata):
    """All splits of one preset's config; `_other_metadata` (model args, version) is not ours."""
    if not data_dir:
        raise ValueError(
            "data_dir: the counting tasks need the exported dataset; pass "
            "--metadata data_dir=/path/to/dataset (made by `hf-distscale dataset build`)"
        )
    return datasets.load_dataset(data_dir, config_name)
