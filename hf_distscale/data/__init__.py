"""The counting task as a Hugging Face dataset: builder, Hub-ready export, and its lm-eval tasks."""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "CountingBuilder": "hf_distscale.data.builder",
    "test_split_name": "hf_distscale.data.builder",
    "export_dataset": "hf_distscale.data.export",
    "lm_eval_task_folders": "hf_distscale.data.lm_eval_tasks",
    "write_counting_tasks": "hf_distscale.data.lm_eval_tasks",
})

__all__ = ["CountingBuilder", "export_dataset", "lm_eval_task_folders", "test_split_name", "write_counting_tasks"]
