"""Corpus means of the stored per-head contexts: what ``exbert ablate --mode corpus-mean``
replaces a head's context with (docs/heads.md, "Head ablation").

Stored ``ctx{l}`` rows are each head's context *normalised to unit length*
(:mod:`exbert_ls.model.vectors`), so the corpus gives each head's mean **direction**
(a vector of norm <= 1: the shorter, the more the head's contexts vary); the ablation scales
it by the head's mean context norm over the ablated text (:mod:`exbert_ls.model.ablation`).

Means are over the non-special tokens of live documents, summed in float64 by numpy one
layer at a time (one column in memory at once), and cached per (database, version).
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa

from exbert_ls.errors import EmptyIndexError
from exbert_ls.model.names import context_column
from exbert_ls.store.quantize import dequantize, scale_column
from exbert_ls.store.reader import CorpusReader, live_sentence_ids, scan

_cache: dict[tuple[str, int], np.ndarray] = {}
_lock = threading.Lock()


def context_vectors(rows: pa.Table, column: str, width: int) -> np.ndarray:
    """``[N, width]`` float32 of a stored context column: the one place that decodes it
    (int8 codes times their per-row scale, turned back: :mod:`exbert_ls.store.quantize`;
    float16 rows of a layout-1 index as they are)."""
    values = rows.column(column).combine_chunks().flatten().to_numpy(zero_copy_only=False)
    codes = np.asarray(values).reshape(len(rows), width)
    scale_name = scale_column(column)
    scale = rows.column(scale_name).to_numpy() if scale_name in rows.column_names else None
    return dequantize(codes, scale)


def corpus_context_means(db: CorpusReader) -> np.ndarray:
    """``[L, H, d_head]`` float32: each head's mean stored (unit) context over the corpus."""
    key = (str(db.uri), int(db.version()))
    with _lock:
        if key in _cache:
            return _cache[key]
    meta = db.meta
    live = live_sentence_ids(db)
    means = np.zeros((meta.num_layers, meta.num_heads, meta.d_head), dtype=np.float32)
    count = 0
    for layer in range(1, meta.num_layers + 1):
        column = context_column(layer)
        rows = scan(db.tokens, ["sentence", column, scale_column(column)], where="special = false")
        keep = np.isin(rows.column("sentence").to_numpy(), live)
        vectors = context_vectors(rows, column, meta.context_width)[keep]
        count = len(vectors)
        if count == 0:
            raise EmptyIndexError(f"the corpus index at {db.uri!r} has no indexed tokens to average over")
        per_head = vectors.sum(axis=0, dtype=np.float64) / count
        means[layer - 1] = per_head.reshape(meta.num_heads, meta.d_head)
    with _lock:
        _cache[key] = means
    return means
