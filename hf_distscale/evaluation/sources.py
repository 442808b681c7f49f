"""Population sources for any causal LM: folders, repo-id patterns, revisions -> identified models.

A source spec is one of:

- a population folder (ours): every finished seed (`<scale>/seed-XXXX/seed_record.json`);
  the identity columns are read from the seed records;
- a model folder (holding `config.json`), or a glob of them (`runs/*/seed-*`);
- a Hub repo id, with brace patterns and a revision:
  `EleutherAI/pythia-{70m,160m}-seed{1..9}@step143000` is 18 repos at branch
  `step143000`. `{a,b}` lists alternatives and `{1..9}` an inclusive range;
  several braces give every combination, in order. A population repo pushed
  by `hf-distscale hub push` expands to its seeds.

Identity of a model without a seed record (the name rule): the repo's or
folder's name is matched against `--name-rule`, by default
`<family>-<scale>-seed<k>` (`pythia-70m-seed3` -> family "pythia", scale "70m",
seed 3; `seed-0003` -> seed 3). A name that does not match gets seed -1 and
its name as the family. The data seed is the seed (PolyPythias' seeds change
the initialisation and the data order together). The population is `--population`,
else `<org>/<family>` for a repo (plus `@<revision>`) or the family for a folder.
`num_parameters` is counted from the config (instantiated on the meta device),
and `scale_index` ranks the scales of one population by it. The scale label is the
name's, else the count ("70.4M").
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

from hf_distscale.formats.results import IDENTITY_COLUMNS

SEED_RECORD = "seed_record.json"
DEFAULT_NAME_RULE = r"^(?:(?P<family>.+?)-(?P<scale>[^-]+)-)?seed-?(?P<seed>\d+)$"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")
_BRACE = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


@dataclass(frozen=True)
class LMSource:
    """One model: where it loads from, and the identity columns of its rows.

    `model_path` is the results table's key: the absolute folder for local
    models, `hf://<repo_id>[/<subfolder>][@<revision>]` for Hub ones.
    """

    model_path: str
    identity: dict
    location: str  # a local folder or a Hub repo id
    revision: str | None = None
    subfolder: str | None = None  # a seed of a Hub population repo


def expand_braces(pattern: str) -> list[str]:
    """Every string `pattern` stands for: `{a,b}` alternatives, `{1..9}` inclusive ranges.

    A range keeps the width of a zero-padded bound (`{01..10}`). A brace with
    nothing in it, or a descending range, expands to nothing.
    """
    parts = _BRACE.split(pattern)
    options = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            options.append([part])
            continue
        bounds = _RANGE.match(part)
        if bounds:
            low, high = bounds.groups()
            width = len(low) if low.startswith("0") and len(low) > 1 else 0
            options.append([str(n).zfill(width) for n in range(int(low), int(high) + 1)])
        else:
            options.append([option for option in part.split(",") if option])
    return ["".join(combo) for combo in itertools.product(*options)]


def expand_spec(spec: str) -> list[str]:
    """The sources one spec stands for: braces expanded, then globs matched; `@REV` kept on each.

    A spec that stands for nothing (an empty brace, a descending range, a glob
    that matches no path) is a ValueError.
    """
    if os.path.exists(spec):  # a local path, even one holding "@" or "["
        return [spec]
    pattern, revision = split_revision(spec)
    names = []
    for name in expand_braces(pattern):
        if glob.has_magic(name) and not os.path.exists(name):
            names += sorted(glob.glob(os.path.expanduser(name)))
        else:
            names.append(name)
    if not names:
        raise ValueError(
            f"source: {spec!r} expands to nothing; check its braces ({{a,b}} or {{1..9}}, "
            f"low <= high) or glob"
        )
    return [f"{name}@{revision}" if revision else name for name in names]


def split_revision(name: str) -> tuple[str, str | None]:
    """(`name`, None) for an existing local path, else `REPO_ID@REVISION` split at the `@`."""
    if os.path.exists(name):
        return name, None
    repo_id, _, revision = name.partition("@")
    return repo_id, revision or None


def resolve_sources(
    specs: list[str],
    population: str | None = None,
    family: str | None = None,
    name_rule: str = DEFAULT_NAME_RULE,
) -> list[LMSource]:
    """Expand every spec into identified models, in the order given; see the module docstring.

    `population` and `family` override the identity of models without a seed
    record. Raises ValueError (or FileNotFoundError) with one line for a spec
    that expands to nothing, a missing folder, a model that is not a causal
    LM or lacks a tokenizer, and for two models with the same identity.
    """
    try:
        rule = re.compile(name_rule)
    except re.error as err:
        raise ValueError(f"name rule: {name_rule!r} is not a regular expression ({err})") from None
    if not {"seed"} <= set(rule.groupindex):
        raise ValueError(f"name rule: {name_rule!r} has no (?P<seed>...) group; add one")
    sources = []
    for spec in specs:
        for name in expand_spec(spec):
            sources += _resolve_one(*split_revision(name), population, family, rule)
    _rank_scales(sources)
    _check_unique(sources)
    return sources


def load_lm(source: LMSource, device: str = "cpu", dtype: str = "auto"):
    """(model in eval mode on `device`, tokenizer) of one source.

    `dtype` "auto" is float32 on CPU and the checkpoint's dtype elsewhere.
    """
    torch_dtype = torch.float32 if dtype == "auto" and device == "cpu" else dtype
    with _hub_errors(source):
        location = _local_location(source)
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise ValueError(
            f"model: {source.model_path} has no usable tokenizer ({type(err).__name__}); save "
            f"one next to the weights with `tokenizer.save_pretrained(folder)`"
        ) from None
    model = AutoModelForCausalLM.from_pretrained(location, dtype=torch_dtype)
    return model.to(device).eval(), tokenizer


def _resolve_one(name, revision, population, family, rule) -> list[LMSource]:
    path = Path(name).expanduser()
    if path.is_dir() and not (path / "config.json").is_file():
        return _population_folder(path)
    if path.is_dir():
        return [_model_folder(path, population, family, rule)]
    from hf_distscale.hub.errors import looks_like_path, no_such_path

    if path.exists() or looks_like_path(name) or not _REPO_ID.match(name):
        raise no_such_path(name, "model or population folder")
    return _hub_repo(name, revision, population, family, rule)


def finished_seeds(folder: Path, load, fix: str) -> list:
    """`load(seed_folder)` for every finished seed (one with a seed record) of a population
    folder, sorted by scale index then seed; ValueError ending in `fix` when there is none."""
    records = sorted(folder.glob(f"*/seed-*/{SEED_RECORD}"))
    if not records:
        raise ValueError(
            f"population: {folder} holds no finished seed (no */seed-*/{SEED_RECORD}) and no "
            f"config.json; {fix}"
        )
    models = [load(record.parent) for record in records]
    return sorted(models, key=lambda m: (m.identity["scale_index"], m.identity["seed"]))


def _population_folder(folder: Path) -> list[LMSource]:
    return finished_seeds(folder, _model_folder,
                          "pass a population folder or a folder written by `save_pretrained`")


def _model_folder(folder: Path, population=None, family=None, rule=None) -> LMSource:
    """A model folder: identity from its seed record, else from the name rule."""
    folder = folder.resolve()
    config = AutoConfig.from_pretrained(folder)
    record_path = folder / SEED_RECORD
    if record_path.is_file():
        _check_causal_lm(config, str(folder))
        record = json.loads(record_path.read_text())
        identity = {key: record[key] for key in IDENTITY_COLUMNS}
    else:
        identity = _named_identity(folder.name, config, str(folder), population, family, rule)
    _check_tokenizer(folder)
    return LMSource(str(folder), identity, str(folder))


def _hub_repo(repo_id, revision, population, family, rule) -> list[LMSource]:
    from huggingface_hub import hf_hub_download

    from hf_distscale.hub.errors import hub_errors
    from hf_distscale.formats.population import seed_uri
    from hf_distscale.hub.reading import is_population_repo, population_repo_seeds

    if is_population_repo(repo_id, revision):
        seeds = population_repo_seeds(repo_id, revision)
        return [
            LMSource(seed_uri(repo_id, row["subfolder"], revision),
                     {key: row[key] for key in IDENTITY_COLUMNS}, repo_id, revision,
                     row["subfolder"])
            for row in seeds.to_dict("records")
        ]
    with hub_errors(repo_id):
        config_file = hf_hub_download(repo_id, "config.json", revision=revision)
    config = AutoConfig.from_pretrained(Path(config_file).parent)
    suffix = f"@{revision}" if revision else ""
    org = repo_id.rpartition("/")[0]
    identity = _named_identity(repo_id.rpartition("/")[2], config, repo_id, population, family,
                               rule, org=org, suffix=suffix)
    return [LMSource(f"hf://{repo_id}{suffix}", identity, repo_id, revision)]


def _named_identity(name, config, where, population, family, rule, org="", suffix="") -> dict:
    """Identity from the name rule and the config; see the module docstring."""
    _check_causal_lm(config, where)
    with torch.device("meta"):
        num_parameters = AutoModelForCausalLM.from_config(config).num_parameters()
    match = rule.match(name)
    groups = match.groupdict() if match else {}
    family = family or groups.get("family") or name
    seed = int(groups["seed"]) if groups.get("seed") else -1
    if population is None:
        population = f"{org}/{family}{suffix}" if org else f"{family}{suffix}"
    dtype = str(getattr(config, "dtype", None) or "float32").removeprefix("torch.")
    return {
        "population": population,
        "family": family,
        "scale": groups.get("scale") or f"{num_parameters / 1e6:.1f}M",
        "scale_index": -1,  # set by _rank_scales once the population is known
        "num_parameters": num_parameters,
        "num_layers": getattr(config, "num_hidden_layers", -1),
        "hidden_size": getattr(config, "hidden_size", -1),
        "seed": seed,
        "data_seed": seed,
        "precision": _DTYPES.get(dtype, dtype),
        "preset": "",
    }


def _check_causal_lm(config, where: str) -> None:
    """The config's model type has a causal-LM class, and its `architectures` (when saved) name one.

    BERT has a causal-LM class too, but a BERT checkpoint says `BertForMaskedLM`.
    """
    causal = MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(config.model_type)
    causal = {causal} if isinstance(causal, str) else set(causal or ())
    architectures = set(getattr(config, "architectures", None) or causal)
    if not causal & architectures:
        raise ValueError(
            f"model: {where} is not a causal LM ({config.model_type!r}, architectures "
            f"{sorted(architectures)}); give a decoder-only language model"
        )


def _check_tokenizer(folder: Path) -> None:
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise ValueError(
            f"model: {folder} has no tokenizer (none of {', '.join(TOKENIZER_FILES)}); save one "
            f"next to the weights with `tokenizer.save_pretrained(folder)`"
        )


def _rank_scales(sources: list[LMSource]) -> None:
    """scale_index of models without a seed record: rank of num_parameters in the population."""
    named = [s for s in sources if s.identity["scale_index"] == -1]
    for population in {s.identity["population"] for s in named}:
        members = [s for s in named if s.identity["population"] == population]
        sizes = sorted({s.identity["num_parameters"] for s in members})
        for source in members:
            source.identity["scale_index"] = sizes.index(source.identity["num_parameters"])


def _check_unique(sources: list[LMSource]) -> None:
    seen = {}
    for source in sources:
        key = tuple(source.identity[k] for k in ("population", "scale", "seed"))
        if key in seen and seen[key] != source.model_path:
            raise ValueError(
                f"identity: {seen[key]} and {source.model_path} are both population {key[0]!r}, "
                f"scale {key[1]!r}, seed {key[2]}; name them <family>-<scale>-seed<k>, or set "
                f"--name-rule / --population"
            )
        seen[key] = source.model_path


def _local_location(source: LMSource) -> str:
    """A local folder to load from: Hub models are downloaded first, one seed at a time.

    A plain repo brings its configs, tokenizer files and one weights format
    (safetensors when it has them, else `.bin`), not every file of the repo.
    """
    if source.subfolder is not None:
        from hf_distscale.hub.reading import download_seed

        return str(download_seed(source.location, source.subfolder, source.revision))
    if not source.model_path.startswith("hf://"):
        return source.location
    from huggingface_hub import HfApi, snapshot_download

    revision = source.revision or "main"
    files = HfApi().list_repo_files(source.location, revision=revision)
    weights = "*.safetensors" if any(f.endswith(".safetensors") for f in files) else "*.bin"
    patterns = ["*.json", "*.model", "*.txt", "*.tiktoken", weights]
    return snapshot_download(source.location, revision=revision, allow_patterns=patterns)


def _hub_errors(source: LMSource):
    """hub_errors for Hub sources, nothing for local ones (the Hub code is imported only then)."""
    if not source.model_path.startswith("hf://"):
        return contextlib.nullcontext()
    from hf_distscale.hub.errors import hub_errors

    return hub_errors(source.location)
