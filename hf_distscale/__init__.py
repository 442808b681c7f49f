"""hf_distscale: distributional scaling of emergent capabilities across seed populations."""

__version__ = "0.1.0"
