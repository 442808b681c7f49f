"""Population evaluation: teacher-forced EM, continuous metrics, generate() reference, PassUntil."""

from hf_distscale.evaluation.forward import generate_scores, teacher_forced_scores
from hf_distscale.evaluation.metrics import score_tokens, summarize
from hf_distscale.evaluation.pass_until import pass_until_estimate, sample_until
from hf_distscale.evaluation.population import find_models, load_model
from hf_distscale.evaluation.run import evaluate_population

__all__ = [
    "evaluate_population",
    "find_models",
    "generate_scores",
    "load_model",
    "pass_until_estimate",
    "sample_until",
    "score_tokens",
    "summarize",
    "teacher_forced_scores",
]
