"""Model scales: families as YAML data, `LlamaConfig` building and parameter counting."""

from hf_distscale.models.scales import (
    Scale,
    available_families,
    config_json,
    count_parameters,
    family_scales,
    llama_config,
    make_scale,
    select_scales,
    solve_hidden_size,
)

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
