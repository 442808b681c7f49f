"""Population training: many seeds per scale, sharded over Accelerate processes, resumable."""

from hf_distscale.training.config import TrainingConfig
from hf_distscale.training.population import train_population
from hf_distscale.training.seeds import parse_seeds
from hf_distscale.training.trainer import train_seed

__all__ = ["TrainingConfig", "parse_seeds", "train_population", "train_seed"]
