"""The counting task as a Hugging Face dataset: builder and Hub-ready export."""

from hf_distscale.data.builder import CountingBuilder, test_split_name
from hf_distscale.data.export import export_dataset

__all__ = ["CountingBuilder", "export_dataset", "test_split_name"]
