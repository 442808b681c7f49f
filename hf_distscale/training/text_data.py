"""Continued-pretraining data: a text dataset, tokenised and packed into blocks, in data-seed order.

A source is a `load_dataset` path or repo id (with its config name and a
`split`, slices such as `train[:10%]` included), or local `.txt`, `.parquet`,
`.jsonl`/`.json` files. Documents are tokenised with the tokenizer's own
special tokens (the BOS convention lm-eval will use too), each followed by its
EOS, concatenated, and cut into `block_size`-token blocks (the tail that does
not fill a block is dropped). The last `eval_blocks` blocks are
held out to measure the final loss the same way for every seed.

The batch at step k is rows k*B .. k*B+B-1 of an endless sequence of epochs,
each a permutation of the training blocks drawn from (data_seed, epoch), so a
batch depends only on (data_seed, step) and a resumed run sees the same data.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Local file suffix -> the `datasets` packaged builder that reads it.
LOCAL_BUILDERS = {".txt": "text", ".parquet": "parquet", ".jsonl": "json", ".json": "json"}


@dataclass(frozen=True)
class PackedText:
    """Training and held-out blocks of token ids, each row `block_size` long."""

    train: np.ndarray
    heldout: np.ndarray

    def batch(self, data_seed: int, step: int, batch_size: int) -> np.ndarray:
        """Rows of batch number `step` in the order of `data_seed` (see the module docstring)."""
        n = len(self.train)
        positions = np.arange(step * batch_size, (step + 1) * batch_size)
        rows = np.empty(batch_size, dtype=np.int64)
        for epoch in np.unique(positions // n):
            order = np.random.default_rng([data_seed, int(epoch)]).permutation(n)
            here = positions // n == epoch
            rows[here] = order[positions[here] % n]
        return self.train[rows]


@contextmanager
def dataset_progress(enabled: bool):
    """`datasets`' progress bars (loading, tokenising) on or off inside the block, restored after."""
    import datasets

    before = datasets.is_progress_bar_enabled()
    (datasets.enable_progress_bars if enabled else datasets.disable_progress_bars)()
    try:
        yield
    finally:
        (datasets.enable_progress_bars if before else datasets.disable_progress_bars)()


def load_texts(source: str, split: str = "train", text_column: str = "text", config: str | None = None):
    """The `datasets.Dataset` behind `source` (and its `config`), checked to hold `text_column`."""
    import datasets

    paths = [Path(p) for p in str(source).split(",")]
    suffixes = {p.suffix for p in paths}
    if all(p.is_file() for p in paths):
        if len(suffixes) != 1 or not suffixes <= set(LOCAL_BUILDERS):
            raise ValueError(
                f"dataset: {source} is not one kind of {', '.join(LOCAL_BUILDERS)} file; pass text, "
                f"Parquet or JSON-lines files, or a `load_dataset` path or repo id"
            )
        builder = LOCAL_BUILDERS[suffixes.pop()]
        data = datasets.load_dataset(builder, data_files=[str(p) for p in paths], split="train")
    else:
        try:
            data = datasets.load_dataset(str(source), config, split=split)
        except (FileNotFoundError, datasets.exceptions.DatasetNotFoundError) as err:
            raise FileNotFoundError(
                f"dataset: {source} is neither a local file nor a dataset `load_dataset` can find "
                f"({type(err).__name__}); pass a folder, a repo id, or .txt/.parquet/.jsonl files"
            ) from None
    if text_column not in data.column_names:
        raise ValueError(
            f"dataset {source} has no column {text_column!r}; its columns are "
            f"{', '.join(data.column_names)}; pass --text-column"
        )
    return data


def pack_texts(data, tokenizer, text_column: str, block_size: int, eval_blocks: int) -> PackedText:
    """Tokenise every document (EOS after each), concatenate, cut into blocks, hold out the last ones."""
    eos = tokenizer.eos_token_id

    def encode(batch):
        ids = tokenizer(batch[text_column])["input_ids"]
        return {"ids": [doc if eos is None or doc[-1:] == [eos] else doc + [eos] for doc in ids]}

    encoded = data.map(
        encode, batched=True, remove_columns=data.column_names, desc="tokenising",
    )
    stream = np.fromiter((t for ids in encoded["ids"] for t in ids), dtype=np.int64)
    blocks = stream[: len(stream) // block_size * block_size].reshape(-1, block_size)
    if len(blocks) <= eval_blocks:
        raise ValueError(
            f"dataset: {len(stream)} tokens make {len(blocks)} blocks of {block_size}, not more than "
            f"the {eval_blocks} held-out blocks; pass more text or a smaller block_size"
        )
    return PackedText(train=blocks[: len(blocks) - eval_blocks], heldout=blocks[len(blocks) - eval_blocks:])
