"""Model sources -> model references: the one resolver behind `eval` and `lm-eval`.

A source spec is one of:

- a population folder: every finished seed (`<scale>/seed-XXXX/seed_record.json`);
- a model folder (holding `config.json`), or a glob of them (`runs/*/seed-*`);
- a Hub repo id, with brace patterns and a revision:
  `EleutherAI/pythia-{70m,160m}-seed{1..9}@step143000` is 18 repos at branch
  `step143000`. `{a,b}` lists alternatives and `{1..9}` an inclusive range;
  several braces give every combination, in order. A population repo pushed
  by `hf-distscale hub push` expands to its seeds (read from its `seeds.parquet`).

A seed's identity columns come from its seed record. A model without one is
identified from its config and either `preset` (its counting task; population
and scale are its name) or the name rule (`name_identity`), by default
PolyPythias' `<family>-<scale>[-seed<k>]` (`pythia-70m-seed3` -> family
"pythia", scale "70m", seed 3; `seed-0003` -> seed 3; the seed-less
`pythia-70m` is seed 0, as PolyPythias counts the original model). A name
that does not match gets seed -1 and its name as the family. The data seed is
the seed (PolyPythias' seeds change the initialisation and the data order
together). The population is `--population`, else
`<org>/<family>[@<revision>]` for a repo or the family for a folder.
`num_parameters` is counted from the config (on the meta device), and
`scale_index` ranks the scales of one population by it. The scale label is
the name's, else the count ("70.4M").

Nothing but small files is downloaded while resolving; `model_folder` fetches
the weights when a model is evaluated, so a resumed run skips finished models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hf_distscale.evaluation.sources import expand_spec, local_folder
from hf_distscale.formats.identity import MODEL_KEY, describe
from hf_distscale.formats.population import (
    IDENTITY_COLUMNS,
    SEED_RECORD,
    finished_seeds,
    read_seed_record,
    seed_uri,
)
from hf_distscale.hub.reading import (
    download_model,
    download_seed,
    is_population_repo,
    population_repo_identity,
    population_repo_seeds,
)
from hf_distscale.models.loading import skeleton
from hf_distscale.tasks import CountingTask

# Trailing name parts that say which variant of a model it is, never its scale.
VARIANT = r"(?i:instruct|chat|deduped|base|it|hf|sft|dpo|rlhf|v\d[\w.]*)"
# <family>-<scale>[-<variant>...][-seed<k>] or seed[-]<k>: the scale is the last dash-part that is
# neither a variant nor the seed (Qwen2.5-0.5B-Instruct: family Qwen2.5, scale 0.5B, variant -Instruct).
DEFAULT_NAME_RULE = (rf"^(?:(?!seed-?\d)(?P<family>.+)-(?!seed-?\d|{VARIANT}(?:-|$))(?P<scale>[^-]+?)"
                     rf"(?P<variant>(?:-{VARIANT})*))?(?:-?seed-?(?P<seed>\d+))?$")
_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


@dataclass(frozen=True)
class ModelRef:
    """One model: the identity columns of its rows, and where its weights are.

    `model_path` is the results table's key: the absolute folder of a local
    model, `hf://<repo_id>[/<subfolder>][@<revision>]` of a Hub one. `task` is
    the counting task it was trained on (its seed record's, its population
    repo's, or `preset`'s), None for other language models; `recorded` says
    whether the identity came from a seed record.
    """

    model_path: str
    identity: dict
    folder: Path | None = None  # a local model folder; None for a Hub model
    repo_id: str | None = None
    subfolder: str | None = None  # a seed of a Hub population repo
    revision: str | None = None
    task: CountingTask | None = None
    recorded: bool = True


def resolve_models(
    specs: list[str],
    preset: str | None = None,
    population: str | None = None,
    family: str | None = None,
    name_rule: str = DEFAULT_NAME_RULE,
) -> list[ModelRef]:
    """Every model the specs stand for, in the order given; see the module docstring.

    `preset`, `population`, `family` and `name_rule` identify models without a
    seed record. Raises ValueError (or FileNotFoundError) with one line for a
    spec that expands to nothing, a missing folder or config, a model that is
    not a causal LM, and two models with the same identity.
    """
    naming = {"preset": preset, "population": population, "family": family,
              "rule": compile_name_rule(name_rule)}
    refs = [ref for spec in specs for name in expand_spec(spec) for ref in _resolve(name, naming)]
    _rank_scales(refs)
    _check_unique(refs)
    return refs


def compile_name_rule(name_rule: str = DEFAULT_NAME_RULE) -> re.Pattern:
    """`name_rule` compiled; a ValueError unless it is a regular expression with a (?P<seed>) group."""
    try:
        rule = re.compile(name_rule)
    except re.error as err:
        raise ValueError(f"name rule: {name_rule!r} is not a regular expression ({err})") from None
    if "seed" not in rule.groupindex:
        raise ValueError(f"name rule: {name_rule!r} has no (?P<seed>...) group; add one")
    return rule


def name_identity(name: str, rule: re.Pattern, org: str = "", revision: str | None = None,
                  population: str | None = None, family: str | None = None) -> dict | None:
    """population, family, scale, seed and data_seed that `rule` reads from a model's name; None if it does not match.

    `name` is the repo or folder name without its org. A match without a seed
    is seed 0 (PolyPythias' `pythia-70m` is the seed-0 member of its seeds); a
    match without a scale has scale None, for the caller to fill. `population`
    and `family` override what the name says; a (?P<variant>) group is part of
    the family (`-Instruct`, `-deduped`: another population, not another
    scale). The population is otherwise `<org>/<family>[@<revision>]`, as
    `hf-distscale lm-eval` names it.
    """
    match = rule.match(name)
    if match is None:
        return None
    groups = match.groupdict()
    family = family or (groups["family"] + (groups.get("variant") or "") if groups.get("family") else name)
    seed = int(groups["seed"]) if groups.get("seed") else 0
    return {"population": population or population_name(org, family, revision), "family": family,
            "scale": groups.get("scale"), "seed": seed, "data_seed": seed}


def population_name(org: str, family: str, revision: str | None = None) -> str:
    """`<org>/<family>[@<revision>]`: a population is one family at one checkpoint."""
    suffix = f"@{revision}" if revision else ""
    return f"{org}/{family}{suffix}" if org else f"{family}{suffix}"


def model_folder(ref: ModelRef) -> Path:
    """The local folder to load `ref` from: a Hub model is downloaded first, one model at a time."""
    if ref.folder is not None:
        return ref.folder
    if ref.subfolder is not None:
        return download_seed(ref.repo_id, ref.subfolder, ref.revision)
    return download_model(ref.repo_id, ref.revision)


def _resolve(name: str, naming: dict) -> list[ModelRef]:
    path = local_folder(name)
    if path is not None and not (path / "config.json").is_file():
        return _population_folder(path)
    if path is not None:
        folder = path.resolve()
        return [_model(folder, folder.name, naming, folder=folder)]
    repo_id, _, revision = name.partition("@")
    revision = revision or None
    if is_population_repo(repo_id, revision):
        task = population_repo_identity(repo_id, revision).get("task")
        return [
            ModelRef(seed_uri(repo_id, row["subfolder"], revision),
                     {key: row[key] for key in IDENTITY_COLUMNS}, repo_id=repo_id,
                     subfolder=row["subfolder"], revision=revision,
                     task=CountingTask(**task) if task else None)
            for row in population_repo_seeds(repo_id, revision).to_dict("records")
        ]
    org, _, repo_name = repo_id.rpartition("/")
    suffix = f"@{revision}" if revision else ""
    return [_model(download_model(repo_id, revision, weights=False), repo_name, naming,
                   f"hf://{repo_id}{suffix}", org=org, suffix=suffix,
                   repo_id=repo_id, revision=revision)]


def _population_folder(folder: Path) -> list[ModelRef]:
    """Every finished seed of a population folder, sorted by scale index then seed."""
    seeds = finished_seeds(folder)
    if not seeds:
        raise ValueError(
            f"population: {folder} holds no finished seed (no */seed-*/{SEED_RECORD}) and no "
            f"config.json; train the population first with `hf-distscale train`, or pass a model "
            f"folder written by `save_pretrained`"
        )
    refs = [_model(seed.resolve(), seed.name, {}, folder=seed.resolve()) for seed in seeds]
    return sorted(refs, key=lambda ref: (ref.identity["scale_index"], ref.identity["seed"]))


def _model(local: Path, name: str, naming: dict, model_path: str | None = None, org: str = "",
           suffix: str = "", **location) -> ModelRef:
    """A model whose config (and seed record, if any) is in `local`."""
    where = model_path or str(local)
    if not (local / "config.json").is_file():
        raise FileNotFoundError(
            f"model: {where} has no config.json; point at a folder written by "
            f"`save_pretrained` (a finished seed folder holds one)"
        )
    from transformers import AutoConfig  # heavy: imported once a model is found, so path errors come at once

    config = AutoConfig.from_pretrained(local)
    _check_causal_lm(config, where)
    if (local / SEED_RECORD).is_file():
        record = read_seed_record(local)
        task = CountingTask(**record["task"]) if "task" in record else None
        return ModelRef(where, {key: record[key] for key in IDENTITY_COLUMNS}, task=task, **location)
    num_parameters = skeleton(config).num_parameters()
    if naming["preset"] is not None:
        identity = _preset_identity(name, config, num_parameters, naming["preset"])
        task = CountingTask.from_preset(naming["preset"])
    else:
        identity = _named_identity(name, config, num_parameters, naming, org, suffix)
        task = None
    return ModelRef(where, identity, task=task, recorded=False, **location)


def _preset_identity(name: str, config, num_parameters: int, preset: str) -> dict:
    """A counting model without a seed record: its name is its population and scale."""
    return {
        "population": name,
        "family": "",
        "scale": name,
        "scale_index": 0,
        "num_parameters": num_parameters,
        "num_layers": config.num_hidden_layers,
        "hidden_size": config.hidden_size,
        "seed": -1,
        "data_seed": -1,
        "precision": "fp32",
        "preset": preset,
    }


def _named_identity(name: str, config, num_parameters: int, naming: dict, org: str,
                    suffix: str) -> dict:
    """Identity from the name rule and the config; see the module docstring."""
    revision = suffix.removeprefix("@") or None
    named = name_identity(name, naming["rule"], org, revision, naming["population"], naming["family"])
    if named is None:  # no match: the whole name is the family, the seed unknown
        family = naming["family"] or name
        named = {"population": naming["population"] or population_name(org, family, revision),
                 "family": family, "scale": None, "seed": -1, "data_seed": -1}
    dtype = str(getattr(config, "dtype", None) or "float32").removeprefix("torch.")
    return {
        **named,
        "scale": named["scale"] or f"{num_parameters / 1e6:.1f}M",
        "scale_index": -1,  # set by _rank_scales once the population is known
        "num_parameters": num_parameters,
        "num_layers": getattr(config, "num_hidden_layers", -1),
        "hidden_size": getattr(config, "hidden_size", -1),
        "precision": _DTYPES.get(dtype, dtype),
        "preset": "",
    }


def _check_causal_lm(config, where: str) -> None:
    """The config's model type has a causal-LM class, and its `architectures` (when saved) name one.

    BERT has a causal-LM class too, but a BERT checkpoint says `BertForMaskedLM`.
    """
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    causal = MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(config.model_type)
    causal = {causal} if isinstance(causal, str) else set(causal or ())
    architectures = set(getattr(config, "architectures", None) or causal)
    if not causal & architectures:
        raise ValueError(
            f"model: {where} is not a causal LM ({config.model_type!r}, architectures "
            f"{sorted(architectures)}); give a decoder-only language model"
        )


def _rank_scales(refs: list[ModelRef]) -> None:
    """scale_index of named models: the rank of num_parameters in their population."""
    named = [ref for ref in refs if ref.identity["scale_index"] == -1]
    for population in {ref.identity["population"] for ref in named}:
        members = [ref for ref in named if ref.identity["population"] == population]
        sizes = sorted({ref.identity["num_parameters"] for ref in members})
        for ref in members:
            ref.identity["scale_index"] = sizes.index(ref.identity["num_parameters"])


def _check_unique(refs: list[ModelRef]) -> None:
    seen = {}
    for ref in refs:
        key = tuple(ref.identity[k] for k in MODEL_KEY)
        if key in seen and seen[key] != ref.model_path:
            raise ValueError(
                f"identity: {seen[key]} and {ref.model_path} are both {describe(ref.identity, MODEL_KEY)}; "
                f"name them <family>-<scale>-seed<k>, or set --name-rule / --population"
            )
        seen[key] = ref.model_path
