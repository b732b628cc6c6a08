"""Consistency check of a corpus database: what a finished (or cleanly cancelled) run guarantees."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from exbert_ls.store.db import CorpusDB
from exbert_ls.store.schema import INDEXED, PENDING


def _scan(table: object, columns: list[str]) -> pa.Table:
    return table.search().select(columns).limit(None).to_arrow()  # type: ignore[attr-defined]


def row_counts(table: object) -> dict[str, int]:
    """Rows per ``doc`` of a data table (one scan of the ``doc`` column)."""
    return _counts(_scan(table, ["doc"]), "doc")


def _counts(table: pa.Table, key: str) -> dict[str, int]:
    grouped = table.group_by(key).aggregate([([], "count_all")])
    return dict(zip(grouped[key].to_pylist(), grouped["count_all"].to_pylist()))


def verify(db: CorpusDB) -> list[str]:
    """Every broken invariant, as a sentence; an empty list means the database is consistent.

    * no document is ``pending``; the data rows belong exactly to the ``indexed`` documents;
    * each document's ``sentences`` / ``tokens`` counts match its rows; one head_stats row each;
    * sentence ids are unique; each sentence's token positions are ``0..num_tokens-1``;
      no (sentence, position) twice.
    """
    problems: list[str] = []
    documents = _scan(db.documents, ["doc", "status", "sentences", "tokens"]).to_pylist()
    pending = [d["doc"] for d in documents if d["status"] == PENDING]
    if pending:
        problems.append(f"{len(pending)} documents pending: {pending[:3]}")
    indexed = {d["doc"]: d for d in documents if d["status"] == INDEXED}
    tokens = _scan(db.tokens, ["doc", "sentence", "position"])
    sentences = _scan(db.sentences, ["doc", "sentence", "num_tokens"])
    stats = _scan(db.head_stats, ["doc"])
    token_counts, sentence_counts = _counts(tokens, "doc"), _counts(sentences, "doc")
    stats_counts = _counts(stats, "doc")
    for name, counts in (("tokens", token_counts), ("sentences", sentence_counts), ("head_stats", stats_counts)):
        stray = sorted(set(counts) - set(indexed))
        if stray:
            problems.append(f"{name} rows of documents not indexed: {stray[:3]}")
    for doc, row in indexed.items():
        if token_counts.get(doc, 0) != row["tokens"] or sentence_counts.get(doc, 0) != row["sentences"]:
            problems.append(
                f"{doc}: documents row says {row['sentences']} sentences / {row['tokens']} tokens, "
                f"tables hold {sentence_counts.get(doc, 0)} / {token_counts.get(doc, 0)}"
            )
        if stats_counts.get(doc, 0) != 1:
            problems.append(f"{doc}: {stats_counts.get(doc, 0)} head_stats rows (expected 1)")
    ids = sentences["sentence"].to_numpy()
    if len(np.unique(ids)) != len(ids):
        problems.append(f"{len(ids) - len(np.unique(ids))} duplicate sentence ids")
    per_sentence = tokens.group_by("sentence").aggregate(
        [("position", "count"), ("position", "min"), ("position", "max"), ("position", "count_distinct")]
    )
    expected = dict(zip(sentences["sentence"].to_pylist(), sentences["num_tokens"].to_pylist()))
    got = dict(zip(per_sentence["sentence"].to_pylist(), per_sentence["position_count"].to_pylist()))
    bad_positions = pc.or_(
        pc.not_equal(per_sentence["position_min"], 0),
        pc.or_(
            pc.not_equal(per_sentence["position_max"], pc.subtract(per_sentence["position_count"], 1)),
            pc.not_equal(per_sentence["position_count_distinct"], per_sentence["position_count"]),
        ),
    )
    if pc.any(bad_positions).as_py():
        problems.append("some sentences' token positions are not 0..n-1 without repeats")
    if got != expected:
        problems.append("token rows per sentence differ from sentences.num_tokens")
    pairs = tokens.group_by(["sentence", "position"]).aggregate([([], "count_all")])
    if pairs.num_rows != tokens.num_rows:
        problems.append(f"{tokens.num_rows - pairs.num_rows} duplicate (sentence, position) token rows")
    return problems
