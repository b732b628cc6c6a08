"""A pool of sentences made ready for the model: identical texts run once.

Corpora repeat sentences (headings, boilerplate, "See also ..." lines, code shown twice): the
model's activations depend only on the text, so each distinct text is run once and its
activations serve every sentence that has it. The words (spaCy's or gold annotations) may
differ between copies, so alignment and head statistics are reused only between copies whose
words are equal too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exbert_ls.store.rows import SentenceKey
from exbert_ls.store.segment import Sentence


@dataclass(frozen=True)
class Distinct:
    """``texts[u]`` is run once; ``copies[u]`` lists the work items (indices) that have it."""

    texts: list[str]
    copies: list[list[int]]
    lengths: list[int]
    """Model positions of each distinct text (special tokens included)."""


def distinct_texts(work: Sequence[tuple[SentenceKey, Sentence]], lengths: Sequence[int]) -> Distinct:
    """Group ``work`` by sentence text, in order of first appearance; ``lengths[i]`` is the
    token count of ``work[i]``."""
    first: dict[str, int] = {}
    texts: list[str] = []
    copies: list[list[int]] = []
    distinct_lengths: list[int] = []
    for i, (_key, sentence) in enumerate(work):
        u = first.setdefault(sentence.text, len(texts))
        if u == len(texts):
            texts.append(sentence.text)
            copies.append([])
            distinct_lengths.append(lengths[i])
        copies[u].append(i)
    return Distinct(texts, copies, distinct_lengths)
