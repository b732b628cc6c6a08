"""Text -> annotated sentences that fit the model.

* **Chunks**: spaCy never sees more than ``chunk_chars`` characters at once (its own limit
  is 1,000,000; ours 20,000 keeps cancel prompt). Paragraphs (blank-line separated) are packed into chunks; a longer
  paragraph is cut at line breaks, then at whitespace, then anywhere. Single line breaks
  inside a paragraph become spaces (hard-wrapped prose parses better; offsets unchanged).
* **Sentences**: spaCy's parser splits each chunk; a sentence never crosses a chunk.
* **Windows**: a sentence longer than the model's positions is cut into consecutive,
  non-overlapping windows at word boundaries (inside a word only when one word alone is too
  long), each at most ``max_positions`` tokens with special tokens; each window is stored
  as its own sentence, so a stored row is exactly what ``runner.run(window_text)`` computes.
  Words keep their annotations; a head outside the window becomes -1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from exbert_ls.annotate.words import Word, words_from_tokens
from exbert_ls.model.runner import ModelRunner

CHUNK_CHARS = 20_000
"""spaCy parses ~15 k characters a second on a loaded core: a 20 k piece keeps Ctrl-C within
about a second or two (a 100 k piece took 6 s); paragraphs are rarely longer, so sentences of
ordinary prose are unaffected."""
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class Sentence:
    """A sentence (or window) of a document with its words; offsets relative to ``text``."""

    text: str
    words: tuple[Word, ...]


# ------------------------------------------------------------------- chunks


def chunks(text: str, limit: int = CHUNK_CHARS) -> Iterator[str]:
    """Paragraph-packed pieces of ``text``, each at most ``limit`` characters."""
    pending: list[str] = []
    size = 0
    for paragraph in _PARAGRAPH.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        paragraph = paragraph.replace("\n", " ")
        for piece in _cut(paragraph, limit):
            if pending and size + 2 + len(piece) > limit:
                yield "\n\n".join(pending)
                pending, size = [], 0
            pending.append(piece)
            size += len(piece) + 2
    if pending:
        yield "\n\n".join(pending)


def stream_chunks(blocks: Iterable[str], limit: int = CHUNK_CHARS) -> Iterator[str]:
    """:func:`chunks` of the concatenation of ``blocks``, holding about one block plus
    ``limit`` characters at a time (a 1 GB file is never whole in memory).

    Equal to ``chunks("".join(blocks), limit)`` (property-tested): a paragraph separator is
    taken only once the match stops before the buffer's end (its whitespace tail is complete),
    and an unfinished paragraph is cut as :func:`_cut` would, but only up to its last
    non-space character (what follows may still become a separator)."""
    pack = _Packer(limit)
    buffer = ""
    for block in blocks:
        buffer += block
        begin = 0
        for match in _PARAGRAPH.finditer(buffer):
            if match.end() == len(buffer):
                break  # the separator may go on in the next block
            yield from pack.paragraph(buffer[begin : match.start()])
            begin = match.end()
        rest = buffer[begin:]
        safe = len(rest.rstrip())  # everything before the trailing whitespace is paragraph text
        consumed = 0
        if safe > 2 * limit:
            pieces, consumed = _cut_prefix(rest[:safe].replace("\n", " "), limit)
            for piece in pieces:
                yield from pack.piece(piece)
        buffer = rest[consumed:]
    yield from pack.paragraph(buffer)
    yield from pack.close()


_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")


def blank_line_pieces(blocks: Iterable[str], at_least: int = 1 << 16) -> Iterator[str]:
    """The concatenation of ``blocks`` cut just after a line break that a blank line follows,
    in pieces of about ``at_least`` characters: a CoNLL-U file streamed, each piece whole
    sentences, so ``conllu_sentences`` of the pieces equals that of the whole text."""
    buffer = ""
    searched = 0  # the buffer holds no blank line before this (a cut missed is harmless)
    for block in blocks:
        buffer += block
        if len(buffer) < at_least:
            continue
        last = None
        for match in _BLANK_LINE.finditer(buffer, searched):
            last = match
        if last is not None:
            cut = last.start() + 1  # just after the line break that ends a sentence's last line
            yield buffer[:cut]
            buffer = buffer[cut:]
        searched = max(len(buffer) - 1, 0)
    if buffer:
        yield buffer


class _Packer:
    """Packs paragraph pieces into chunks of at most ``limit`` characters (``chunks``' loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pending: list[str] = []
        self.size = 0

    def paragraph(self, paragraph: str) -> Iterator[str]:
        paragraph = paragraph.strip()
        if paragraph:
            for piece in _cut(paragraph.replace("\n", " "), self.limit):
                yield from self.piece(piece)

    def piece(self, piece: str) -> Iterator[str]:
        if self.pending and self.size + 2 + len(piece) > self.limit:
            yield "\n\n".join(self.pending)
            self.pending, self.size = [], 0
        self.pending.append(piece)
        self.size += len(piece) + 2

    def close(self) -> Iterator[str]:
        if self.pending:
            yield "\n\n".join(self.pending)
            self.pending, self.size = [], 0


def _cut_prefix(text: str, limit: int) -> tuple[list[str], int]:
    """The pieces :func:`_cut` yields from ``text`` while more than ``limit`` characters
    remain, and where it stopped: the rest is cut once more of the paragraph has arrived."""
    pieces = []
    stop = 0
    for piece_begin, piece in _cut_spans(text, limit):
        if len(text) - piece_begin <= limit:
            break  # the last piece: in the whole paragraph it may be longer
        pieces.append(piece)
        stop = piece_begin + len(piece)
    while stop < len(text) and text[stop].isspace():
        stop += 1
    return pieces, stop


def _cut(text: str, limit: int) -> Iterator[str]:
    for _begin, piece in _cut_spans(text, limit):
        yield piece


def _cut_spans(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """Pieces of at most ``limit`` characters, cut at the last whitespace where there is one.

    Walks an index instead of re-slicing the remainder: on a 50 MB single line, slicing the
    rest after each piece copied O(n^2) bytes and the run sat at 0 % for minutes."""
    begin, size = 0, len(text)
    while begin < size and text[begin].isspace():
        begin += 1
    while size - begin > limit:
        end = begin + limit
        cut = max(text.rfind(" ", begin, end), text.rfind("\t", begin, end))
        if cut <= begin:
            cut = end
        yield begin, text[begin:cut]
        begin = cut
        while begin < size and text[begin].isspace():
            begin += 1
    if begin < size:
        yield begin, text[begin:]


# ---------------------------------------------------------------- sentences


def spacy_sentences(nlp: Any, pieces: Iterable[str], batch_size: int = 1) -> Iterator[Sentence]:
    """Split and annotate with spaCy (``nlp.pipe``), one :class:`Sentence` per spaCy sentence.

    One pass over each Doc's tokens. ``batch_size`` 1: pieces are up to ``CHUNK_CHARS`` long, so
    batching them buys nothing and held 16 x 100 k characters of parses in memory at once
    (several GB, and Ctrl-C waited for the whole batch).
    """
    for doc in nlp.pipe(pieces, batch_size=batch_size):
        text = doc.text  # built by joining every token: once per Doc, not per sentence
        tokens: list[Any] = []
        for tok in doc:
            if tok.is_sent_start and tokens:
                sentence = _from_tokens(text, tokens)
                if sentence is not None:
                    yield sentence
                tokens = []
            tokens.append(tok)
        sentence = _from_tokens(text, tokens)
        if sentence is not None:
            yield sentence


def _from_tokens(text: str, tokens: list[Any]) -> Sentence | None:
    kept = [tok for tok in tokens if not tok.is_space]
    if not kept:
        return None
    base = kept[0].idx
    last = kept[-1]
    words = tuple(words_from_tokens(kept, base))
    return Sentence(text[base : last.idx + len(last.text)], words)


def sub_sentence(sentence: Sentence, lo: int, hi: int) -> Sentence | None:
    """The part of ``sentence`` in characters ``[lo, hi)`` (whitespace trimmed), words clipped."""
    piece = sentence.text[lo:hi]
    lo += len(piece) - len(piece.lstrip())
    hi = lo + len(piece.strip())
    if hi <= lo:
        return None
    inside = [w for w in sentence.words if w.start < hi and w.end > lo]
    renumber = {w.index: k for k, w in enumerate(inside)}
    words = tuple(
        replace(
            w,
            index=k,
            start=max(w.start, lo) - lo,
            end=min(w.end, hi) - lo,
            text=sentence.text[max(w.start, lo) : min(w.end, hi)],
            head=renumber.get(w.head, -1),
        )
        for k, w in enumerate(inside)
    )
    return Sentence(sentence.text[lo:hi], words)


# ------------------------------------------------------------------ windows


def fit(sentence: Sentence, runner: ModelRunner, length: int | None = None) -> list[Sentence]:
    """``sentence`` itself if it fits the model, else consecutive windows that do."""
    limit = runner.info.max_positions
    if length is None:
        length = runner.count_tokens([sentence.text])[0]
    if length <= limit:
        return [sentence]
    specials = runner.count_tokens([""])[0]
    encoded = runner.tokenizer(sentence.text, add_special_tokens=False, return_offsets_mapping=True)
    text = sentence.text
    trimmed = []
    for start, end in encoded["offset_mapping"]:
        while start < end and text[start].isspace():  # byte-level BPE glues the space on
            start += 1
        trimmed.append((start, end))
    offsets = np.array(trimmed, dtype=np.int64).reshape(-1, 2)
    word_starts = np.array([w.start for w in sentence.words], dtype=np.int64)
    return _windows(sentence, runner, offsets, word_starts, max(limit - specials - 2, 1))


def _windows(
    sentence: Sentence, runner: ModelRunner, offsets: np.ndarray, word_starts: np.ndarray, budget: int
) -> list[Sentence]:
    """Greedy: each window takes up to ``budget`` tokens, ending before the last word start."""
    limit = runner.info.max_positions
    starts = offsets[:, 0]
    # a token may end a window only if the next token begins a word
    begins_word = np.isin(starts, word_starts)
    windows: list[Sentence] = []
    first = 0
    count = len(offsets)
    while first < count:
        size = budget
        while True:
            stop = min(first + size, count)
            if stop < count:
                candidates = np.nonzero(begins_word[first + 1 : stop + 1])[0]
                if candidates.size:
                    stop = first + 1 + int(candidates[-1])
            hi = int(starts[stop]) if stop < count else len(sentence.text)
            window = sub_sentence(sentence, int(starts[first]), hi)
            if window is None or runner.count_tokens([window.text])[0] <= limit or size <= 1:
                break
            size = max(size // 2, 1)  # retokenised text came out longer: take fewer tokens
        if window is not None:
            windows.append(window)
        first = stop
    return windows
