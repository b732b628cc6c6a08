"""The two library calls of this package: ``search`` and ``head_summaries`` (docs/contracts.md)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from exbert_ls.errors import StaleIndexError
from exbert_ls.limits import DEFAULT_K, MAX_K, check_k
from exbert_ls.model.activations import Activations
from exbert_ls.model.vectors import normalized_hidden
from exbert_ls.payloads.codec import to_wire
from exbert_ls.payloads.heads import HeadSummaries
from exbert_ls.payloads.search import MaxAttendedRule, SearchDedup, SearchMatch, SearchQuery, SearchResult
from exbert_ls.search.cache import ByteLRU
from exbert_ls.search.engine import DEFAULT_CONFIG, Hits, SearchConfig, token_frame, top_k
from exbert_ls.search.matches import build_matches, distinct_hits, summarize_matches
from exbert_ls.search.query import QueryVector, SearchBy, query_vector
from exbert_ls.store.reader import CorpusReader, live_documents, live_head_stats
from exbert_ls.store.schema import DERIVED_COLUMNS
from exbert_ls.summarize.heads import HeadStats
from exbert_ls.summarize.summaries import summarize_heads

_summaries: ByteLRU[HeadSummaries] = ByteLRU(64 << 20, lambda p: len(json.dumps(to_wire(p))))


def _derived_query(runner: Any, query: Activations, qv: QueryVector) -> QueryVector:
    """For a derived column (``hs0``), the query vector through the very function the corpus
    rows are derived with (``runner.embed``; equal to the forward's ``hidden_states[0]``)."""
    if qv.column not in DERIVED_COLUMNS:
        return qv
    ids = np.array([t.id for t in query.tokens], dtype=np.int64)
    vector = runner.embed(ids, np.arange(len(ids)))[qv.token]
    return dataclasses.replace(qv, vector=normalized_hidden(vector))


_MAX_DEPTH = 16 * MAX_K
"""Deepest hit list fetched to fill ``k`` distinct contexts (the default corpus repeats many)."""


def _distinct_matches(
    db: CorpusReader,
    runner: Any,
    qv: Any,
    k: int,
    exact: bool,
    config: SearchConfig,
    exclude_special: bool,
    exclude_first: bool,
    root: str | None,
) -> tuple[Hits, list[SearchMatch], int]:
    """The ``k`` best *distinct* contexts and their matches, read at one table version
    (retried when a writer moved the table on between the search and the reads). Identical
    contexts collapse into one row, so the hit list is fetched deeper until ``k`` distinct ones
    are found or the corpus runs out: a user asking for 50 matches sees 50 different contexts."""
    for attempt in range(3):
        version = int(db.version())
        frame = token_frame(db, version)
        depth = k
        while True:
            hits = top_k(db, qv, depth, exact=exact, config=config, version=version, embedder=runner)
            distinct, counts, collapsed = distinct_hits(db, frame, hits, k)
            if len(distinct.offsets) >= k or len(hits.offsets) < depth or depth >= _MAX_DEPTH:
                break
            depth = min(depth * 4, _MAX_DEPTH)
        try:
            matches = build_matches(
                db,
                frame,
                distinct,
                qv,
                num_heads=db.meta.num_heads,
                causal=bool(db.meta.causal),
                runner=runner,
                exclude_special=exclude_special,
                exclude_first=exclude_first,
                root=root if root is not None else os.getcwd(),
                counts=counts,
            )
            return distinct, matches, collapsed
        except StaleIndexError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def search(
    db: CorpusReader,
    runner: Any,
    query: Activations,
    token: int,
    layer: int,
    *,
    by: SearchBy = "embedding",
    heads: Sequence[int] | None = None,
    k: int = DEFAULT_K,
    exact: bool = False,
    config: SearchConfig = DEFAULT_CONFIG,
    exclude_special: bool = True,
    exclude_first: bool = True,
    count_duplicates: bool = False,
    root: str | None = None,
) -> SearchResult:
    """The ``k`` corpus tokens most similar to ``query``'s token ``token`` at ``layer``.

    ``by="embedding"``: cosine of hidden state ``layer`` (0 = embeddings, ``L`` = last
    layer's output). ``by="context"``: mean over the chosen ``heads`` (0-based; None = all)
    of the per-head cosine of layer ``layer``'s contexts (1-based). ``query`` must be
    ``runner.run(text, contexts=True)`` of the model that built ``db``. Returns the
    ``exbert.search/1`` payload: matches with their context, and a summary. Max-attended
    tokens: the selected heads' mean, recomputed (search/matches.py), without special tokens /
    position 0 unless ``exclude_special`` / ``exclude_first`` are False; identical contexts
    collapsed (``count``) and counted once unless ``count_duplicates``; ``doc_path`` relative
    to ``root`` (default: the working directory).
    """
    check_k(k)
    db.check_runner(runner)  # the one model-identity check (store/db.py)
    meta = db.meta
    qv = query_vector(query, token, layer, by=by, heads=heads, num_layers=meta.num_layers, num_heads=meta.num_heads)
    qv = _derived_query(runner, query, qv)
    # Identical contexts collapse into one row, so fetch deeper until k distinct ones are found
    # (or the corpus runs out): a user asking for 50 matches sees 50 different contexts.
    hits, rows, collapsed = _distinct_matches(db, runner, qv, k, exact, config, exclude_special, exclude_first, root)
    return SearchResult(
        query=SearchQuery(
            text=query.text,
            token=token,
            token_text=query.tokens[token].text,
            layer=layer,
            by=by,
            heads=None if qv.heads is None else [int(h) for h in qv.heads],
            k=k,
            exact=exact,
            method=hits.method,
            column=qv.column,
        ),
        matches=rows,
        summary=summarize_matches(rows, count_duplicates=count_duplicates),
        dedup=SearchDedup(collapsed=collapsed, counted_once=not count_duplicates),
        max_attended_rule=MaxAttendedRule(
            heads=[int(h) for h in qv.heads] if qv.heads is not None else list(range(meta.num_heads)),
            exclude_special=exclude_special,
            exclude_first=exclude_first,
            method="mean" if layer >= 1 else "none (layer 0 has no attention)",
        ),
    )


def _corpus_stats(db: CorpusReader) -> tuple[HeadStats, int, int]:
    """The summed ``head_stats`` of the live documents, how many had statistics, how many are live."""
    meta = db.meta
    records = live_head_stats(db)
    total = HeadStats.zeros(meta.num_layers, meta.num_heads)
    for record in records:
        total = total + HeadStats.from_record(json.loads(record))
    return total, len(records), len(live_documents(db))


def corpus_head_stats(db: CorpusReader) -> HeadStats:
    """Sum of the ``head_stats`` rows of the documents currently indexed (hash matches)."""
    return _corpus_stats(db)[0]


def _corpus_summaries(db: CorpusReader, min_support: int, induction: Any = None, causal: Any = None) -> HeadSummaries:
    stats, counted, live = _corpus_stats(db)
    summary = summarize_heads(stats, min_support=min_support, induction=induction, causal=causal)
    summary.documents = counted
    summary.complete = counted == live
    return summary


def head_summaries(db: CorpusReader, *, min_support: int = 20) -> HeadSummaries:
    """The ``exbert.heads/1`` result for the whole index, cached per ``db.version()``, with the
    model probe's induction scores when ``exbert probe`` has cached them for the index's model.

    The result is shared with the cache: derive narrowed copies (``attrs.evolve``), never
    mutate it."""
    from exbert_ls.model.effects import cached_causal_effect
    from exbert_ls.model.probes import cached_induction

    fingerprint = getattr(db.meta, "model_fingerprint", "") or ""
    induction, causal = cached_induction(fingerprint), cached_causal_effect(fingerprint)
    key = (str(db.uri), int(db.version()), min_support, induction is not None, causal is not None)
    return _summaries.get(key, lambda: _corpus_summaries(db, min_support, induction, causal))
