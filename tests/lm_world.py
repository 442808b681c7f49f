"""The tests' offline LM world: a tiny base LM trained on the toy-knowledge corpus, once per session.

The base is built under the session's base temporary folder, so every test
module that asks for it in one session (one xdist worker) shares one build:
`train_tiny_base` returns a finished base at once.
"""

from pathlib import Path

from hf_distscale.training.tiny_base import train_tiny_base, write_corpus

PRESET = "smoke"


def tiny_lm_world(tmp_path_factory) -> tuple[Path, Path]:
    """(base model folder, continued-pretraining corpus file) of the `smoke` LM preset."""
    root = tmp_path_factory.getbasetemp() / "tiny-lm-world"
    base = train_tiny_base(root / "base", PRESET, progress=False)
    return base, write_corpus(root / "corpus.txt", PRESET)
