"""A word-level tokenizer for the counting task: one token per number, never digits."""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from hf_distscale.tasks.counting import CountingTask

SPECIAL_TOKENS = ("$", ">", ".", "<pad>")


def build_tokenizer(task: CountingTask) -> PreTrainedTokenizerFast:
    """Build the task's fast tokenizer; ids match `CountingTask` (number n -> id n).

    Text is whitespace-separated (`$ 5 9 > 5 6 7 8 9 .`); each number is one
    word, so `12` is one token and never `1`, `2`. Saved with
    `save_pretrained`, it reloads with `AutoTokenizer.from_pretrained`.
    """
    vocab = {str(n): n for n in range(task.num_numbers)}
    vocab.update({tok: task.num_numbers + i for i, tok in enumerate(SPECIAL_TOKENS)})
    backend = Tokenizer(models.WordLevel(vocab, unk_token=None))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="$",
        eos_token=".",
        pad_token="<pad>",
        sep_token=">",
        model_max_length=task.context_length,
        clean_up_tokenization_spaces=False,
    )
