"""Task definitions: the counting task, its presets and its tokenizer."""

from hf_distscale.tasks.counting import CountingTask, labels_from_mask
from hf_distscale.tasks.tokenizer import build_tokenizer

__all__ = ["CountingTask", "build_tokenizer", "labels_from_mask"]
