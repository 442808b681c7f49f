"""Strict model loading: a model folder's weights must be exactly the model its config describes.

`from_pretrained` initialises at random every tensor its weights file lacks
and only logs it, so a seed folder whose config.json says 3 layers and whose
weights hold 1 would be evaluated as a partly random model. Every loader of
the package (`eval`, `lm-eval`, `reinit`, `verify`) goes through
`load_causal_lm`, which refuses such a folder in one line before any work:

1. `check_model_folder`, before loading: the weights files (safetensors
   headers read without the tensor data; `.bin` files memory-mapped) must be
   whole (an empty or truncated copy is named as such) and hold exactly the
   tensors, and shapes, of the model built from config.json on the meta
   device; a seed record must agree with the config (layers, hidden size,
   heads, MLP width, task vocabulary, parameter count).
2. the load itself with `output_loading_info=True`: anything transformers
   reports missing, unexpected or mis-shaped is refused too. This guard also
   covers what the first cannot see: a Hub repo id loaded by transformers
   itself (a `reinit` base).
"""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path

from hf_distscale.formats.population import SEED_RECORD, read_seed_record

# (single file, index of shards) of each weights format, in the order `from_pretrained` prefers them.
WEIGHTS_FORMATS = (("model.safetensors", "model.safetensors.index.json"),
                   ("pytorch_model.bin", "pytorch_model.bin.index.json"))
# Bytes per element of each safetensors dtype (the format's own list).
DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
               "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
# Seed-record field -> the config attribute it repeats (on the text config of a multimodal model).
RECORD_CONFIG_FIELDS = {"num_layers": "num_hidden_layers", "hidden_size": "hidden_size",
                        "num_attention_heads": "num_attention_heads",
                        "intermediate_size": "intermediate_size"}
FIX = "copy the seed folder again from where it was trained (config.json, weights and record together)"


def weight_files(folder: Path) -> list[Path]:
    """The weights files a folder's model loads from, as `from_pretrained` chooses them: the shards
    an index names, else the single file; safetensors before `.bin`; [] when there are none."""
    folder = Path(folder)
    for single, index in WEIGHTS_FORMATS:
        if (folder / index).is_file():
            weight_map = json.loads((folder / index).read_text()).get("weight_map", {})
            return [folder / name for name in sorted(set(weight_map.values()))]
        if (folder / single).exists():
            return [folder / single]
    return []


def stored_shapes(path: Path, where: str) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of a weights file, after checking the file is whole. An empty or
    truncated file, or one that is not weights, is a ValueError naming it."""
    if path.stat().st_size == 0:
        raise ValueError(f"model: {where}: {path.name} is empty (an interrupted copy?); {FIX}")
    if path.suffix == ".safetensors":
        return _safetensors_shapes(path, where)
    import torch

    try:  # memory-mapped: the shapes are read, the tensor data is not
        state = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except (RuntimeError, OSError, ValueError, EOFError) as err:
        raise ValueError(f"model: {where}: {path.name} is truncated or not a PyTorch weights file "
                         f"({type(err).__name__}); {FIX}") from None
    return {name: tuple(tensor.shape) for name, tensor in state.items()}


def _safetensors_shapes(path: Path, where: str) -> dict[str, tuple[int, ...]]:
    """The safetensors header's shapes, once the file is seen to hold every byte the header
    describes (read without the tensor data)."""
    size = path.stat().st_size
    problem = f"model: {where}: {path.name}"
    with open(path, "rb") as handle:
        head = handle.read(8)
        header_length = struct.unpack("<Q", head)[0] if len(head) == 8 else size
        if 8 + header_length > size:
            raise ValueError(f"{problem} is truncated ({size:,} bytes, shorter than its own header); {FIX}")
        try:
            header = json.loads(handle.read(header_length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            header = None
    if not isinstance(header, dict):
        raise ValueError(f"{problem} is not a safetensors file (its header is not a JSON object); {FIX}")
    header.pop("__metadata__", None)
    if not all(isinstance(entry, dict) and {"dtype", "shape", "data_offsets"} <= entry.keys()
               for entry in header.values()):
        raise ValueError(f"{problem} is not a safetensors file (a header entry lacks dtype, shape or "
                         f"data_offsets); {FIX}")
    data_bytes = size - 8 - header_length
    described = max((entry["data_offsets"][1] for entry in header.values()), default=0)
    if described > data_bytes:
        raise ValueError(f"{problem} is truncated ({size:,} bytes; its header describes "
                         f"{described + 8 + header_length:,}): an interrupted copy? {FIX}")
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        expected = math.prod(entry["shape"]) * DTYPE_BYTES.get(entry["dtype"], 0)
        if entry["dtype"] in DTYPE_BYTES and end - start != expected:
            raise ValueError(f"{problem}: tensor {name} {entry['dtype']}{entry['shape']} holds "
                             f"{end - start} bytes, not {expected}; the file is corrupt; {FIX}")
    return {name: tuple(entry["shape"]) for name, entry in header.items()}


def skeleton(config):
    """The causal LM of `config` on the meta device: names, shapes and parameter count, no memory."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def _listed(names, limit: int = 3) -> str:
    names = sorted(names)
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def weight_mismatches(model, stored: dict[str, tuple[int, ...]]) -> list[str]:
    """What differs between the tensors of `model` (built from the config) and `stored`:
    missing, unexpected and mis-shaped names, as phrases; [] when they agree.

    A tied copy (an LM head tied to the embedding) may be stored or left out, and names the
    model class itself ignores on load are allowed, as `from_pretrained` does."""
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    tied = set(getattr(model, "all_tied_weights_keys", None) or {})
    ignore_missing = [re.compile(p) for p in getattr(model, "_keys_to_ignore_on_load_missing", None) or []]
    ignore_unexpected = [re.compile(p) for p in getattr(model, "_keys_to_ignore_on_load_unexpected", None) or []]
    missing = [name for name in expected.keys() - stored.keys() - tied
               if not any(p.search(name) for p in ignore_missing)]
    unexpected = [name for name in stored.keys() - expected.keys()
                  if not any(p.search(name) for p in ignore_unexpected)]
    misshaped = [f"{name} {list(stored[name])} (config: {list(expected[name])})"
                 for name in expected.keys() & stored.keys() if stored[name] != expected[name]]
    return ([f"{len(missing)} tensors missing ({_listed(missing)})"] if missing else []) + \
        ([f"{len(unexpected)} unexpected ({_listed(unexpected)})"] if unexpected else []) + \
        ([f"{len(misshaped)} mis-shaped ({_listed(misshaped, 2)})"] if misshaped else [])


def record_mismatches(record: dict, config, num_parameters: int) -> list[str]:
    """Where a seed record disagrees with the config it was saved with (its shape, its task's
    vocabulary, its parameter count), as phrases."""
    text = config.get_text_config()
    found = [f"{field} {record[field]} (config.json {attribute}: {getattr(text, attribute, None)})"
             for field, attribute in RECORD_CONFIG_FIELDS.items()
             if field in record and record[field] != getattr(text, attribute, None)]
    vocab_size = record.get("task", {}).get("vocab_size")
    if vocab_size is not None and vocab_size != getattr(text, "vocab_size", None):
        found.append(f"config.json has vocab_size {text.vocab_size} where its task needs {vocab_size}")
    if "num_parameters" in record and record["num_parameters"] != num_parameters:
        found.append(f"num_parameters {record['num_parameters']:,} (config.json: {num_parameters:,})")
    return found


def check_model_folder(folder: str | Path, where: str | None = None) -> None:
    """Raise one ValueError, naming `where` (default: the folder), unless the folder's weights are
    whole and exactly its config's model, and its seed record (if any) agrees with its config."""
    from transformers import AutoConfig

    folder = Path(folder)
    where = where or str(folder)
    files = weight_files(folder)
    if not files:
        raise FileNotFoundError(f"model: {where} has no weights file ({WEIGHTS_FORMATS[0][0]}); {FIX}")
    missing_shards = [path.name for path in files if not path.is_file()]
    if missing_shards:
        raise FileNotFoundError(f"model: {where}: its weights index names shards that are not there "
                                f"({_listed(missing_shards)}); {FIX}")
    try:
        config = AutoConfig.from_pretrained(folder)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"model: {where}: config.json does not load ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}); {FIX}") from None
    model = skeleton(config)
    stored = {name: shape for path in files for name, shape in stored_shapes(path, where).items()}
    problems = weight_mismatches(model, stored)
    if problems:
        raise ValueError(f"model: {where}: the weights are not the model config.json describes: "
                         f"{'; '.join(problems)}; {FIX}")
    if (folder / SEED_RECORD).is_file():
        problems = record_mismatches(read_seed_record(folder), config, model.num_parameters())
        if problems:
            raise ValueError(f"model: {where}: {SEED_RECORD} disagrees with config.json: "
                             f"{'; '.join(problems)}; {FIX}")


def load_causal_lm(source: str | Path, where: str | None = None, **kwargs):
    """`AutoModelForCausalLM.from_pretrained(source, **kwargs)`, strictly: a local folder is checked
    first (`check_model_folder`), and a tensor transformers reports missing, unexpected or
    mis-shaped is a ValueError naming `where` (default: `source`), never a random initialisation."""
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM

    where = where or str(source)
    if Path(source).is_dir():
        check_model_folder(source, where)
    try:
        model, info = AutoModelForCausalLM.from_pretrained(source, output_loading_info=True, **kwargs)
    except (SafetensorError, RuntimeError) as err:
        raise ValueError(f"model: {where}: the weights do not load ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}); {FIX}") from None
    problems = [f"{len(info[key])} {label} ({_listed(info[key])})"
                for key, label in (("missing_keys", "tensors missing"), ("unexpected_keys", "unexpected"),
                                   ("mismatched_keys", "mis-shaped"), ("error_msgs", "load errors"))
                if info.get(key)]
    if problems:
        raise ValueError(f"model: {where}: the weights are not the model config.json describes: "
                         f"{'; '.join(problems)}; {FIX}")
    return model
