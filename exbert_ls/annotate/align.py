"""Align words to model tokens through the tokenizer's character offsets.

Guarantees (property-tested): every non-special token maps to exactly one word;
every word maps to one or more tokens, or is listed as unaligned (its characters
were dropped by the tokenizer's normaliser, e.g. control characters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from exbert_ls.annotate.words import Word
from exbert_ls.errors import InvalidInputError
from exbert_ls.model.activations import Token


@dataclass(frozen=True)
class Alignment:
    token_to_word: np.ndarray
    """``[T]`` word index of each token; -1 for special tokens."""
    piece_index: np.ndarray
    """``[T]`` position of the token among its word's tokens (0 = first piece); -1 for special."""
    word_tokens: list[list[int]]
    """Token indices of each word, in order (empty for unaligned words)."""

    @property
    def unaligned_words(self) -> list[int]:
        return [w for w, toks in enumerate(self.word_tokens) if not toks]


def align(tokens: Sequence[Token], words: Sequence[Word], text_length: int) -> Alignment:
    """Map tokens to the words whose characters they cover (most overlap wins).

    A token covering no word character (a whitespace piece, a zero-width piece) goes to
    the nearest word, preferring the following one: byte-level BPE glues spaces to the
    next word.
    """
    non_special = [t for t in tokens if not t.special]
    if non_special and not words:
        raise InvalidInputError("the text has tokens but no words to align them to")
    char_word = np.full(text_length + 1, -1, dtype=np.int64)
    for word in words:
        char_word[word.start : word.end] = word.index
    starts = np.array([word.start for word in words], dtype=np.int64)
    ends = np.array([word.end for word in words], dtype=np.int64)

    token_to_word = np.full(len(tokens), -1, dtype=np.int64)
    for tok in non_special:
        covered = char_word[tok.start : tok.end]
        covered = covered[covered >= 0]
        if covered.size:
            token_to_word[tok.index] = np.bincount(covered).argmax()
        else:
            # distance from the token to each word; following words win ties
            gap_after = starts - tok.end
            gap_before = tok.start - ends
            distance = np.maximum(np.maximum(gap_after, gap_before), 0) * 2 + (gap_after < 0)
            token_to_word[tok.index] = int(np.argmin(distance))

    word_tokens: list[list[int]] = [[] for _ in words]
    piece_index = np.full(len(tokens), -1, dtype=np.int64)
    for t, w in enumerate(token_to_word.tolist()):
        if w >= 0:
            piece_index[t] = len(word_tokens[w])
            word_tokens[w].append(t)
    return Alignment(token_to_word, piece_index, word_tokens)
