"""An inverted-file (IVF) index over a column's int8 codes, built in memory by the engine.

LanceDB builds no vector index on int8 columns (store/ann.py), so large schema-2/3 tables
lost the ANN path float16 tables had. This is the replacement, kept beside the exact scan:

* **Build** (once per ``(db.version(), column)``, cached like a column matrix): spherical
  k-means in the turned coordinates of the codes (``codes x scale``, where dot products are
  those of the vectors: the turn is orthogonal) on a sample of rows, then every row assigned
  to its nearest centroid in blocks (BLAS), and the codes *permuted* so that each partition is
  one contiguous slice.
* **Search**: the query turned once, the ``nprobe`` partitions whose centroids score highest,
  the slices scored together by :func:`exbert_ls.store.quantize.slice_scores` (the exact scan's
  own arithmetic and threads, so a row found scores exactly what the exact scan gives it), top-k
  with ties to the lower row offset.

``engine.top_k`` uses it for ``exact=False`` from 300,000 searchable rows (the threshold of
store/ann.py); recall and latency at 1 M rows: docs/benchmarks.md ("Compact vectors").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exbert_ls.store.quantize import rotation, slice_scores

ROWS_PER_PARTITION = 4096
"""Partitions: about one per this many rows (1 M rows: 244)."""
DEFAULT_NPROBE_SHARE = 1 / 12
"""Partitions probed per query, as a share of all partitions (at least 1)."""
SAMPLE_ROWS = 65_536
ITERATIONS = 8
_ASSIGN_BLOCK = 16_384


@dataclass(frozen=True)
class IvfMatrix:
    centroids: np.ndarray
    """``[P, D]`` float32 unit centroids in the turned coordinates."""
    bounds: np.ndarray
    """``[P + 1]`` int64: partition ``p`` is rows ``bounds[p]:bounds[p+1]`` of the arrays below."""
    codes: np.ndarray
    """``[M, D]`` int8 codes, grouped by partition."""
    scale: np.ndarray
    """``[M]`` float16 row scales, same order."""
    offsets: np.ndarray
    """``[M]`` int64 row offset of each row, same order."""

    @property
    def nbytes(self) -> int:
        arrays = (self.centroids, self.bounds, self.codes, self.scale, self.offsets)
        return sum(a.nbytes for a in arrays)

    @property
    def partitions(self) -> int:
        return len(self.centroids)


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12), dtype=np.float32)


def _assign(codes: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Nearest centroid (largest dot product) of every row; the positive row scale does not
    change the argmax, so the codes are used as they are, in blocks widened to float32."""
    out = np.empty(len(codes), dtype=np.int64)
    for begin in range(0, len(codes), _ASSIGN_BLOCK):  # blocks of rows, not rows
        block = codes[begin : begin + _ASSIGN_BLOCK].astype(np.float32)
        out[begin : begin + len(block)] = (block @ centroids.T).argmax(axis=1)
    return out


def build_ivf(
    codes: np.ndarray,
    scale: np.ndarray,
    offsets: np.ndarray,
    *,
    partitions: int | None = None,
    seed: int = 0,
) -> IvfMatrix:
    """The IVF of a column matrix's rows (int8 codes, float16 scales, row offsets)."""
    rows = len(codes)
    count = max(1, min(rows, partitions or rows // ROWS_PER_PARTITION))
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(rows, size=min(rows, max(SAMPLE_ROWS, 8 * count)), replace=False))
    points = _unit(codes[sample].astype(np.float32))
    centroids = points[rng.choice(len(points), size=count, replace=False)]
    for _ in range(ITERATIONS):  # spherical k-means (Lloyd iterations over the sample)
        nearest = (points @ centroids.T).argmax(axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, points)
        empty = ~np.any(sums, axis=1)
        sums[empty] = points[rng.choice(len(points), size=int(empty.sum()), replace=False)]
        centroids = _unit(sums)
    member = _assign(codes, centroids)
    order = np.argsort(member, kind="stable")  # stable: offset order inside a partition
    bounds = np.searchsorted(member[order], np.arange(count + 1))
    return IvfMatrix(
        centroids=centroids,
        bounds=bounds.astype(np.int64),
        codes=np.ascontiguousarray(codes[order]),
        scale=np.ascontiguousarray(scale[order]),
        offsets=np.ascontiguousarray(offsets[order]),
    )


def ivf_top_k(ivf: IvfMatrix, query: np.ndarray, k: int, nprobe: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, scores)`` of the ``k`` best rows of the ``nprobe`` nearest partitions."""
    probes = nprobe or max(1, round(ivf.partitions * DEFAULT_NPROBE_SHARE))
    turned = np.asarray(query, dtype=np.float32) @ rotation(len(query))
    near = ivf.centroids @ turned
    chosen = np.argpartition(-near, min(probes, ivf.partitions) - 1)[:probes]
    parts = [(int(ivf.bounds[p]), int(ivf.bounds[p + 1])) for p in chosen]  # probes, not rows
    scores = slice_scores(ivf.codes, ivf.scale, query, parts)  # one scan of all probes, over threads
    offsets = np.concatenate([ivf.offsets[a:b] for a, b in parts])
    k = min(k, len(scores))
    if k < len(scores):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        top = np.flatnonzero(scores >= kth)
    else:
        top = np.arange(len(scores))
    best = top[np.lexsort((offsets[top], -scores[top]))][:k]  # score, then lower offset
    return offsets[best], scores[best]
