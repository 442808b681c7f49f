"""Population evaluation: one model resolver, one resumable loop, a counting and an lm-eval adapter."""

from hf_distscale.evaluation.forward import generate_scores, teacher_forced_scores
from hf_distscale.evaluation.metrics import score_tokens, summarize
from hf_distscale.evaluation.models import ModelRef, model_folder, resolve_models
from hf_distscale.evaluation.pass_until import pass_until_estimate, sample_until
from hf_distscale.evaluation.run import evaluate_population, load_model

__all__ = [
    "ModelRef",
    "evaluate_population",
    "generate_scores",
    "load_model",
    "model_folder",
    "pass_until_estimate",
    "resolve_models",
    "sample_until",
    "score_tokens",
    "summarize",
    "teacher_forced_scores",
]
