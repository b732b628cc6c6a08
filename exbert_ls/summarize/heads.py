"""Corpus-wide head statistics: what each head attends to, and which syntax it tracks.

Method (Clark et al. 2019, "What Does BERT Look At?"):

* Token attention becomes word attention: attention *to* a word is the sum over its
  pieces, attention *from* a word the mean over its pieces. Special tokens belong to no
  word, so they drop out (as in the paper, which ignores [CLS]/[SEP]).
* A head "predicts" a word's most-attended other word (itself excluded). For every
  dependency arc with relation ``r`` the head is right in direction ``dependent->head``
  when the dependent's most-attended word is its syntactic head, and in direction
  ``head->dependent`` when the head word's most-attended word is that dependent.
* The baseline is the best fixed word offset in ``-3..+2`` for that relation and direction
  (offset 0, the word itself, never scores).

Behaviour statistics are token-level means over non-special query rows: attention mass
on special tokens, on punctuation, on the previous / next token, on itself, and the row
entropy in nats.

Everything is kept as sums and counts, so :class:`HeadStats` add exactly across
sentences, documents and corpora (``a + b``), and serialise to JSON
(:meth:`HeadStats.to_record`); :mod:`exbert_ls.summarize.summaries` turns a sum into
the ``exbert.heads/1`` payload (docs/contracts.md). Layers are 1-based and heads 0-based
in every payload and description (docs/architecture.md); arrays are indexed ``[l-1, h]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from exbert_ls.annotate.align import Alignment
from exbert_ls.annotate.words import Word
from exbert_ls.errors import InvalidInputError

Direction = Literal["dependent->head", "head->dependent"]
DIRECTIONS: tuple[Direction, Direction] = ("dependent->head", "head->dependent")
OFFSETS: tuple[int, ...] = (-3, -2, -1, 0, 1, 2)
"""Fixed word offsets tried by the baseline (Clark et al. 2019)."""
BEHAVIOURS: tuple[str, ...] = ("entropy", "to_special", "to_punct", "to_previous", "to_next", "to_self")
"""Per-head behaviour statistics, in payload order; each a mean over non-special query tokens."""
EXTRAS: tuple[str, ...] = ("to_first", "to_special_rest", "max_entropy")
"""Optional sums (records written before head roles lack them; a sum keeps them only when
every part has them): mass on position 0 (the sink), on special tokens other than position 0,
and ``ln`` of the number of keys each row may see (for the normalised entropy)."""
RECORD_SCHEMA = "exbert.headstats/1"


@dataclass
class RelationCounts:
    """Counts for one (relation, direction): how often each head and each offset is right."""

    correct: np.ndarray
    """``[L, H]`` int64: arcs where the head's most-attended word is the right one."""
    baseline: np.ndarray
    """``[len(OFFSETS)]`` int64: arcs the fixed offset gets right."""
    support: int = 0
    """Arcs counted."""

    def __add__(self, other: RelationCounts) -> RelationCounts:
        return RelationCounts(
            self.correct + other.correct, self.baseline + other.baseline, self.support + other.support
        )


@dataclass
class HeadStats:
    """Additive attention statistics for a model with ``num_layers`` x ``num_heads`` heads."""

    num_layers: int
    num_heads: int
    sentences: int = 0
    tokens: int = 0
    """Non-special tokens seen (= query rows of the behaviour means)."""
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    """Behaviour name -> ``[L, H]`` float64 sum over query rows."""
    relations: dict[tuple[str, Direction], RelationCounts] = field(default_factory=dict)

    @classmethod
    def zeros(cls, num_layers: int, num_heads: int) -> HeadStats:
        return cls(num_layers, num_heads, sums={b: np.zeros((num_layers, num_heads)) for b in BEHAVIOURS + EXTRAS})

    @property
    def shape(self) -> tuple[int, int]:
        return (self.num_layers, self.num_heads)

    def means(self) -> dict[str, np.ndarray]:
        """Behaviour name -> ``[L, H]`` mean per query token (zeros when nothing was seen);
        :data:`EXTRAS` are included when known."""
        return {b: self.sums[b] / max(self.tokens, 1) for b in BEHAVIOURS + EXTRAS if b in self.sums}

    def __add__(self, other: HeadStats) -> HeadStats:
        if self.shape != other.shape:
            raise InvalidInputError(
                f"cannot add head statistics of a {self.num_layers}x{self.num_heads} model "
                f"to those of a {other.num_layers}x{other.num_heads} model"
            )
        relations = dict(self.relations)
        for key, counts in other.relations.items():
            relations[key] = relations[key] + counts if key in relations else counts
        return HeadStats(
            self.num_layers,
            self.num_heads,
            self.sentences + other.sentences,
            self.tokens + other.tokens,
            {b: self.sums[b] + other.sums[b] for b in BEHAVIOURS + EXTRAS if b in self.sums and b in other.sums},
            relations,
        )

    def to_record(self) -> dict[str, Any]:
        """JSON-able dict; floats are written with full precision, so the round trip is exact."""
        return {
            "schema": RECORD_SCHEMA,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "sentences": self.sentences,
            "tokens": self.tokens,
            "offsets": list(OFFSETS),
            "sums": {b: self.sums[b].tolist() for b in BEHAVIOURS + EXTRAS if b in self.sums},
            "relations": [
                {
                    "relation": rel,
                    "direction": direction,
                    "support": counts.support,
                    "correct": counts.correct.tolist(),
                    "baseline": counts.baseline.tolist(),
                }
                for (rel, direction), counts in sorted(self.relations.items())
            ],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> HeadStats:
        if record.get("schema") != RECORD_SCHEMA or list(record.get("offsets", [])) != list(OFFSETS):
            raise InvalidInputError(
                f"head statistics record has schema {record.get('schema')!r}; expected {RECORD_SCHEMA!r} "
                "(re-index to rebuild it)"
            )
        stats = cls(
            int(record["num_layers"]),
            int(record["num_heads"]),
            int(record["sentences"]),
            int(record["tokens"]),
            {
                b: np.asarray(record["sums"][b], dtype=np.float64).reshape(record["num_layers"], -1)
                for b in BEHAVIOURS + EXTRAS
                if b in record["sums"]
            },
        )
        for rel in record["relations"]:
            stats.relations[(rel["relation"], rel["direction"])] = RelationCounts(
                np.asarray(rel["correct"], dtype=np.int64).reshape(stats.shape),
                np.asarray(rel["baseline"], dtype=np.int64),
                int(rel["support"]),
            )
        return stats


# ------------------------------------------------------------------------- one sentence


def sentence_head_stats(
    attention: np.ndarray, special: np.ndarray, alignment: Alignment, words: Sequence[Word]
) -> HeadStats:
    """Statistics of one sentence's attention ``[L, H, T, T]`` (rows sum to 1).

    ``special`` is the ``[T]`` special-token mask, ``alignment`` maps tokens to ``words``
    (whose ``head``/``dep``/``is_punct`` give the syntax; words without a relation are
    simply not counted for syntax).
    """
    if attention.ndim != 4 or attention.shape[2] != attention.shape[3]:
        raise InvalidInputError(f"attention must be [L, H, T, T], got shape {attention.shape}")
    num_layers, num_heads, t, _ = attention.shape
    special = np.asarray(special, dtype=bool)
    if special.shape != (t,) or alignment.token_to_word.shape != (t,):
        raise InvalidInputError(
            f"special mask {special.shape} and alignment {alignment.token_to_word.shape} must both be [{t}]"
        )
    # float32 (the model's precision) with float64 sums: a float64 copy of [L, H, T, T] and
    # float64 logs cost more than the rest of the row code of indexing
    att = attention.astype(np.float32, copy=False)
    stats = HeadStats.zeros(num_layers, num_heads)
    stats.sentences = 1
    _behaviour(stats, att, special, alignment, words)
    _syntax(stats, att, alignment, words)
    return stats


def _behaviour(
    stats: HeadStats, att: np.ndarray, special: np.ndarray, alignment: Alignment, words: Sequence[Word]
) -> None:
    t = att.shape[-1]
    q = np.flatnonzero(~special)
    stats.tokens = int(q.size)
    if not q.size:
        return
    rows = att[:, :, q, :]  # [L, H, Q, T]
    punct_word = np.array([w.is_punct for w in words] + [False], dtype=bool)
    punct = punct_word[alignment.token_to_word]  # index -1 (special) hits the trailing False
    f64 = np.float64
    stats.sums["entropy"] = -(rows * np.log(np.maximum(rows, np.float32(1e-12)))).sum(axis=(-1, -2), dtype=f64)
    stats.sums["to_special"] = rows[..., special].sum(axis=(-1, -2), dtype=f64)
    stats.sums["to_punct"] = rows[..., punct].sum(axis=(-1, -2), dtype=f64)
    stats.sums["to_first"] = rows[..., 0].sum(axis=-1, dtype=f64)
    rest = special.copy()
    rest[0] = False
    stats.sums["to_special_rest"] = rows[..., rest].sum(axis=(-1, -2), dtype=f64)
    # a decoder masks the future in every head alike: one head tells (triu of all of them copied [L, H, T, T])
    causal = t > 1 and not np.triu(att[0, 0], 1).any()
    keys = q + 1 if causal else np.full(q.shape, t)
    stats.sums["max_entropy"] = np.full(stats.shape, float(np.log(keys).sum()))
    for name, offset in (("to_previous", -1), ("to_next", 1), ("to_self", 0)):
        k = q + offset
        ok = (k >= 0) & (k < t)
        stats.sums[name] = att[:, :, q[ok], k[ok]].sum(axis=-1, dtype=f64)


def word_attention(attention: np.ndarray, alignment: Alignment, num_words: int) -> np.ndarray:
    """``[L, H, W, W]``: attention from word i (mean over its pieces) to word j (sum over its pieces)."""
    *lead, t, _ = attention.shape
    member = np.zeros((num_words, t), dtype=np.result_type(attention.dtype, np.float32))
    tokens = np.flatnonzero(alignment.token_to_word >= 0)
    member[alignment.token_to_word[tokens], tokens] = 1.0
    pieces = member.sum(axis=1, keepdims=True)
    mean_from = member / np.maximum(pieces, 1.0)
    # two products over every head at once, not two per head (L x H small BLAS calls)
    heads = int(np.prod(lead))
    to_words = (attention.reshape(heads * t, t) @ member.T).reshape(heads, t, num_words)
    stacked = to_words.transpose(1, 0, 2).reshape(t, heads * num_words)  # [T, heads x W]
    out = (mean_from @ stacked).reshape(num_words, heads, num_words).transpose(1, 0, 2)
    return np.ascontiguousarray(out).reshape(*lead, num_words, num_words)


def most_attended_words(attention: np.ndarray, alignment: Alignment, num_words: int) -> np.ndarray:
    """``[L, H, W]`` index of each word's most-attended other aligned word (-1 if none)."""
    scores = word_attention(attention, alignment, num_words)
    aligned = np.array([bool(toks) for toks in alignment.word_tokens], dtype=bool)
    blocked = ~aligned[None, :] | np.eye(num_words, dtype=bool)
    scores = np.where(blocked, -np.inf, scores)
    best = scores.argmax(axis=-1)
    return np.where(np.isfinite(scores.max(axis=-1)), best, -1)


def _syntax(stats: HeadStats, att: np.ndarray, alignment: Alignment, words: Sequence[Word]) -> None:
    n = len(words)
    if n < 2:
        return
    aligned = np.array([bool(toks) for toks in alignment.word_tokens], dtype=bool)
    dep = np.array([w.index for w in words], dtype=np.int64)
    head = np.array([w.head for w in words], dtype=np.int64)
    arcs = (head >= 0) & (head < n) & (head != dep) & aligned & aligned[np.clip(head, 0, n - 1)]
    arcs &= np.array([bool(w.dep) for w in words], dtype=bool)
    if not arcs.any():
        return
    dep, head = dep[arcs], head[arcs]
    labels = [words[i].dep for i in dep.tolist()]
    names = sorted(set(labels))
    onehot = np.zeros((len(dep), len(names)), dtype=np.int64)  # [arcs, R]
    onehot[np.arange(len(dep)), [names.index(x) for x in labels]] = 1
    predicted = most_attended_words(att, alignment, n)  # [L, H, W]
    offsets = np.array(OFFSETS)[:, None]
    hits: dict[Direction, tuple[np.ndarray, np.ndarray]] = {
        "dependent->head": (predicted[:, :, dep] == head, dep + offsets == head),
        "head->dependent": (predicted[:, :, head] == dep, head + offsets == dep),
    }
    support = onehot.sum(axis=0)
    for direction, (by_head, by_offset) in hits.items():
        correct = by_head.astype(np.int64) @ onehot  # [L, H, R]
        baseline = by_offset.astype(np.int64) @ onehot  # [len(OFFSETS), R]
        for r, name in enumerate(names):
            stats.relations[(name, direction)] = RelationCounts(
                correct[:, :, r].copy(), baseline[:, r].copy(), int(support[r])
            )


# ----------------------------------------------------------------------------- summary
