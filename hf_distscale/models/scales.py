"""Scale families -> model shapes -> `LlamaConfig` (SPEC §3).

A family is a YAML file in `families/`: a list of scales, each with a name,
a depth and (except for fixed-parameter families) a hidden size. Adding a
scale is adding a line; adding a family is adding a file.

Shape rules, shared by every family:

- Heads have dimension 64: heads = max(1, round(hidden / 64)) and
  `head_dim` = 64, so the attention width is heads * 64. transformers checks
  hidden % heads == 0, which holds for every multiple of 64; the
  fixed-parameter solver only visits hidden sizes that satisfy it.
- SwiGLU MLP of width round(8/3 * hidden): its three matrices hold
  3 * hidden * 8/3 * hidden = 8 h^2 parameters, and with the 4 h^2 of attention
  a layer keeps the 12 h^2 of a GPT-style block with a 4h GELU MLP.
- Untied input embedding and LM head; RMSNorm before attention, before the
  MLP, and at the end.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from hf_distscale.named_configs import config_names, load_named_config
from hf_distscale.tasks import CountingTask

FAMILY_DIR = Path(__file__).parent / "families"
HEAD_DIM = 64
MLP_RATIO = 8 / 3


@dataclass(frozen=True)
class Scale:
    """One model shape of a family; `index` is its position (0 = smallest)."""

    family: str
    name: str
    index: int
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    intermediate_size: int

    def to_dict(self) -> dict:
        return asdict(self)


def available_families() -> list[str]:
    return config_names(FAMILY_DIR)


def load_family(name: str) -> dict:
    """The raw family file: {"description", "scales", optional "target_parameters"}."""
    return load_named_config(FAMILY_DIR, "family", name)


def num_heads(hidden_size: int) -> int:
    """Heads of dimension 64: round(hidden / 64), at least one."""
    return max(1, round(hidden_size / HEAD_DIM))


def mlp_width(hidden_size: int) -> int:
    """SwiGLU width round(8/3 * hidden), so the MLP holds about 8 h^2 parameters."""
    return round(MLP_RATIO * hidden_size)


def count_parameters(num_layers: int, hidden_size: int, vocab_size: int) -> tuple[int, int]:
    """Exact (total, non-embedding) parameter counts of the Llama built by `llama_config`.

    Per layer: q, k, v, o = 4 * h * (heads * 64); gate, up, down = 3 * h * m;
    two RMSNorms = 2 h. Plus the final norm h and the untied embedding and
    LM head 2 * V * h. "Non-embedding" leaves out both V * h matrices.
    """
    attention = 4 * hidden_size * num_heads(hidden_size) * HEAD_DIM
    mlp = 3 * hidden_size * mlp_width(hidden_size)
    non_embedding = num_layers * (attention + mlp + 2 * hidden_size) + hidden_size
    return non_embedding + 2 * vocab_size * hidden_size, non_embedding


def solve_hidden_size(num_layers: int, vocab_size: int, target_parameters: int) -> int:
    """The hidden size whose total parameter count is closest to the target.

    Scans h = 64, 65, ... (the count grows with h) over sizes that transformers
    accepts (h divisible by its head count), and stops once the count passes
    the target. Ties go to the smaller h.
    """
    best, hidden = None, HEAD_DIM
    while True:
        if hidden % num_heads(hidden) == 0:
            total, _ = count_parameters(num_layers, hidden, vocab_size)
            if best is None or abs(total - target_parameters) < abs(best[1] - target_parameters):
                best = (hidden, total)
            if total > target_parameters:
                return best[0]
        hidden += 1


def make_scale(family: str, name: str, index: int, num_layers: int, hidden_size: int) -> Scale:
    """A scale of the given depth and width, with heads and MLP width by the shared rules."""
    return Scale(family=family, name=name, index=index, num_layers=num_layers,
                 hidden_size=hidden_size, num_attention_heads=num_heads(hidden_size),
                 intermediate_size=mlp_width(hidden_size))


def family_scales(name: str, task: CountingTask) -> list[Scale]:
    """Every scale of the family, smallest first, shaped for this task's vocabulary."""
    spec = load_family(name)
    scales = []
    for index, entry in enumerate(spec["scales"]):
        hidden = entry.get("hidden_size") or solve_hidden_size(
            entry["num_layers"], task.vocab_size, spec["target_parameters"]
        )
        scales.append(make_scale(name, entry["name"], index, entry["num_layers"], hidden))
    return scales


def select_scales(name: str, task: CountingTask, wanted: str | list[str]) -> list[Scale]:
    """The scales named in `wanted` ("all", "l1,l2" or a list), in family order."""
    scales = family_scales(name, task)
    if wanted == "all":
        return scales
    names = wanted.split(",") if isinstance(wanted, str) else list(wanted)
    known = [s.name for s in scales]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(
            f"scales: unknown scale(s) {unknown or names} in family {name!r}; "
            f"choose 'all' or a comma list of {', '.join(known)}"
        )
    return [s for s in scales if s.name in names]


def llama_config(scale: Scale, task: CountingTask) -> LlamaConfig:
    """The `LlamaConfig` of one scale; vocabulary, special ids and positions come from the task."""
    from transformers import LlamaConfig  # heavy (imports torch); scale families are read without it

    return LlamaConfig(
        architectures=["LlamaForCausalLM"],
        vocab_size=task.vocab_size,
        hidden_size=scale.hidden_size,
        intermediate_size=scale.intermediate_size,
        num_hidden_layers=scale.num_layers,
        num_attention_heads=scale.num_attention_heads,
        num_key_value_heads=scale.num_attention_heads,
        head_dim=HEAD_DIM,
        max_position_embeddings=task.context_length,
        hidden_act="silu",
        rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        attention_dropout=0.0,
        bos_token_id=task.start_id,
        eos_token_id=task.end_id,
        pad_token_id=task.pad_id,
    )


def config_json(scale: Scale, task: CountingTask) -> str:
    """The scale's config as stable JSON: every field, sorted, without the library version."""
    fields = llama_config(scale, task).to_dict()
    fields.pop("transformers_version", None)
    return json.dumps(fields, indent=2, sort_keys=True) + "\n"
