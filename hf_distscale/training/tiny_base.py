"""A tiny pretrained base LM on the toy-knowledge world: what reinit populations start from offline.

The `base` section of an LM preset says what to build: a Llama of the given
depth and width (heads and MLP width by the project's scale rules), the
corpus draw it trains on, and its training. The result is a standard model
folder with the toy world's tokenizer, like a downloaded base model, plus
`base_record.json`, written last: "this base is finished". An unfinished
build resumes from its checkpoint.

`write_corpus` writes the continued-pretraining text (the preset's `corpus`
draw, one sentence per line) as a `.txt` file that `hf-distscale reinit` reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from datasets import Dataset
from transformers import LlamaConfig

from hf_distscale.formats.outputs import write_file
from hf_distscale.models.scales import HEAD_DIM, make_scale
from hf_distscale.tasks.toy_knowledge import build_tokenizer, corpus_texts
from hf_distscale.training.checkpoint import remove_checkpoint
from hf_distscale.presets import load_lm_preset
from hf_distscale.training.lm_objective import LMTrainingConfig, text_objective
from hf_distscale.training.population import save_model_folder
from hf_distscale.training.text_data import dataset_progress, pack_texts
from hf_distscale.training.trainer import SeedRun, build_model, train

BASE_RECORD = "base_record.json"


def tiny_config(spec: dict, tokenizer, context: int) -> LlamaConfig:
    """The base's `LlamaConfig`: depth and width from `spec`, ids and vocabulary from `tokenizer`."""
    scale = make_scale("tiny", "tiny", 0, spec["num_layers"], spec["hidden_size"])
    return LlamaConfig(
        architectures=["LlamaForCausalLM"], vocab_size=len(tokenizer),
        hidden_size=scale.hidden_size, intermediate_size=scale.intermediate_size,
        num_hidden_layers=scale.num_layers, num_attention_heads=scale.num_attention_heads,
        num_key_value_heads=scale.num_attention_heads, head_dim=HEAD_DIM,
        max_position_embeddings=context, tie_word_embeddings=spec["tie_word_embeddings"],
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def train_tiny_base(out_dir: str | Path, preset: str = "tiny", progress: bool = True,
                    threads: int = 1) -> Path:
    """Train (or finish, or just return) the preset's tiny base model in `out_dir`.

    It trains on `threads` torch threads (restored after): a model this small
    gains little from a second thread, and on a busy machine that thread only
    waits for the first.
    """
    out_dir = Path(out_dir)
    if (out_dir / BASE_RECORD).is_file():
        return out_dir
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _train_tiny_base(out_dir, preset, progress)
    finally:
        torch.set_num_threads(before)


def _train_tiny_base(out_dir: Path, preset: str, progress: bool) -> Path:
    spec = load_lm_preset(preset)["base"]
    training = LMTrainingConfig.from_dict(spec["training"])
    tokenizer = build_tokenizer(model_max_length=training.block_size)
    texts = corpus_texts(spec["corpus"]["sentences"], spec["corpus"]["seed"])
    with dataset_progress(progress):
        packed = pack_texts(Dataset.from_dict({"text": texts}), tokenizer, "text",
                            training.block_size, training.eval_blocks)
    model = build_model(tiny_config(spec, tokenizer, training.block_size), spec["init_seed"])
    (summary,) = train([model], [SeedRun(spec["init_seed"], out_dir / "checkpoint")],
                       text_objective(packed, training, "fp32", torch.device("cpu")), training,
                       progress=progress, description="tiny base")
    save_model_folder(model, out_dir)
    tokenizer.save_pretrained(out_dir)
    record = {"preset": preset, "num_parameters": model.num_parameters(), **spec, **summary}
    write_file(out_dir / BASE_RECORD, (json.dumps(record, indent=2) + "\n").encode())
    remove_checkpoint(out_dir / "checkpoint")
    return out_dir


def write_corpus(path: str | Path, preset: str = "tiny") -> Path:
    """The preset's continued-pretraining corpus as a text file, one sentence per line."""
    path = Path(path)
    spec = load_lm_preset(preset)["corpus"]
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(corpus_texts(spec["sentences"], spec["seed"])) + "\n"
        write_file(path, text.encode())
    return path
