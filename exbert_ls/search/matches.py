"""Matches with their context: sentence, annotations, neighbours, max-attended token; summary.

The *max-attended token* of a match is read from the index's ``max_att`` / ``max_att_w``
columns (each head's most-attended position and its weight): among the selected heads of
the layer (context search: the chosen heads; embedding search: the heads given, else all
heads of that layer) it is the position whose head put the **largest weight** on it.
Layer 0 (embeddings) has no attention, so embedding search at layer 0 reports none.

Summary counts are raw. For max-attended special tokens the POS/DEP/entity keys are the
token's own spelling (``[SEP]``), so attention to special tokens stays visible.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from exbert_ls.errors import StaleIndexError
from exbert_ls.payloads.search import (
    AttendedCounts,
    MatchSummary,
    MatchToken,
    MatchWord,
    MaxAttended,
    NextToken,
    SearchMatch,
    WordAnnotation,
)
from exbert_ls.search.engine import Hits, TokenFrame
from exbert_ls.search.query import QueryVector
from exbert_ls.store.reader import rows_at, scan

_MATCH_COLUMNS = ["token", "start", "end", "max_att", "max_att_w"]
_OTHER_COLUMNS = ["token", "special", "pos", "dep", "ent_type"]


def _take(table: Any, frame: TokenFrame, offsets: np.ndarray, columns: list[str]) -> dict[str, list[Any]]:
    """Rows at ``offsets`` (in that order) as column lists; -1 offsets give None.

    Offsets are positions in the table's current scan order; the rows read must be the
    ``(sentence, position)`` the frame expects, else the table was written to meanwhile.
    """
    valid = sorted({int(o) for o in offsets if o >= 0})
    out: dict[str, list[Any]] = {c: [None] * len(offsets) for c in columns}
    if not valid:
        return out
    rows, got = rows_at(table, valid, columns)
    expected = (frame.sentence[got], frame.position[got])
    if len(got) != len(valid) or not (
        np.array_equal(rows.column("sentence").to_numpy(), expected[0])
        and np.array_equal(rows.column("position").to_numpy(), expected[1])
    ):
        raise StaleIndexError("the index changed during the search (indexing in progress?); search again")
    where = {int(o): i for i, o in enumerate(got.tolist())}
    data = {c: rows.column(c).to_pylist() for c in columns}
    for j, o in enumerate(offsets.tolist()):
        if o >= 0:
            for c in columns:
                out[c][j] = data[c][where[o]]
    return out


def _sentences(table: Any, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    unique = sorted(set(ids))
    where = f"sentence IN ({', '.join(str(i) for i in unique)})"
    rows = scan(table, ["sentence", "doc", "text", "words_json"], where).to_pylist()
    return {int(r["sentence"]): {**r, "words": json.loads(r["words_json"])} for r in rows}


def _word(words: list[dict[str, Any]], index: int) -> WordAnnotation | None:
    if not 0 <= index < len(words):
        return None
    w = words[index]
    return WordAnnotation(
        text=w.get("text", ""), pos=w.get("pos", ""), dep=w.get("dep", ""), ent_type=w.get("ent_type", "")
    )


def _match_word(words: list[dict[str, Any]], index: int) -> MatchWord | None:
    if not 0 <= index < len(words):
        return None
    w = words[index]
    return MatchWord(
        text=w.get("text", ""),
        pos=w.get("pos", ""),
        dep=w.get("dep", ""),
        ent_type=w.get("ent_type", ""),
        tag=w.get("tag", ""),
    )


def max_attended_choice(
    max_att: np.ndarray, max_att_w: np.ndarray, layer: int, heads: Sequence[int] | None, num_heads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(position, weight, head)`` per row: the selected head with the largest max weight.

    ``max_att`` / ``max_att_w`` are ``[k, L*H]``; ``layer`` is 1-based.
    """
    chosen = np.arange(num_heads) if heads is None else np.asarray(heads, dtype=np.int64)
    cols = (layer - 1) * num_heads + chosen
    weights = max_att_w[:, cols].astype(np.float32)
    pick = weights.argmax(axis=1)
    rows = np.arange(len(weights))
    return max_att[:, cols][rows, pick].astype(np.int64), weights[rows, pick], chosen[pick]


def build_matches(
    db: Any, frame: TokenFrame, hits: Hits, query: QueryVector, *, num_heads: int, causal: bool
) -> list[SearchMatch]:
    """The ``matches`` list of an ``exbert.search/1`` payload."""
    offsets = hits.offsets
    sentence, position, word = frame.sentence[offsets], frame.position[offsets], frame.word[offsets]
    own = _take(db.tokens, frame, offsets, _MATCH_COLUMNS)
    texts = _sentences(db.sentences, sentence.tolist())

    ma_pos = ma_w = ma_head = None
    others = np.full(0, -1, dtype=np.int64)
    if query.layer >= 1 and len(offsets):
        ma_pos, ma_w, ma_head = max_attended_choice(
            np.asarray(own["max_att"], dtype=np.int64),
            np.asarray(own["max_att_w"], dtype=np.float32),
            query.layer,
            query.heads,
            num_heads,
        )
        others = frame.offsets(sentence, ma_pos)
    nexts = frame.offsets(sentence, position + 1) if causal else np.full(len(offsets), -1)
    other = _take(db.tokens, frame, np.concatenate([others, nexts]), _OTHER_COLUMNS)
    n_ma = len(others)

    matches = []
    for i in range(len(offsets)):
        s = texts[int(sentence[i])]
        words, w, p = s["words"], int(word[i]), int(position[i])
        max_attended = None
        if ma_pos is not None and ma_w is not None and ma_head is not None and other["token"][i] is not None:
            max_attended = MaxAttended(
                position=int(ma_pos[i]),
                offset=int(ma_pos[i]) - p,
                text=other["token"][i],
                pos=other["pos"][i] or "",
                dep=other["dep"][i] or "",
                ent_type=other["ent_type"][i] or "",
                special=bool(other["special"][i]),
                weight=round(float(ma_w[i]), 4),
                head=int(ma_head[i]),
            )
        next_token = None
        if causal and other["token"][n_ma + i] is not None:
            next_token = NextToken(position=p + 1, text=other["token"][n_ma + i])
        matches.append(
            SearchMatch(
                rank=i,
                similarity=round(float(hits.similarity[i]), 4),
                doc=s["doc"],
                sentence=int(sentence[i]),
                text=s["text"],
                token=MatchToken(position=p, text=own["token"][i], start=own["start"][i], end=own["end"][i]),
                word=_match_word(words, w),
                left=_word(words, w - 1),
                right=_word(words, w + 1),
                next_token=next_token,
                max_attended=max_attended,
            )
        )
    return matches


def summarize_matches(matches: Sequence[SearchMatch]) -> MatchSummary:
    """Raw counts of the matches' POS / DEP / entity and of their max-attended tokens'."""
    words = [m.word for m in matches if m.word is not None]
    attended = [m.max_attended for m in matches if m.max_attended is not None]

    def counts(values: Sequence[str]) -> dict[str, int]:
        return dict(Counter(values).most_common())

    def label(a: MaxAttended, key: str) -> str:
        return a.text if a.special else str(getattr(a, key))

    return MatchSummary(
        count=len(matches),
        pos=counts([w.pos for w in words]),
        dep=counts([w.dep for w in words]),
        ent_type=counts([w.ent_type for w in words]),
        max_attended=AttendedCounts(
            pos=counts([label(a, "pos") for a in attended]),
            dep=counts([label(a, "dep") for a in attended]),
            ent_type=counts([label(a, "ent_type") for a in attended]),
            offset=counts([str(a.offset) for a in attended]),
        ),
    )
