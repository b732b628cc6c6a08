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

from exbert_ls.annotate.align import Alignment, align
from exbert_ls.annotate.words import Word
from exbert_ls.errors import InvalidInputError
from exbert_ls.model.activations import Activations
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store.rows import SentenceKey
from exbert_ls.store.segment import Sentence, fit
from exbert_ls.summarize.heads import HeadStats, sentence_head_stats


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


def windowed_work(
    pool: Sequence[tuple[str, str, Sentence]], runner: ModelRunner, next_number: dict[str, int]
) -> tuple[list[tuple[SentenceKey, Sentence]], list[int]]:
    """The pool's ``(doc, hash, sentence)`` items as numbered model windows and their token
    counts: a sentence longer than the model's positions becomes several windows, each numbered
    in document order (``next_number`` is updated). One definition for every engine, so the
    local and the Ray engine number and batch identically."""
    work: list[tuple[SentenceKey, Sentence]] = []
    lengths: list[int] = []
    counts = runner.count_tokens([s.text for _d, _h, s in pool]) if pool else []
    for (doc, doc_hash, sentence), length in zip(pool, counts, strict=True):
        windows = fit(sentence, runner, length)
        for window in windows:
            number = next_number.get(doc, 0)
            next_number[doc] = number + 1
            work.append((SentenceKey(doc, doc_hash, number), window))
            lengths.append(length if len(windows) == 1 else runner.info.max_positions)
    return work, lengths


CopyResult = tuple[SentenceKey, Sentence, "tuple[Alignment, HeadStats] | InvalidInputError"]


def copy_results(acts: Activations, copies: list[tuple[SentenceKey, Sentence]]) -> list[CopyResult]:
    """Alignment and head statistics of every sentence that has this text (computed once per
    distinct word list), or why the sentence cannot be aligned."""
    done: dict[tuple[Word, ...], tuple[Alignment, HeadStats] | InvalidInputError] = {}
    out: list[CopyResult] = []
    for key, sentence in copies:
        result = done.get(sentence.words)
        if result is None:
            try:
                alignment = align(acts.tokens, sentence.words, len(sentence.text))
                result = (alignment, sentence_head_stats(acts.attention, acts.special_mask, alignment, sentence.words))
            except InvalidInputError as exc:  # e.g. a window whose characters hold no word
                result = exc
            done[sentence.words] = result
        out.append((key, sentence, result))
    return out
