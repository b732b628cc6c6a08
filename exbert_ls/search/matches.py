"""Matches with their context: sentence, annotations, neighbours, max-attended token; summary.

The *max-attended token* of a match, given the model (``runner``), is the argmax of the
**selected heads' mean attention** row of the matched token (the single head's row when one
head is selected; all heads of the layer when none are), **excluding special tokens and
position 0** (the attention sink) by default, both switchable. The index stores only each
head's own argmax (``max_att`` / ``max_att_w``), and the argmax of a mean is not a function of
per-head argmaxes in general, so the matched sentences are run again, batched
(:func:`mean_max_attended`), except where the stored argmaxes of the selected heads agree on an
allowed key (:func:`agreed_max_attended`: then it is the mean's argmax too, and the weight is the
stored one, within 0.002); a sentence's results are cached per runner and rule, so a search
near an earlier one re-runs only the sentences it has not met. All heads under the default
rule (the default search) need no re-run at all: a layout-4 index stores that argmax per layer
(``mean_att``, computed by model/attended.py at indexing, as a re-run would). Without a runner
the index columns are used: the selected head with the largest max weight (``per-head max``,
no exclusions possible). Layer 0 (embeddings) has no attention: no max-attended token.

Identical contexts (same sentence text, same token position: a corpus that repeats a line)
are collapsed into their best-ranked row, with ``count``, and counted once in the summary
unless ``count_duplicates``. Summary counts are raw otherwise. For max-attended special tokens
the POS/DEP/entity keys are the token's own spelling (``[SEP]``); offsets beyond +-8 are
binned (``<=-8``, ``>=+8``).
"""

from __future__ import annotations

import json
import os
import weakref
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from exbert_ls.errors import StaleIndexError
from exbert_ls.model.attended import allowed_keys, mean_max_attended_rows
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
from exbert_ls.search.cache import ByteLRU
from exbert_ls.search.engine import Hits, TokenFrame
from exbert_ls.search.query import QueryVector
from exbert_ls.store.quantize import decode_weights
from exbert_ls.store.reader import CorpusReader, rows_at, scan
from exbert_ls.store.schema import MEAN_ATT, MEAN_ATT_W

_MATCH_COLUMNS = ["token", "start", "end", "max_att", "max_att_w"]
_MEAN_COLUMNS = [MEAN_ATT, MEAN_ATT_W]
"""Layout 4: each layer's all-heads max-attended key under the default rule (store/rows.py)."""
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
    rows = scan(table, ["sentence", "doc", "text", "words_json", "num_tokens"], where).to_pylist()
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


FAR_OFFSET = 8


RERUN_TOKENS = 4096
"""Padded tokens per batch of the re-run: bounds its attention tensors (``[B, H, T, T]`` per
layer) whatever the mix of sentence lengths."""

_Rows = tuple[np.ndarray, np.ndarray, tuple[str, ...]]
_rerun_cache: weakref.WeakKeyDictionary[Any, ByteLRU[_Rows]] = weakref.WeakKeyDictionary()


def _runner_cache(runner: Any) -> ByteLRU[_Rows] | None:
    """The re-run results kept for ``runner`` (they die with it); None if it takes no weak reference."""
    try:
        return _rerun_cache.setdefault(runner, ByteLRU(8 << 20, lambda v: v[0].nbytes + v[1].nbytes + 64 * len(v[2])))
    except TypeError:
        return None


def sentence_max_attended(
    acts: Any, layer: int, heads: Sequence[int], *, exclude_special: bool, exclude_first: bool
) -> _Rows:
    """``(position, weight, token texts)`` for *every* token of one sentence's activations:
    the argmax of the heads' mean attention row under the exclusions (-1 where every key is
    excluded; model/attended.py, the rule the index stores too). A whole sentence costs one
    mean and one argmax, so it is cached as a whole."""
    special = np.array([t.special for t in acts.tokens], dtype=bool)
    allowed = allowed_keys(special, exclude_special=exclude_special, exclude_first=exclude_first)
    position, weight = mean_max_attended_rows(np.asarray(acts.attention[layer - 1, list(heads)]), allowed)
    return position, weight, tuple(t.text for t in acts.tokens)


def agreed_max_attended(
    max_att: np.ndarray, max_att_w: np.ndarray, layer: int, heads: Sequence[int], num_heads: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(position, weight)`` per row where the stored argmax of every selected head is the same
    key (-1 elsewhere). Then that key is the argmax of the heads' mean too: each head's row is
    largest there, so no key's mean is larger, and a tie would need an earlier key equal in every
    head, which would have been their argmax. The weight is the mean of the stored maxima
    (uint8 codes: within 0.002)."""
    cols = (layer - 1) * num_heads + np.asarray(heads, dtype=np.int64)
    chosen = max_att[:, cols]
    agree = np.all(chosen == chosen[:, :1], axis=1)
    return np.where(agree, chosen[:, 0], -1), max_att_w[:, cols].mean(axis=1).astype(np.float32)


def mean_max_attended(
    runner: Any,
    texts: Sequence[str],
    positions: Sequence[int],
    tokens: Sequence[str | None],
    layer: int,
    heads: Sequence[int],
    *,
    exclude_special: bool = True,
    exclude_first: bool = True,
    lengths: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(position, weight)`` per match: the argmax of the mean over ``heads`` of layer
    ``layer`` (1-based) of the matched token's attention row, the sentences not met before
    (per runner, rule and text: an LRU of 8 MB) re-run in batches of at most
    :data:`RERUN_TOKENS` padded tokens (``lengths``: their token counts, if known).

    Position -1 where the re-run does not reproduce the indexed token at that position
    (another tokenizer) or every key is excluded."""
    cache = _runner_cache(runner)
    rule = (layer, tuple(int(h) for h in heads), exclude_special, exclude_first)
    found: dict[str, _Rows] = {}
    unique = sorted(set(texts))
    for text in unique:
        hit = cache.peek((rule, text)) if cache is not None else None
        if hit is not None:
            found[text] = hit
    missing = [t for t in unique if t not in found]
    if missing:
        known = dict(zip(texts, lengths, strict=True)) if lengths is not None else None
        counts = [known[t] for t in missing] if known is not None else None
        for i, acts in runner.run_batch(missing, contexts=False, max_tokens=RERUN_TOKENS, lengths=counts):
            rows = sentence_max_attended(
                acts, layer, heads, exclude_special=exclude_special, exclude_first=exclude_first
            )
            found[missing[i]] = rows
            if cache is not None:
                cache.put((rule, missing[i]), rows)
    out_pos = np.full(len(texts), -1, dtype=np.int64)
    out_w = np.zeros(len(texts), dtype=np.float32)
    for j, (text, p) in enumerate(zip(texts, positions, strict=True)):  # matches, not vectors
        position, weight, spelled = found[text]
        if 0 <= p < len(spelled) and (tokens[j] is None or spelled[p] == tokens[j]):
            out_pos[j], out_w[j] = position[p], weight[p]
    return out_pos, out_w


def relative_doc(doc: str, root: str | None) -> str:
    """``doc`` relative to ``root`` when inside it (the workspace or corpus root), else as is."""
    if not root:
        return doc
    try:
        rel = os.path.relpath(doc, root)
    except ValueError:  # another drive
        return doc
    return doc if rel.startswith("..") else rel


def first_distinct(keys: Sequence[tuple[str, int]], limit: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Indices of the first occurrence of each distinct key, in order, up to ``limit`` keys;
    how many of the scanned keys each one stands for; how many were collapsed. Scanning stops
    before the ``limit + 1``-th distinct key, so counts cover the same prefix as the rows."""
    first: dict[tuple[str, int], int] = {}
    keep: list[int] = []
    counts: list[int] = []
    used = 0
    for i, key in enumerate(keys):
        row = first.get(key)
        if row is None:
            if len(keep) == limit:
                break
            row = first[key] = len(keep)
            keep.append(i)
            counts.append(0)
        counts[row] += 1
        used += 1
    return np.asarray(keep, dtype=np.int64), np.asarray(counts, dtype=np.int64), used - len(keep)


def distinct_hits(db: CorpusReader, frame: TokenFrame, hits: Hits, limit: int) -> tuple[Hits, np.ndarray, int]:
    """``hits`` with identical contexts (same sentence text and token position: a corpus that
    repeats a line) collapsed into their best-ranked hit, at most ``limit`` of them; the count
    each kept hit stands for; how many hits were collapsed."""
    sentence, position = frame.sentence[hits.offsets], frame.position[hits.offsets]
    unique = sorted(set(sentence.tolist()))
    texts: dict[int, str] = {}
    if unique:
        where = f"sentence IN ({', '.join(str(i) for i in unique)})"
        table = scan(db.sentences, ["sentence", "text"], where)
        texts = dict(zip(table["sentence"].to_pylist(), table["text"].to_pylist(), strict=True))
    keys = [(texts.get(int(s_), ""), int(p_)) for s_, p_ in zip(sentence, position, strict=True)]
    keep, counts, collapsed = first_distinct(keys, limit)
    return Hits(hits.offsets[keep], hits.similarity[keep], hits.method), counts, collapsed


def build_matches(
    db: CorpusReader,
    frame: TokenFrame,
    hits: Hits,
    query: QueryVector,
    *,
    num_heads: int,
    causal: bool,
    runner: Any = None,
    exclude_special: bool = True,
    exclude_first: bool = True,
    root: str | None = None,
    counts: np.ndarray | None = None,
) -> list[SearchMatch]:
    """The ``matches`` list of an ``exbert.search/1`` result, for hits already made distinct
    (:func:`distinct_hits`; ``counts`` is how many hits each one stands for).

    With ``runner`` the max-attended tokens follow the selected heads' mean (module docstring)."""
    offsets = hits.offsets
    sentence, position, word = frame.sentence[offsets], frame.position[offsets], frame.word[offsets]
    heads = list(query.heads) if query.heads is not None else list(range(num_heads))
    # all heads under the default rule: the index holds the answer (layout 4), no re-run
    stored_mean = (
        sorted(heads) == list(range(num_heads))
        and exclude_special
        and exclude_first
        and MEAN_ATT in db.tokens.schema.names
    )
    own = _take(db.tokens, frame, offsets, _MATCH_COLUMNS + (_MEAN_COLUMNS if stored_mean else []))
    texts = _sentences(db.sentences, sentence.tolist())

    ma_pos = ma_w = ma_head = None
    others = np.full(0, -1, dtype=np.int64)
    if query.layer >= 1 and len(offsets):
        # a mean over heads names no head, unless it is one head's own row
        mean_head = np.full(len(offsets), heads[0] if len(heads) == 1 else -1, dtype=np.int64)
        if stored_mean:
            ma_pos = np.asarray(own[MEAN_ATT], dtype=np.int64)[:, query.layer - 1]
            ma_w = decode_weights(np.asarray(own[MEAN_ATT_W]))[:, query.layer - 1]
            ma_head = mean_head
        elif runner is not None:
            # rows whose selected heads' stored argmaxes agree on a key the rule allows need no re-run
            ma_pos, ma_w = agreed_max_attended(
                np.asarray(own["max_att"], dtype=np.int64),
                decode_weights(np.asarray(own["max_att_w"])),
                query.layer,
                heads,
                num_heads,
            )
            key = frame.offsets(sentence, np.maximum(ma_pos, 0))
            decided = (ma_pos >= 0) & (key >= 0)
            if exclude_special:
                decided &= ~frame.special[np.maximum(key, 0)]
            if exclude_first:
                decided &= ma_pos != 0
            rerun = np.flatnonzero(~decided)
            ma_pos[rerun], ma_w[rerun] = mean_max_attended(
                runner,
                [texts[int(sentence[j])]["text"] for j in rerun],
                [int(position[j]) for j in rerun],
                [own["token"][j] for j in rerun],
                query.layer,
                heads,
                exclude_special=exclude_special,
                exclude_first=exclude_first,
                lengths=[texts[int(sentence[j])]["num_tokens"] for j in rerun],
            )
            ma_head = mean_head
        else:
            ma_pos, ma_w, ma_head = max_attended_choice(
                np.asarray(own["max_att"], dtype=np.int64),
                decode_weights(np.asarray(own["max_att_w"])),
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
        if ma_pos is not None and ma_w is not None and ma_pos[i] >= 0 and other["token"][i] is not None:
            max_attended = MaxAttended(
                position=int(ma_pos[i]),
                offset=int(ma_pos[i]) - p,
                text=other["token"][i],
                pos=other["pos"][i] or "",
                dep=other["dep"][i] or "",
                ent_type=other["ent_type"][i] or "",
                special=bool(other["special"][i]),
                weight=round(float(ma_w[i]), 4),
                head=None if ma_head is None or int(ma_head[i]) < 0 else int(ma_head[i]),
            )
        next_token = None
        if causal and other["token"][n_ma + i] is not None:
            next_token = NextToken(position=p + 1, text=other["token"][n_ma + i])
        matches.append(
            SearchMatch(
                rank=i,
                similarity=round(float(hits.similarity[i]), 4),
                doc=s["doc"],
                doc_path=relative_doc(s["doc"], root),
                sentence=int(sentence[i]),
                text=s["text"],
                token=MatchToken(position=p, text=own["token"][i], start=own["start"][i], end=own["end"][i]),
                word=_match_word(words, w),
                left=_word(words, w - 1),
                right=_word(words, w + 1),
                next_token=next_token,
                max_attended=max_attended,
                count=1 if counts is None else int(counts[i]),
            )
        )
    return matches


def _offset_bin(offset: int) -> str:
    if offset <= -FAR_OFFSET:
        return f"<=-{FAR_OFFSET}"
    if offset >= FAR_OFFSET:
        return f">=+{FAR_OFFSET}"
    return str(offset)


def summarize_matches(matches: Sequence[SearchMatch], *, count_duplicates: bool = False) -> MatchSummary:
    """Counts of the matches' POS / DEP / entity and of their max-attended tokens' (offsets
    binned beyond +-8). A collapsed row counts once, or ``count`` times with ``count_duplicates``."""
    weight = [m.count if count_duplicates else 1 for m in matches]
    words = [m.word for m, n in zip(matches, weight, strict=True) if m.word is not None for _ in range(n)]
    attended = [
        m.max_attended for m, n in zip(matches, weight, strict=True) if m.max_attended is not None for _ in range(n)
    ]

    def counts(values: Sequence[str]) -> dict[str, int]:
        return dict(Counter(values).most_common())

    def label(a: MaxAttended, key: str) -> str:
        return a.text if a.special else str(getattr(a, key))

    return MatchSummary(
        count=sum(weight),
        pos=counts([w.pos for w in words]),
        dep=counts([w.dep for w in words]),
        ent_type=counts([w.ent_type for w in words]),
        max_attended=AttendedCounts(
            pos=counts([label(a, "pos") for a in attended]),
            dep=counts([label(a, "dep") for a in attended]),
            ent_type=counts([label(a, "ent_type") for a in attended]),
            offset=counts([_offset_bin(a.offset) for a in attended]),
        ),
    )
