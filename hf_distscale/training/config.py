"""Training hyperparameters as data: the `training:` section of a preset, plus overrides."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from hf_distscale.presets import load_preset


@dataclass(frozen=True)
class TrainingConfig:
    """SPEC §4: AdamW, cosine decay after a linear warm-up, clipping, early convergence.

    Training stops after `max_steps`, or earlier once the in-distribution EM
    (evaluated every `eval_every` steps) has been 100% at `converged_evals`
    evaluations in a row.
    """

    batch_size: int
    max_steps: int
    learning_rate: float
    warmup_steps: int
    weight_decay: float
    max_grad_norm: float
    eval_every: int
    converged_evals: int
    checkpoint_every: int

    def __post_init__(self):
        check_training_fields(self, ("batch_size", "max_steps", "eval_every", "converged_evals",
                                     "checkpoint_every"))

    @classmethod
    def from_preset(cls, name: str, **overrides) -> "TrainingConfig":
        return training_from_dict(cls, dict(load_preset(name)["training"], **overrides))

    def to_dict(self) -> dict:
        return asdict(self)


def check_training_fields(training, counts: tuple[str, ...]) -> None:
    """The checks every training config shares: each of `counts` at least 1,
    0 <= warmup_steps <= max_steps, positive learning rate and clip norm, non-negative decay."""
    for name in counts:
        if int(getattr(training, name)) < 1:
            raise ValueError(f"training.{name}: {getattr(training, name)} must be at least 1")
    if not 0 <= training.warmup_steps <= training.max_steps:
        raise ValueError(
            f"training.warmup_steps: {training.warmup_steps} must lie in 0..max_steps ({training.max_steps})"
        )
    if training.learning_rate <= 0 or training.weight_decay < 0 or training.max_grad_norm <= 0:
        raise ValueError(
            "training: learning_rate and max_grad_norm must be positive, weight_decay non-negative"
        )


def training_from_dict(cls, values: dict):
    """A training dataclass `cls` from a preset's `training` section (values may be strings from
    --set): unknown or missing fields are errors, each value is cast to its field's type."""
    known = {f.name: f.type for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"training: unknown field(s) {unknown}; known fields are {', '.join(known)}")
    missing = sorted(set(known) - set(values))
    if missing:
        raise ValueError(f"training: missing field(s) {missing}")
    cast = {"int": int, "float": float}
    return cls(**{key: cast[known[key]](value) for key, value in values.items()})


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`["max_steps=200", "eval_every=50"]` -> {"max_steps": "200", "eval_every": "50"}."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"--set: {pair!r} is not KEY=VALUE; write e.g. --set max_steps=200")
        overrides[key.strip()] = value.strip()
    return overrides
