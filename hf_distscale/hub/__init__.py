"""The Hub stage: repo layouts, cards, staging, push/pull, and reading by repo id.

A population is one model repo (`<scale>/seed-XXXX/` subfolders, `population.json`,
`seeds.parquet`, a model card), the dataset one dataset repo, and results one
dataset repo with one config per population. See `hf_distscale.formats.population`.
"""

from hf_distscale.formats.population import parse_seed_uri, seed_uri, seeds_index
from hf_distscale.hub.reading import (
    download_seed,
    is_population_repo,
    population_repo_identity,
    population_repo_seeds,
    read_results,
)
from hf_distscale.hub.staging import stage_all, stage_dataset, stage_population, stage_results
from hf_distscale.hub.transfer import (
    pull_folder,
    push_dataset,
    push_folder,
    push_population,
    push_results,
    push_space,
)

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
