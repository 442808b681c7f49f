"""Task definitions: the counting task, its presets and its tokenizer."""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "CountingTask": "hf_distscale.tasks.counting",
    "labels_from_mask": "hf_distscale.tasks.counting",
    "build_tokenizer": "hf_distscale.tasks.tokenizer",
})

__all__ = ["CountingTask", "build_tokenizer", "labels_from_mask"]
