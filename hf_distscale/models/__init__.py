"""Model scales: families as YAML data, `LlamaConfig` building and parameter counting."""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "Scale": "hf_distscale.models.scales",
    "available_families": "hf_distscale.models.scales",
    "config_json": "hf_distscale.models.scales",
    "count_parameters": "hf_distscale.models.scales",
    "family_scales": "hf_distscale.models.scales",
    "llama_config": "hf_distscale.models.scales",
    "make_scale": "hf_distscale.models.scales",
    "select_scales": "hf_distscale.models.scales",
    "solve_hidden_size": "hf_distscale.models.scales",
})

__all__ = [
    "Scale",
    "available_families",
    "config_json",
    "count_parameters",
    "family_scales",
    "llama_config",
    "make_scale",
    "select_scales",
    "solve_hidden_size",
]
