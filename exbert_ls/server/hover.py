"""Hover on a word: which heads attend most from it, what those heads do in the corpus, and
what the word's nearest corpus neighbours are.

The sentence around the cursor (paragraphs split at blank lines, sentences at ``.!?``
followed by whitespace) is run through the model; runs are cached by sentence text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from exbert_ls.errors import ExbertError, InputTooLongError
from exbert_ls.inputs import max_chars
from exbert_ls.server.state import ServerState
from exbert_ls.store.reader import CorpusReader

log = logging.getLogger(__name__)

HOVER_LANGUAGES = frozenset({"plaintext", "markdown", "text", ""})
TOP_HEADS = 3
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentence_at(text: str, offset: int) -> Span | None:
    """The sentence containing ``offset`` (whitespace trimmed), None on a blank line."""
    start, end = 0, len(text)
    for m in _PARAGRAPH_BREAK.finditer(text):
        if m.end() <= offset:
            start = m.end()
        elif m.start() <= offset:
            return None  # on the blank line(s) between paragraphs
        else:
            end = m.start()
            break
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.end() <= offset:
            start = m.end()
        elif m.start() >= offset:
            end = m.start()
            break
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not start <= offset < end:
        return None
    return Span(start, end)


def word_at(text: str, offset: int) -> Span | None:
    for m in _WORD.finditer(text):
        if m.start() <= offset < m.end():
            return Span(m.start(), m.end())
        if m.start() > offset:
            break
    return None


@dataclass(frozen=True)
class HeadPick:
    layer: int
    """1-based."""
    head: int
    target: int
    """Token attended most (outside the word itself and special tokens)."""
    weight: float


def strongest_heads(attention: np.ndarray, rows: np.ndarray, keys: np.ndarray, top: int = TOP_HEADS) -> list[HeadPick]:
    """Heads whose attention from the word's tokens (mean over its pieces) puts the most
    weight on one other token. ``attention`` ``[L, H, T, T]``; ``rows`` the word's token
    indices; ``keys`` a ``[T]`` mask of tokens that count as targets."""
    if not keys.any():
        return []
    from_word = attention[:, :, rows, :].mean(axis=2)  # [L, H, T]
    from_word = np.where(keys, from_word, -1.0)
    best = from_word.argmax(-1)  # [L, H]
    weight = np.take_along_axis(from_word, best[..., None], -1)[..., 0]
    order = np.argsort(-weight, axis=None, kind="stable")[:top]
    layers, heads = np.unravel_index(order, weight.shape)
    return [
        HeadPick(int(l) + 1, int(h), int(best[l, h]), float(weight[l, h]))
        for l, h in zip(layers.tolist(), heads.tolist())
    ]


def hover_markdown(state: ServerState, text: str, offset: int) -> tuple[str, Span] | None:
    """Markdown for a hover at ``offset`` of ``text`` and the word's span, or None."""
    sentence = sentence_at(text, offset)
    if sentence is None:
        return None
    rel = offset - sentence.start
    info = state.runner().info
    if sentence.end - sentence.start > max_chars(info.max_positions):  # refused before tokenizing
        log.info("hover skipped: the sentence is %d characters long", sentence.end - sentence.start)
        return None
    sentence_text = text[sentence.start : sentence.end]
    word = word_at(sentence_text, rel)
    if word is None:
        return None
    db = state.db_or_none()
    key = (sentence_text, word.start, word.end, db is not None)
    markdown = state.hover_memo(key, lambda: _tooltip(state, db, sentence_text, word))
    if markdown is None:
        return None
    return markdown, Span(sentence.start + word.start, sentence.start + word.end)


def _tooltip(state: ServerState, db: CorpusReader, sentence_text: str, word: Span) -> str | None:
    try:
        acts = state.hover_run(sentence_text, contexts=db is not None)
    except InputTooLongError as exc:
        log.info("hover skipped: %s", exc)
        return None
    starts = np.array([t.start for t in acts.tokens])
    ends = np.array([t.end for t in acts.tokens])
    special = acts.special_mask
    in_word = ~special & (starts < word.end) & (ends > word.start)
    rows = np.flatnonzero(in_word)
    if rows.size == 0:
        return None
    picks = strongest_heads(acts.attention, rows, ~special & ~in_word)
    runner = state.runner()
    info = runner.info
    word_text = sentence_text[word.start : word.end]
    lines = [f"**exbert** · `{word_text}` · {info.name} ({info.num_layers} layers × {info.num_heads} heads)", ""]
    summaries = _head_descriptions(db)
    if picks:
        lines += ["| head | attends most to | weight | in the corpus |", "|---|---|---|---|"]
        for pick in picks:
            target = acts.tokens[pick.target]
            target_text = sentence_text[target.start : target.end] or target.text
            distance = int(pick.target - rows[0]) if pick.target < rows[0] else int(pick.target - rows[-1])
            corpus = summaries.get((pick.layer, pick.head), "")
            # a no-break space: VS Code's hover table would wrap "L1 H2" onto two lines
            lines.append(
                f"| L{pick.layer}\u00a0H{pick.head} | `{target_text}`\u00a0({distance:+d}) | {pick.weight:.2f} | {_cell(corpus)} |"
            )
    else:
        lines.append("_no other token to attend to in this sentence_")
    if db is not None:
        neighbours = _neighbour_line(state, db, runner, acts, int(rows[0]))
        if neighbours:
            lines += ["", neighbours]
    elif state.database_uri() is not None:
        lines += ["", "_no corpus index for this model: run `exbert.indexWorkspace` for head summaries and neighbours_"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _head_descriptions(db: CorpusReader) -> dict[tuple[int, int], str]:
    if db is None:
        return {}
    try:
        from exbert_ls.search import head_summaries

        summary = head_summaries(db)
    except ExbertError as exc:
        log.info("hover without head summaries: %s", exc)
        return {}
    return {(h.layer, h.head): h.description for h in summary.heads}


def _neighbour_line(state: ServerState, db: CorpusReader, runner: Any, acts: Any, token: int) -> str | None:
    """``"L3 neighbours: 82 % NOUN, 61 % dobj"`` from a k-nearest search at the default layer."""
    from exbert_ls.search import search

    layer = state.settings.layer_for(runner.info.num_layers)
    try:
        result = search(db, runner, acts, token, layer, k=state.settings.k)
    except ExbertError as exc:
        log.info("hover without neighbours: %s", exc)
        return None
    summary = result.summary
    count = summary.count
    if not count:
        return None
    parts = []
    for counts in (summary.pos, summary.dep):
        if counts:
            label, n = max(counts.items(), key=lambda kv: kv[1])
            parts.append(f"{100 * n / count:.0f} % {label or '∅'}")
    return f"L{layer} neighbours: {', '.join(parts)} ({count} nearest corpus tokens)" if parts else None
