"""Population training: many seeds per scale, one at a time or stacked, sharded over processes, resumable."""

from hf_distscale.training.config import TrainingConfig
from hf_distscale.training.population import train_population
from hf_distscale.training.seeds import parse_seeds
from hf_distscale.training.trainer import train, train_seed

__all__ = ["TrainingConfig", "parse_seeds", "train", "train_population", "train_seed"]
