"""The Hub stage: repo layouts, cards, staging, push/pull, and reading by repo id.

A population is one model repo (`<scale>/seed-XXXX/` subfolders, `population.json`,
`seeds.parquet`, a model card), the dataset one dataset repo, and results one
dataset repo with one config per population. See `hf_distscale.formats.population`.
"""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "parse_seed_uri": "hf_distscale.formats.population",
    "seed_uri": "hf_distscale.formats.population",
    "seeds_index": "hf_distscale.formats.population",
    "download_seed": "hf_distscale.hub.reading",
    "is_population_repo": "hf_distscale.hub.reading",
    "population_repo_identity": "hf_distscale.hub.reading",
    "population_repo_seeds": "hf_distscale.hub.reading",
    "read_results": "hf_distscale.hub.reading",
    "stage_all": "hf_distscale.hub.staging",
    "stage_dataset": "hf_distscale.hub.staging",
    "stage_population": "hf_distscale.hub.staging",
    "stage_results": "hf_distscale.hub.staging",
    "pull_folder": "hf_distscale.hub.transfer",
    "push_dataset": "hf_distscale.hub.transfer",
    "push_folder": "hf_distscale.hub.transfer",
    "push_population": "hf_distscale.hub.transfer",
    "push_results": "hf_distscale.hub.transfer",
    "push_space": "hf_distscale.hub.transfer",
})

__all__ = [
    "download_seed",
    "is_population_repo",
    "parse_seed_uri",
    "population_repo_identity",
    "population_repo_seeds",
    "pull_folder",
    "push_dataset",
    "push_folder",
    "push_population",
    "push_results",
    "push_space",
    "read_results",
    "seed_uri",
    "seeds_index",
    "stage_all",
    "stage_dataset",
    "stage_population",
    "stage_results",
]
