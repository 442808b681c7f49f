"""Re-initialise chosen parameters of a pretrained causal LM with the model's own init.

The default choice is the paper's: the last decoder layer's attention and the
LM head. Other choices are parameter-name patterns (`fnmatch`, e.g.
`model.layers.23.self_attn.*`, `lm_head.weight`).

Re-initialisation calls the model's `_init_weights(module)` (the scheme its
`from_config` uses) on every module that owns a chosen parameter, in module
order, after `torch.manual_seed(init_seed)`; parameters of those modules that
were not chosen are put back, so only the chosen ones change. transformers
marks loaded parameters `_is_hf_initialized` and its init functions skip
marked tensors, so the marks of the chosen parameters are cleared first.

Tied matrices: small models such as Qwen2.5-0.5B share one matrix between the
input embedding and the LM head. Re-initialising it in place would also
re-initialise the input embedding, which the paper's recipe keeps. So a chosen
parameter that is tied to another is untied first: it gets its own fresh
matrix and the other side keeps the base's values
(`config.tie_word_embeddings` becomes False). To re-initialise both sides,
choose both names.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import torch
from transformers import AutoConfig, AutoTokenizer
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

from hf_distscale.formats.population import SEED_RECORD, read_seed_record
from hf_distscale.models.loading import check_model_folder, load_causal_lm


def base_name(base: str) -> str:
    """A base model's scale name: the folder name, or the last part of a repo id."""
    return Path(str(base).rstrip("/")).name


def check_causal_lm(base: str, revision: str | None = None):
    """The base's config, or a ValueError/FileNotFoundError naming what is wrong; a local base's
    weights are checked against its config too, before any seed is started."""
    if (Path(base) / SEED_RECORD).is_file() and "task" in read_seed_record(base):
        raise ValueError(
            f"base model: {base} was trained on the counting task, so its tokenizer is the counting "
            f"task's (one token per number), not a text tokenizer; reinit needs a pretrained text LM "
            f"(a model folder or Hub repo id, e.g. the tiny base LM `hf-distscale demo --lm` trains)"
        )
    try:
        config = AutoConfig.from_pretrained(base, revision=revision)
    except (OSError, ValueError) as err:
        raise FileNotFoundError(
            f"base model: {base} is not a model folder or a reachable repo id ({type(err).__name__}); "
            f"pass a folder written by `save_pretrained` or a Hub repo id"
        ) from None
    if config.model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise ValueError(
            f"base model: {base} is a {config.model_type!r} model ({type(config).__name__}), not a causal "
            f"LM; reinit needs a model AutoModelForCausalLM loads (e.g. llama, qwen2, gpt_neox)"
        )
    if Path(base).is_dir():  # a repo id's weights are checked as they load (`load_causal_lm`)
        check_model_folder(base)
    return config


def load_tokenizer(base: str, revision: str | None = None):
    """The base's tokenizer; a ValueError saying how to add one when the folder has none."""
    try:
        return AutoTokenizer.from_pretrained(base, revision=revision)
    except (OSError, ValueError, TypeError) as err:
        raise ValueError(
            f"base model: {base} has no loadable tokenizer ({type(err).__name__}); save one into the "
            f"folder with `tokenizer.save_pretrained(folder)`"
        ) from None


def load_base(base: str, revision: str | None = None):
    """(model in fp32, tokenizer) of a causal-LM base, checked first and loaded strictly."""
    check_causal_lm(base, revision)
    tokenizer = load_tokenizer(base, revision)
    model = load_causal_lm(base, revision=revision, dtype=torch.float32)
    return model, tokenizer


def default_patterns(model) -> list[str]:
    """The paper's choice: the last decoder layer's attention block, and the LM head."""
    names = dict(model.named_modules())
    layers = [name for name, module in names.items()
              if isinstance(module, torch.nn.ModuleList) and name.endswith("layers")]
    if not layers:
        raise ValueError(
            f"reinit: {type(model).__name__} has no `layers` list to take the last layer from; "
            f"name the parameters with --reinit PATTERN"
        )
    last = f"{layers[0]}.{len(names[layers[0]]) - 1}"
    attention = [name for name, module in names[last].named_children()
                 if type(module).__name__.endswith("Attention")]
    head = [name for name, module in names.items() if module is model.get_output_embeddings()]
    if len(attention) != 1 or not head:
        raise ValueError(
            f"reinit: cannot find the last layer's attention and the LM head in "
            f"{type(model).__name__}; name the parameters with --reinit PATTERN"
        )
    return [f"{last}.{attention[0]}.*", f"{head[0]}.*"]


def select_parameters(model, patterns: list[str]) -> list[str]:
    """Names of the parameters matched by any pattern (tied duplicates included), in model order."""
    names = [name for name, _ in model.named_parameters(remove_duplicate=False)]
    chosen = [name for name in names if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)]
    if unmatched:
        raise ValueError(
            f"reinit: pattern(s) {unmatched} match no parameter of {type(model).__name__}; "
            f"parameter names look like {names[0]}, {names[-1]}"
        )
    return chosen


def untie(model, names: list[str]) -> list[str]:
    """Give every chosen parameter that shares its tensor a tensor of its own; return their names."""
    owners = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        owners.setdefault(id(param), []).append(name)
    untied = []
    for name in names:
        module_name, _, attr = name.rpartition(".")
        param = model.get_parameter(name)
        if len(owners[id(param)]) > 1:
            module = model.get_submodule(module_name)
            setattr(module, attr, torch.nn.Parameter(param.detach().clone()))
            untied.append(name)
    if untied:
        model.config.get_text_config().tie_word_embeddings = False
        model.config.tie_word_embeddings = False
        for name in untied:
            model.all_tied_weights_keys.pop(name, None)
            for key, source in list(model.all_tied_weights_keys.items()):
                if source == name:
                    model.all_tied_weights_keys.pop(key)
    return untied


@torch.no_grad()
def reinit_parameters(model, names: list[str], init_seed: int) -> None:
    """Re-draw exactly the parameters `names` with the model's `_init_weights` under `init_seed`."""
    untie(model, names)
    chosen = set(names)
    owners = dict.fromkeys(name.rpartition(".")[0] for name in names)
    torch.manual_seed(init_seed)
    for module_name in owners:
        module = model.get_submodule(module_name)
        keep = {attr: param.detach().clone() for attr, param in module.named_parameters(recurse=False)
                if f"{module_name}.{attr}" not in chosen}
        for param in module.parameters(recurse=False):
            param._is_hf_initialized = False
        module._is_hf_initialized = False
        model._init_weights(module)
        for attr, value in keep.items():
            getattr(module, attr).copy_(value)
