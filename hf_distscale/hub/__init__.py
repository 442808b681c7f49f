"""Push folders (dataset exports, populations, results) to the Hugging Face Hub and pull them back."""

from hf_distscale.hub.transfer import pull_folder, push_folder

__all__ = ["pull_folder", "push_folder"]
