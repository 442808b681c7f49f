"""Population evaluation: one model resolver, one resumable loop, a counting and an lm-eval adapter."""

from hf_distscale import lazy_exports

# Imported on first use, so that `hf-distscale --help` and its instant errors load no torch.
__getattr__ = lazy_exports(__name__, {
    "generate_scores": "hf_distscale.evaluation.forward",
    "teacher_forced_scores": "hf_distscale.evaluation.forward",
    "score_tokens": "hf_distscale.evaluation.metrics",
    "summarize": "hf_distscale.evaluation.metrics",
    "ModelRef": "hf_distscale.evaluation.models",
    "model_folder": "hf_distscale.evaluation.models",
    "resolve_models": "hf_distscale.evaluation.models",
    "pass_until_estimate": "hf_distscale.evaluation.pass_until",
    "sample_until": "hf_distscale.evaluation.pass_until",
    "evaluate_population": "hf_distscale.evaluation.run",
    "load_model": "hf_distscale.evaluation.run",
})

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
