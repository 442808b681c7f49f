"""The counting task as a Hugging Face dataset: builder, Hub-ready export, and its lm-eval tasks."""

from hf_distscale.data.builder import CountingBuilder, test_split_name
from hf_distscale.data.export import export_dataset
from hf_distscale.data.lm_eval_tasks import lm_eval_task_folders, write_counting_tasks

__all__ = ["CountingBuilder", "export_dataset", "lm_eval_task_folders", "test_split_name", "write_counting_tasks"]
