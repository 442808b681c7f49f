"""The word-level tokenizer: one token per number, AutoTokenizer round-trip."""

import pytest
from transformers import AutoTokenizer

from hf_distscale.tasks import CountingTask, build_tokenizer


@pytest.mark.parametrize("preset", ["paper", "reduced"])
def test_saved_tokenizer_reloads_and_round_trips_every_test_example(preset, tmp_path):
    task = CountingTask.from_preset(preset)
    build_tokenizer(task).save_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert len(tokenizer) == task.vocab_size
    assert tokenizer.pad_token_id == task.pad_id and tokenizer.eos_token_id == task.end_id
    for length in task.test_lengths:
        for row in task.test_set(length)["input_ids"].tolist():
            text = tokenizer.decode(row)
            assert tokenizer(text)["input_ids"] == row


def test_numbers_are_single_tokens_never_digits():
    task = CountingTask.from_preset("paper")
    tokenizer = build_tokenizer(task)
    assert tokenizer("$ 123 145 > 123")["input_ids"] == [146, 123, 145, 147, 123]
    assert tokenizer.decode([146, 5, 9, 147, 5, 6, 7, 8, 9, 148]) == "$ 5 9 > 5 6 7 8 9 ."
