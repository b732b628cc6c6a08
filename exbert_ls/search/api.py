"""The two library calls of this package: ``search`` and ``head_summaries`` (docs/contracts.md)."""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence
from typing import Any

from exbert_ls.errors import IndexMismatchError, InvalidInputError, StaleIndexError
from exbert_ls.model.activations import Activations
from exbert_ls.search.cache import ByteLRU
from exbert_ls.search.engine import DEFAULT_CONFIG, SearchConfig, token_frame, top_k
from exbert_ls.search.matches import build_matches, summarize_matches
from exbert_ls.search.query import SearchBy, query_vector
from exbert_ls.summarize.heads import HeadStats, summarize_heads

SEARCH_SCHEMA = "exbert.search/1"
MAX_K = 1000

_fingerprints: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_summaries: ByteLRU[dict[str, Any]] = ByteLRU(64 << 20, lambda p: len(json.dumps(p)))


def _check_model(db: Any, runner: Any) -> None:
    """The runner must be the model that built the index (same weights, same shape)."""
    meta = db.meta
    if runner.info.num_layers != meta.num_layers or runner.info.num_heads != meta.num_heads:
        raise IndexMismatchError(
            f"the index at {db.uri} was built by {meta.model!r} ({meta.num_layers} layers x "
            f"{meta.num_heads} heads); {runner.info.name!r} has {runner.info.num_layers} x {runner.info.num_heads}"
        )
    if runner not in _fingerprints:
        _fingerprints[runner] = runner.fingerprint()
    if meta.model_fingerprint and _fingerprints[runner] != meta.model_fingerprint:
        raise IndexMismatchError(
            f"the index at {db.uri} was built by {meta.model!r} (weights {meta.model_fingerprint}); "
            f"{runner.info.name!r} has other weights ({_fingerprints[runner]}): search with the model "
            "that built the index, or re-index"
        )


def search(
    db: Any,
    runner: Any,
    query: Activations,
    token: int,
    layer: int,
    *,
    by: SearchBy = "embedding",
    heads: Sequence[int] | None = None,
    k: int = 50,
    exact: bool = False,
    config: SearchConfig = DEFAULT_CONFIG,
) -> dict[str, Any]:
    """The ``k`` corpus tokens most similar to ``query``'s token ``token`` at ``layer``.

    ``by="embedding"``: cosine of hidden state ``layer`` (0 = embeddings, ``L`` = last
    layer's output). ``by="context"``: mean over the chosen ``heads`` (0-based; None = all)
    of the per-head cosine of layer ``layer``'s contexts (1-based). ``query`` must be
    ``runner.run(text, contexts=True)`` of the model that built ``db``. Returns the
    ``exbert.search/1`` payload: matches with their context, and a summary.
    """
    if not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k = {k}: ask for 1..{MAX_K} matches")
    _check_model(db, runner)
    meta = db.meta
    qv = query_vector(query, token, layer, by=by, heads=heads, num_layers=meta.num_layers, num_heads=meta.num_heads)
    for attempt in range(3):
        version = int(db.version())
        hits = top_k(db, qv, k, exact=exact, config=config, version=version)
        try:
            matches = build_matches(
                db, token_frame(db, version), hits, qv, num_heads=meta.num_heads, causal=bool(meta.causal)
            )
            break
        except StaleIndexError:
            if attempt == 2:
                raise
    return {
        "schema": SEARCH_SCHEMA,
        "query": {
            "text": query.text,
            "token": token,
            "token_text": query.tokens[token].text,
            "layer": layer,
            "by": by,
            "heads": None if qv.heads is None else list(qv.heads),
            "k": k,
            "exact": exact,
            "method": hits.method,
            "column": qv.column,
        },
        "matches": matches,
        "summary": summarize_matches(matches),
    }


def corpus_head_stats(db: Any) -> HeadStats:
    """Sum of the ``head_stats`` rows of the documents currently indexed (hash matches)."""
    meta = db.meta
    current = {
        (r["doc"], r["hash"])
        for r in db.documents.search().select(["doc", "hash", "status"]).limit(None).to_arrow().to_pylist()
        if r["status"] == "indexed"
    }
    total = HeadStats.zeros(meta.num_layers, meta.num_heads)
    rows = db.head_stats.search().select(["doc", "doc_hash", "stats_json"]).limit(None).to_arrow().to_pylist()
    for row in rows:
        if (row["doc"], row["doc_hash"]) in current:
            total = total + HeadStats.from_record(json.loads(row["stats_json"]))
    return total


def head_summaries(db: Any, *, min_support: int = 20) -> dict[str, Any]:
    """The ``exbert.heads/1`` payload for the whole index, cached per ``db.version()``.

    The returned dict is a shallow copy of the cached payload: replace its keys freely, but
    do not mutate the nested lists."""
    from exbert_ls.model.probes import cached_induction

    induction = cached_induction(getattr(db.meta, "model_fingerprint", "") or "")
    key = (str(db.uri), int(db.version()), min_support, induction is not None)
    return dict(
        _summaries.get(
            key, lambda: summarize_heads(corpus_head_stats(db), min_support=min_support, induction=induction)
        )
    )
