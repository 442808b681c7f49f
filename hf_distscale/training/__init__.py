"""Population training: many seeds per scale, one at a time or stacked, sharded over processes, resumable."""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "TrainingConfig": "hf_distscale.training.config",
    "train_population": "hf_distscale.training.population",
    "parse_seeds": "hf_distscale.training.seeds",
    "train": "hf_distscale.training.trainer",
    "train_seed": "hf_distscale.training.trainer",
})

__all__ = ["TrainingConfig", "parse_seeds", "train", "train_population", "train_seed"]
