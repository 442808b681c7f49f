"""A small invented world of facts: a pretraining corpus and multiple-choice questions on it.

The facts (invented countries' capitals, invented animals' food and colour, sums
in words) are data in `toy_knowledge.yaml`, over three subjects: geography,
zoology and arithmetic. From them come:

- `corpus_texts(n, seed)`: plain sentences stating the facts, the corpus a tiny
  base LM and a re-initialised population's continued pretraining train on;
- `questions(split)`: MMLU-style rows (question, subject, choices, answer) with
  4 choices. The question is the first template cut before the value
  ("the capital of zorvia is"), and the choices are values of the same
  relation, so lm-eval scores the choice texts as continuations (the `mmlu`
  format with letters would leave a model this small at chance on every seed);
- `build_tokenizer()`: a word-level tokenizer over the world's words.

Why seeds differ on it: within a relation, the k-th fact is stated with weight
1/k (Zipf). Under a fixed token budget the first facts are learned by every
seed and the last ones by none, while the facts in between sit at the edge of
memorisation: whether a seed learns them depends on its initialisation and on
how often its data order happened to show them. Distractors are other values of
the same relation, which also occur in the corpus, so word frequency alone
does not give the answer, and questions cover every rank, so accuracy and NLL
spread across seeds instead of saturating.

Every fact of rank k = 7, 14, 21, 28 (1-based) is in the `dev` split (few-shot
examples), the rest in `test`: 24 test questions per subject.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from hf_distscale.formats.outputs import write_file

WORLD_FILE = Path(__file__).with_name("toy_knowledge.yaml")
NUM_CHOICES = 4
DEV_EVERY = 7  # ranks 7, 14, ... go to the dev split
SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>")


@dataclass(frozen=True)
class Fact:
    """One fact: `entity` has `value` under `relation`; `rank` (1-based) sets its frequency."""

    subject: str
    relation: str
    entity: str
    value: str
    rank: int
    templates: tuple[str, ...]
    alternatives: tuple[str, ...]  # values a distractor may take

    def sentence(self, template: str) -> str:
        return template.format(entity=self.entity, value=self.value)

    @property
    def question(self) -> str:
        """The first template up to the value: "the capital of zorvia is"."""
        return self.templates[0].split("{value}")[0].format(entity=self.entity).strip()

    @property
    def split(self) -> str:
        return "dev" if self.rank % DEV_EVERY == 0 else "test"


@functools.cache
def facts() -> tuple[Fact, ...]:
    """Every fact of the world, by subject, relation, then rank."""
    world = yaml.safe_load(WORLD_FILE.read_text())
    out = []
    for subject, spec in world["subjects"].items():
        for relation, rel in spec["relations"].items():
            templates = tuple(rel["templates"])
            if "pairs" in rel:  # sums: "a plus b" -> the sum in words
                numbers = rel["numbers"]
                pairs = [(f"{numbers[a]} plus {numbers[b]}", a + b) for a, b in rel["pairs"]]
                for rank, (entity, total) in enumerate(pairs, start=1):
                    near = [numbers[n] for n in range(total - 3, total + 4)
                            if n != total and 0 <= n < len(numbers)]
                    out.append(Fact(subject, relation, entity, numbers[total], rank, templates,
                                    tuple(near)))
            else:
                values = tuple(rel["facts"].values())
                for rank, (entity, value) in enumerate(rel["facts"].items(), start=1):
                    others = tuple(v for v in values if v != value)
                    out.append(Fact(subject, relation, entity, value, rank, templates, others))
    return tuple(out)


def subjects() -> list[str]:
    return list(dict.fromkeys(fact.subject for fact in facts()))


def fact_probabilities() -> np.ndarray:
    """P(fact) in the corpus: subjects equally likely, relations equally likely within
    a subject, and the fact of rank k within its relation with weight 1/k."""
    all_facts = facts()
    relations = {}
    for fact in all_facts:
        relations.setdefault(fact.subject, set()).add(fact.relation)
    harmonic = {}
    for fact in all_facts:
        harmonic[fact.relation] = harmonic.get(fact.relation, 0.0) + 1.0 / fact.rank
    probs = np.array([
        1.0 / len(relations) / len(relations[f.subject]) / f.rank / harmonic[f.relation]
        for f in all_facts
    ])
    return probs / probs.sum()


def corpus_texts(n_sentences: int, seed: int) -> list[str]:
    """`n_sentences` sentences, each one fact in one of its templates, drawn i.i.d.

    Facts follow `fact_probabilities()`, templates are uniform; the stream is a
    pure function of (n_sentences, seed).
    """
    rng = np.random.default_rng(seed)
    all_facts = facts()
    picks = rng.choice(len(all_facts), size=n_sentences, p=fact_probabilities())
    template_draws = rng.random(n_sentences)
    out = []
    for index, draw in zip(picks, template_draws):
        fact = all_facts[index]
        out.append(fact.sentence(fact.templates[int(draw * len(fact.templates))]))
    return out


def questions(split: str = "test") -> list[dict]:
    """MMLU-style rows for `split` ("test" or "dev"): question, subject, choices, answer.

    The three distractors and the answer's position are drawn from a generator
    seeded by the fact's position in the world, so the rows never change.
    """
    if split not in ("test", "dev"):
        raise ValueError(f"split: {split!r} is not a split of the toy world; use 'test' or 'dev'")
    rows = []
    for index, fact in enumerate(facts()):
        if fact.split != split:
            continue
        rng = np.random.default_rng([7, index])
        distractors = list(rng.choice(fact.alternatives, size=NUM_CHOICES - 1, replace=False))
        answer = int(rng.integers(NUM_CHOICES))
        choices = distractors[:answer] + [fact.value] + distractors[answer:]
        rows.append({"question": fact.question, "subject": fact.subject,
                     "choices": [str(c) for c in choices], "answer": answer})
    return rows


def export_questions(folder: str | Path) -> list[Path]:
    """Write `<split>.json` (JSON Lines) of both splits into `folder`, for the lm-eval task."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for split in ("dev", "test"):
        path = folder / f"{split}.json"
        paths.append(write_file(path, "".join(json.dumps(row) + "\n" for row in questions(split)).encode()))
    return paths


def vocabulary() -> list[str]:
    """Special tokens, then every word of every sentence and choice, sorted."""
    words = set()
    for fact in facts():
        for template in fact.templates:
            words.update(fact.sentence(template).split())
        for alternative in fact.alternatives:
            words.update(alternative.split())
    return list(SPECIAL_TOKENS) + sorted(words - set(SPECIAL_TOKENS))


def build_tokenizer(model_max_length: int = 64) -> PreTrainedTokenizerFast:
    """A word-level fast tokenizer over `vocabulary()`; encoding prepends `<s>`.

    Every word is one token, split on whitespace. Saved with `save_pretrained`,
    it reloads with `AutoTokenizer.from_pretrained`. Prepending `<s>` keeps one
    BOS convention in training and in lm-eval, which encodes with the
    tokenizer's default special tokens.
    """
    vocab = {word: i for i, word in enumerate(vocabulary())}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", vocab["<s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=model_max_length,
        clean_up_tokenization_spaces=False,
    )
