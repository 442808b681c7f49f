"""The counting task: `$ a b > a a+1 ... b .` (SPEC §2).

Every integer 0..N-1 is one token, and its id equals its value. The four
specials follow the numbers: `$` = N, `>` = N+1, `.` = N+2, pad = N+3, so the
vocabulary holds N + 4 tokens.

An example of count length L starts at `a` (uniform in 0..N-L) and ends at
b = a + L - 1. It is L + 5 tokens long: `$ a b >` (the prompt), L answer
tokens and the end token `.`. The loss and exact match cover the answer and
`.`; the prompt is never scored.

One generator serves training (packed rows from a seeded stream), evaluation
(every window per test length) and the `datasets` builder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from hf_distscale.presets import load_preset

NUM_SPECIAL_TOKENS = 4
PROMPT_LENGTH = 4  # `$ a b >`
IGNORE_INDEX = -100  # transformers' label value for "no loss here"


@dataclass(frozen=True)
class CountingTask:
    """A counting-task configuration; every field is validated on construction."""

    vocab_size: int = 150
    min_train_length: int = 1
    max_train_length: int = 30
    context_length: int = 256
    test_lengths: tuple[int, ...] = field(default=(30, 40, 50, 60, 70, 80, 90, 100))
    train_rows: int = 20000
    name: str = "custom"

    def __post_init__(self):
        object.__setattr__(self, "test_lengths", tuple(int(x) for x in self.test_lengths))
        if self.vocab_size < NUM_SPECIAL_TOKENS + 1:
            raise ValueError(
                f"vocab_size: {self.vocab_size} is too small; it must be at least "
                f"{NUM_SPECIAL_TOKENS + 1} (4 special tokens plus at least one number)"
            )
        if self.min_train_length < 1:
            raise ValueError(f"min_train_length: {self.min_train_length} must be at least 1")
        if self.min_train_length > self.max_train_length:
            raise ValueError(
                f"min_train_length: {self.min_train_length} is larger than "
                f"max_train_length ({self.max_train_length})"
            )
        if self.max_train_length > self.num_numbers:
            raise ValueError(
                f"max_train_length: {self.max_train_length} exceeds the {self.num_numbers} "
                f"number tokens of vocab_size {self.vocab_size}"
            )
        if self.example_length(self.max_train_length) > self.context_length:
            raise ValueError(
                f"max_train_length: an example of length {self.max_train_length} takes "
                f"{self.example_length(self.max_train_length)} tokens and does not fit "
                f"context_length {self.context_length}; use at most "
                f"{self.context_length - PROMPT_LENGTH - 1}"
            )
        if not self.test_lengths:
            raise ValueError("test_lengths: at least one test length is required")
        for length in self.test_lengths:
            self.check_test_length(length)
        if self.train_rows < 1:
            raise ValueError(f"train_rows: {self.train_rows} must be at least 1")

    # ---- vocabulary -------------------------------------------------------
    @property
    def num_numbers(self) -> int:
        return self.vocab_size - NUM_SPECIAL_TOKENS

    @property
    def start_id(self) -> int:
        return self.num_numbers

    @property
    def sep_id(self) -> int:
        return self.num_numbers + 1

    @property
    def end_id(self) -> int:
        return self.num_numbers + 2

    @property
    def pad_id(self) -> int:
        return self.num_numbers + 3

    @staticmethod
    def example_length(count_length: int) -> int:
        return PROMPT_LENGTH + count_length + 1

    def check_test_length(self, length: int) -> None:
        """Raise a ValueError if no window of this count length exists."""
        if not 1 <= length <= self.num_numbers:
            raise ValueError(
                f"test length: {length} is impossible; count lengths run from 1 to the "
                f"{self.num_numbers} number tokens of vocab_size {self.vocab_size}"
            )

    # ---- presets ----------------------------------------------------------
    @classmethod
    def from_preset(cls, name: str, **overrides) -> "CountingTask":
        fields = dict(load_preset(name)["task"], name=name)
        fields.update(overrides)
        unknown = set(fields) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"preset {name!r}: unknown task field(s) {sorted(unknown)}")
        return cls(**fields)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["test_lengths"] = list(self.test_lengths)
        return data

    # ---- examples ---------------------------------------------------------
    def _tokens_at(self, offset, start, length):
        """Token at `offset` inside examples (start, length); broadcasts over arrays."""
        answer = start + offset - PROMPT_LENGTH
        tokens = np.where(offset == 0, self.start_id, answer)
        tokens = np.where(offset == 1, start, tokens)
        tokens = np.where(offset == 2, start + length - 1, tokens)
        tokens = np.where(offset == 3, self.sep_id, tokens)
        return np.where(offset == PROMPT_LENGTH + length, self.end_id, tokens)

    def test_set(self, length: int) -> dict[str, np.ndarray]:
        """Every window a = 0..N-L of count length L, one example per row.

        All rows of one length have the same size (L + 5), so no padding is
        needed within a split. `loss_mask` is 1 on the answer and `.`.
        """
        self.check_test_length(length)
        starts = np.arange(self.num_numbers - length + 1, dtype=np.int64)
        offsets = np.arange(self.example_length(length), dtype=np.int64)
        input_ids = self._tokens_at(offsets[None, :], starts[:, None], length)
        loss_mask = np.broadcast_to(offsets >= PROMPT_LENGTH, input_ids.shape)
        return {
            "input_ids": input_ids.astype(np.int32),
            "loss_mask": loss_mask.astype(np.int8),
            "start": starts.astype(np.int32),
        }

    def training_batch(self, data_seed: int, index: int, rows: int) -> dict[str, np.ndarray]:
        """Packed training rows number `index` of the stream with `data_seed`.

        Each call draws from its own generator seeded by (data_seed, index), so
        any batch is reproducible on its own: resuming at step k needs only k.
        Count lengths are uniform in [min, max], starts uniform in 0..N-L.
        Examples are packed back to back; the one cut off by the end of the
        context keeps its tokens but is masked out.
        """
        rng = np.random.default_rng([data_seed, index])
        # Enough examples per row to always overflow the context.
        per_row = self.context_length // self.example_length(self.min_train_length) + 1
        lengths = rng.integers(
            self.min_train_length, self.max_train_length + 1, size=(rows, per_row)
        )
        starts = (rng.random((rows, per_row)) * (self.num_numbers - lengths + 1)).astype(np.int64)
        ends = np.cumsum(lengths + PROMPT_LENGTH + 1, axis=1)
        begins = ends - (lengths + PROMPT_LENGTH + 1)

        # One searchsorted over all rows: shift row r by r * span so rows never overlap.
        span = int(ends[:, -1].max()) + 1
        row_shift = np.arange(rows)[:, None] * span
        positions = np.arange(self.context_length)
        flat = np.searchsorted((ends + row_shift).ravel(), (positions + row_shift), side="right")
        example = flat - np.arange(rows)[:, None] * per_row
        pick = lambda a: np.take_along_axis(a, example, axis=1)  # noqa: E731
        offset = positions[None, :] - pick(begins)
        length = pick(lengths)
        input_ids = self._tokens_at(offset, pick(starts), length)
        complete = pick(ends) <= self.context_length
        loss_mask = complete & (offset >= PROMPT_LENGTH)
        return {"input_ids": input_ids.astype(np.int32), "loss_mask": loss_mask.astype(np.int8)}

    def training_stream(self, data_seed: int, batch_size: int, start_index: int = 0):
        """Endless packed batches; `start_index` resumes the stream mid-way."""
        index = start_index
        while True:
            yield self.training_batch(data_seed, index, batch_size)
            index += 1


def labels_from_mask(input_ids: np.ndarray, loss_mask: np.ndarray) -> np.ndarray:
    """transformers-style labels: the token where the mask is set, -100 elsewhere."""
    return np.where(loss_mask.astype(bool), input_ids, IGNORE_INDEX)
