"""The counting task generator: packing, masks, determinism, test windows, validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_distscale.tasks import CountingTask, labels_from_mask


@st.composite
def tasks(draw):
    num_numbers = draw(st.integers(2, 200))
    max_len = draw(st.integers(1, min(num_numbers, 40)))
    min_len = draw(st.integers(1, max_len))
    context = draw(st.integers(max_len + 5, 300))
    return CountingTask(
        vocab_size=num_numbers + 4, min_train_length=min_len, max_train_length=max_len,
        context_length=context, test_lengths=(max_len,), train_rows=8,
    )


def reference_parse(task: CountingTask, row: np.ndarray):
    """Walk a packed row example by example; return (expected mask, count lengths seen)."""
    mask = np.zeros(len(row), dtype=np.int8)
    lengths, pos = [], 0
    while pos < len(row):
        assert row[pos] == task.start_id
        if pos + 3 > len(row):  # cut off inside the prompt: only `$ a` can be seen
            assert all(0 <= t < task.num_numbers for t in row[pos + 1 :])
            break
        a, b = int(row[pos + 1]), int(row[pos + 2])
        length = b - a + 1
        assert 0 <= a <= b < task.num_numbers
        assert task.min_train_length <= length <= task.max_train_length
        expected = [task.start_id, a, b, task.sep_id, *range(a, b + 1), task.end_id]
        window = row[pos : pos + len(expected)]
        assert window.tolist() == expected[: len(window)]
        if len(window) == len(expected):  # complete examples only are scored
            mask[pos + 4 : pos + len(expected)] = 1
            lengths.append(length)
        pos += len(expected)
    return mask, lengths


@settings(max_examples=60, deadline=None)
@given(task=tasks(), seed=st.integers(0, 2**31 - 1), index=st.integers(0, 1000))
def test_packed_rows_fill_context_and_mask_exactly_the_answers(task, seed, index):
    batch = task.training_batch(seed, index, rows=4)
    assert batch["input_ids"].shape == (4, task.context_length)
    for row, mask in zip(batch["input_ids"], batch["loss_mask"]):
        expected_mask, _ = reference_parse(task, row)
        np.testing.assert_array_equal(mask, expected_mask)
        labels = labels_from_mask(row, mask)
        assert np.all((labels == -100) | (labels == row))


@settings(max_examples=30, deadline=None)
@given(task=tasks(), seed=st.integers(0, 2**31 - 1))
def test_same_seed_same_data_and_other_seed_other_data(task, seed):
    first = task.training_batch(seed, 3, rows=4)
    again = task.training_batch(seed, 3, rows=4)
    np.testing.assert_array_equal(first["input_ids"], again["input_ids"])
    if task.num_numbers - task.max_train_length >= 4:  # >= 5 starts per row: collisions ~5**-16
        first, other = (task.training_batch(s, 3, rows=16)["input_ids"] for s in (seed, seed + 1))
        assert not np.array_equal(first, other)


def test_stream_resumes_mid_way():
    task = CountingTask.from_preset("smoke")
    stream = task.training_stream(data_seed=5, batch_size=4)
    batches = [next(stream)["input_ids"] for _ in range(5)]
    resumed = next(task.training_stream(data_seed=5, batch_size=4, start_index=3))["input_ids"]
    np.testing.assert_array_equal(resumed, batches[3])


def test_training_lengths_cover_the_whole_range():
    task = CountingTask.from_preset("reduced")
    _, lengths = zip(*(reference_parse(task, row) for row in task.training_batch(0, 0, 256)["input_ids"]))
    seen = {length for row_lengths in lengths for length in row_lengths}
    assert seen == set(range(task.min_train_length, task.max_train_length + 1))


@pytest.mark.parametrize("preset", ["paper", "reduced", "smoke"])
def test_test_sets_hold_every_window(preset):
    task = CountingTask.from_preset(preset)
    for length in task.test_lengths:
        examples = task.test_set(length)
        assert examples["input_ids"].shape == (task.num_numbers - length + 1, length + 5)
        for a, row, mask in zip(examples["start"], examples["input_ids"], examples["loss_mask"]):
            answer = list(range(a, a + length))
            assert row.tolist() == [task.start_id, a, a + length - 1, task.sep_id, *answer, task.end_id]
            assert mask.tolist() == [0] * 4 + [1] * (length + 1)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"vocab_size": 4}, "vocab_size"),
        ({"min_train_length": 5, "max_train_length": 3}, "min_train_length"),
        ({"max_train_length": 30, "context_length": 32}, "max_train_length"),
        ({"test_lengths": (147,)}, "test length"),
        ({"test_lengths": (0,)}, "test length"),
        ({"max_train_length": 200}, "max_train_length"),
        ({"train_rows": 0}, "train_rows"),
    ],
)
def test_impossible_configs_name_the_field(fields, named):
    with pytest.raises(ValueError, match=named):
        CountingTask(**fields)


def test_unknown_preset_lists_the_choices():
    with pytest.raises(ValueError, match="unknown preset 'nope'.*paper"):
        CountingTask.from_preset("nope")
