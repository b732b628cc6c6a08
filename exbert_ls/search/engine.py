"""Top-k rows of a vector column: exact in numpy, or through a LanceDB ANN index.

Strategy (decided for the project):

* A column without an ANN index, and every ``exact=True`` request, is searched
  exhaustively: the column is loaded once per ``(db.version(), column)`` in its stored
  precision (int8 codes + float16 row scales; float16 rows for schema-1 databases) as a
  matrix of its searchable rows, scored by :func:`exbert_ls.store.quantize.block_scores`
  (blocks widened to float32 in a cache-sized buffer, BLAS) and cut with ``argpartition``.
* ``hs0`` of a schema-3 table is not stored: it is derived from the ``token_id`` column by the
  model (``ModelRunner.embed``: the embedding output, bit for bit what the forward gives),
  normalised and quantised exactly as the indexer quantises a stored column, and cached like
  one, so its scan is the scan of a stored column.
* ``exact=False`` on an int8 column (stored or derived) of at least ``ivf_min_rows`` searchable
  rows (300,000, ``store/ann.py``'s threshold) goes through the engine's in-memory IVF
  (:mod:`exbert_ls.search.ivf`: k-means over the codes, the nearest twelfth of the partitions
  scanned with the same block arithmetic), built once per ``(db.version(), column)``.
* A column with an ANN index (schema-1 databases only: LanceDB does not index int8 columns)
  is searched by LanceDB with cosine distance and a refine step; the similarities shown are
  recomputed from the returned rows' own vectors, so both paths report the same numbers.

Rows are identified by their *offset* in the tokens table (its scan order at that
version), which :class:`TokenFrame` maps to and from ``(sentence, position)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

import numpy as np
import pyarrow as pa

from exbert_ls.errors import EmptyIndexError, IndexMismatchError, InvalidInputError
from exbert_ls.model.vectors import normalized_hidden
from exbert_ls.search.cache import ByteLRU, release_freed_memory
from exbert_ls.search.ivf import IvfMatrix, build_ivf, ivf_top_k
from exbert_ls.search.query import QueryVector
from exbert_ls.store.ann import ANN_MIN_ROWS
from exbert_ls.store.quantize import block_scores, quantize, scale_column
from exbert_ls.store.reader import CorpusReader, live_sentence_ids, scan
from exbert_ls.store.schema import DERIVED_COLUMNS


class Embedder(Protocol):
    """What deriving ``hs0`` needs of the runner (``ModelRunner.embed``)."""

    def embed(self, ids: np.ndarray, positions: np.ndarray) -> np.ndarray: ...


_T = TypeVar("_T")

DERIVE_ROWS = 1 << 14
"""Rows embedded, normalised and quantised at a time when deriving ``hs0`` (bounds the float32
intermediates to ~25 MB each for a 384-wide model, whatever the corpus size)."""


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of the ANN path and the in-memory cache; defaults measured in docs/benchmarks.md.

    Attributes
    ----------
    nprobes:
        IVF partitions probed per query (more: better recall, slower).
    refine_factor:
        LanceDB re-ranks ``k * refine_factor`` candidates with full vectors; without it,
        product quantisation caps recall near 0.9.
    ef:
        HNSW candidate list size; raised to ``k * refine_factor`` when smaller.
    overfetch:
        Extra ANN rows asked for, to make up for special tokens dropped afterwards.
    """

    nprobes: int = 50
    refine_factor: int = 5
    ef: int = 300
    overfetch: int = 16
    ivf_min_rows: int = ANN_MIN_ROWS
    """From this many searchable rows on, an int8 column is searched through the engine's
    in-memory IVF (search/ivf.py) unless ``exact``: the threshold of LanceDB's indexes."""
    ivf_nprobe: int | None = None
    """IVF partitions probed per query (None: a twelfth of them, search/ivf.py)."""


DEFAULT_CONFIG = SearchConfig()


@dataclass(frozen=True)
class TokenFrame:
    """Small per-row columns of the tokens table, in scan (offset) order."""

    sentence: np.ndarray
    """``[N]`` int64 sentence id of each row."""
    position: np.ndarray
    """``[N]`` int64 token position within its sentence."""
    special: np.ndarray
    """``[N]`` bool."""
    word: np.ndarray
    """``[N]`` int64 word index (-1 for special tokens)."""
    order: np.ndarray
    """Row offsets sorted by (sentence, position)."""
    searchable: np.ndarray
    """``[N]`` bool: not special, and in a document whose rows are complete (``documents.status``
    is ``indexed`` for the hash that wrote them): rows still being written by an index job,
    or left pending by a killed one, are never returned."""

    @property
    def nbytes(self) -> int:
        arrays = (self.sentence, self.position, self.special, self.word, self.order, self.searchable)
        return sum(a.nbytes for a in arrays)

    def offsets(self, sentence: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Row offsets of ``(sentence, position)`` pairs, -1 where no such token exists."""
        sentence = np.asarray(sentence, dtype=np.int64)
        position = np.asarray(position, dtype=np.int64)
        keys_s, keys_p = self.sentence[self.order], self.position[self.order]
        lo = np.searchsorted(keys_s, sentence, side="left")
        idx = lo + position
        inside = (position >= 0) & (idx < len(self.order))
        idx = np.where(inside, idx, 0)
        found = inside & (keys_s[idx] == sentence) & (keys_p[idx] == position)
        return np.where(found, self.order[idx], -1)


@dataclass(frozen=True)
class ColumnMatrix:
    """A vector column's searchable rows in their stored precision."""

    codes: np.ndarray
    """``[M, D]`` int8 codes (schema 2) or float16 vectors (schema 1)."""
    scale: np.ndarray | None
    """``[M]`` float16 scale of each row of int8 codes; None for float16 rows."""
    offsets: np.ndarray
    """``[M]`` int64 row offset of each matrix row."""

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + self.offsets.nbytes + (0 if self.scale is None else self.scale.nbytes)


@dataclass(frozen=True)
class Hits:
    offsets: np.ndarray
    """``[k]`` row offsets, best first."""
    similarity: np.ndarray
    """``[k]`` float32 similarity (cosine, or mean per-head cosine)."""
    method: Literal["exact", "ann"]


_frames: ByteLRU[TokenFrame] = ByteLRU(1 << 30, lambda f: f.nbytes)
DEFAULT_CACHE_MB = 640
"""Column matrices (stored precision) kept in memory (least recently used dropped first),
unless ``$EXBERT_CACHE_MB`` or the server's ``exbert.cacheMB`` says otherwise. 640 MB holds all
13 MiniLM columns of a 100 k-token corpus (int8: ~39 MB each), keeping the server under
1.5 GB RSS after every column was searched (docs/benchmarks.md, "Server memory")."""


def cache_budget_mb(given: int | None = None) -> int:
    """``given`` else ``$EXBERT_CACHE_MB`` else :data:`DEFAULT_CACHE_MB`."""
    if given is not None:
        return given
    env = os.environ.get("EXBERT_CACHE_MB", "").strip()
    try:
        return int(env) if env else DEFAULT_CACHE_MB
    except ValueError as exc:
        raise InvalidInputError(f"EXBERT_CACHE_MB={env!r}: expected a whole number of megabytes") from exc


_matrices: ByteLRU[ColumnMatrix | IvfMatrix] = ByteLRU(cache_budget_mb() << 20, lambda m: m.nbytes)


def set_cache_budget(mb: int | None) -> None:
    """Budget of the column-matrix cache in MB (None: the environment's or the default)."""
    _matrices.resize(cache_budget_mb(mb) << 20)


_indexes: ByteLRU[dict[str, str]] = ByteLRU(1 << 20, lambda _: 1_000)


def _key(db: CorpusReader, version: int | None, *parts: object) -> tuple[object, ...]:
    return (str(db.uri), int(db.version()) if version is None else version, *parts)


_scan = scan


def token_frame(db: CorpusReader, version: int | None = None) -> TokenFrame:
    """The per-row id columns of ``db.tokens``, cached per database version.

    ``version`` is ``db.version()`` when the caller has read it already (reading it
    checks the storage, so one search reads it once)."""

    def load() -> TokenFrame:
        t = _scan(db.tokens, ["sentence", "position", "special", "word"])
        if t.num_rows == 0:
            raise EmptyIndexError(f"the index at {db.uri} holds no tokens: index some files first")
        sentence = t.column("sentence").to_numpy().astype(np.int64)
        position = t.column("position").to_numpy().astype(np.int64)
        special = t.column("special").to_numpy(zero_copy_only=False).astype(bool)
        return TokenFrame(
            sentence=sentence,
            position=position,
            special=special,
            word=t.column("word").to_numpy().astype(np.int64),
            order=np.lexsort((position, sentence)),
            searchable=~special & np.isin(sentence, live_sentence_ids(db)),
        )

    return _frames.get(_key(db, version, "frame"), load)


def derived_matrix(db: CorpusReader, frame: TokenFrame, column: str, embedder: Embedder | None) -> ColumnMatrix:
    """``hs0``'s searchable rows computed from the stored token ids, in stored precision: the
    sentences holding a searchable row are embedded whole (in chunks of :data:`DERIVE_ROWS`
    rows cut at sentence starts), normalised and quantised as ``store/rows.py`` does."""
    if embedder is None:
        raise InvalidInputError(
            f"{column} of the index at {db.uri} is derived from the token ids by the model: "
            "search it with the model that built the index loaded"
        )
    if "token_id" not in db.tokens.schema.names:
        raise IndexMismatchError(f"the index at {db.uri} has neither {column!r} nor token ids; re-index it")
    keep = np.flatnonzero(frame.searchable)
    if keep.size == 0:
        raise EmptyIndexError(f"the index at {db.uri} holds no searchable tokens")
    ids = _scan(db.tokens, ["token_id"]).column("token_id").to_numpy().astype(np.int64)
    # whole sentences that hold a searchable row, in (sentence, position) order
    rows = frame.order[np.isin(frame.sentence[frame.order], frame.sentence[keep])]
    where = np.full(len(frame.sentence), -1, dtype=np.int64)
    where[keep] = np.arange(keep.size)  # matrix row of each searchable offset (offset order)
    starts = np.flatnonzero(frame.position[rows] == 0)
    wanted = np.searchsorted(starts, np.arange(0, len(rows), DERIVE_ROWS))
    cuts = np.unique(np.append(0, starts[np.minimum(wanted, len(starts) - 1)])) if starts.size else np.zeros(1, int)
    codes = np.empty((keep.size, int(db.meta.d_model)), dtype=np.int8)
    scale = np.empty(keep.size, dtype=np.float16)
    for begin, end in zip(cuts, [*cuts[1:], len(rows)], strict=True):  # chunks of rows, not rows
        chunk = rows[begin:end]
        try:
            vectors = embedder.embed(ids[chunk], frame.position[chunk])
        except InvalidInputError as exc:
            raise IndexMismatchError(
                f"the rows of the index at {db.uri} are not whole sentences ({exc}): run `exbert verify --repair`"
            ) from exc
        chunk_codes, chunk_scale = quantize(normalized_hidden(vectors))
        target = where[chunk]
        inside = target >= 0
        codes[target[inside]] = chunk_codes[inside]
        scale[target[inside]] = chunk_scale[inside]
    return ColumnMatrix(codes, scale, keep.astype(np.int64))


def column_matrix(
    db: CorpusReader, column: str, version: int | None = None, embedder: Embedder | None = None
) -> ColumnMatrix:
    """A vector column's searchable rows in stored precision, cached per version (``hs0`` of
    a schema-3 index derived with ``embedder``: :func:`derived_matrix`)."""

    def load() -> ColumnMatrix:
        frame = token_frame(db, version)
        names = db.tokens.schema.names
        if column in DERIVED_COLUMNS and column not in names:
            return derived_matrix(db, frame, column, embedder)
        if column not in names:
            raise IndexMismatchError(f"the index at {db.uri} has no vector column {column!r}; re-index it")
        scaled = scale_column(column) in names  # schema 2: int8 codes + scale; 1: float16 rows
        table = _scan(db.tokens, [column, scale_column(column)] if scaled else [column])
        data = table.column(column).combine_chunks()
        if scaled != pa.types.is_int8(data.type.value_type):
            raise IndexMismatchError(
                f"the index at {db.uri} stores {column!r} as {data.type.value_type} "
                f"{'with' if scaled else 'without'} a scale column: re-index it"
            )
        keep = np.flatnonzero(frame.searchable)
        if keep.size == 0:
            raise EmptyIndexError(
                f"the index at {db.uri} holds no searchable tokens (only special tokens, or documents "
                "still being indexed)"
            )
        flat = data.values.to_numpy(zero_copy_only=False)
        codes = np.ascontiguousarray(flat.reshape(-1, data.type.list_size)[keep])
        scale = None
        if scaled:
            scale = table.column(scale_column(column)).to_numpy().astype(np.float16)[keep]
        return ColumnMatrix(codes, scale, keep.astype(np.int64))

    matrix = _matrices.get(_key(db, version, "matrix", column), _released(load))
    assert isinstance(matrix, ColumnMatrix)
    return matrix


def _released(load: Callable[[], _T]) -> Callable[[], _T]:
    """``load``, then the memory its transients freed handed back to the OS (search/cache.py)."""

    def run() -> _T:
        value = load()
        release_freed_memory()
        return value

    return run


def ivf_matrix(
    db: CorpusReader, column: str, version: int | None = None, embedder: Embedder | None = None
) -> IvfMatrix:
    """The in-memory IVF of an int8 column (search/ivf.py), built once per version and kept in
    the column-matrix cache (its permuted codes are a second copy of the column's)."""

    def load() -> IvfMatrix:
        matrix = column_matrix(db, column, version, embedder)
        assert matrix.scale is not None
        return build_ivf(matrix.codes, matrix.scale, matrix.offsets)

    ivf = _matrices.get(_key(db, version, "ivf", column), _released(load))
    assert isinstance(ivf, IvfMatrix)
    return ivf


def vector_index_type(db: CorpusReader, column: str, version: int | None = None) -> str | None:
    """The ANN index type on ``column`` (e.g. ``IvfPq``, ``IvfHnswSq``), None if it has none."""

    def load() -> dict[str, str]:
        return {
            col: str(ix.index_type)
            for ix in db.tokens.list_indices()
            for col in ix.columns
            if any(kind in str(ix.index_type) for kind in ("Ivf", "Hnsw"))
        }

    return _indexes.get(_key(db, version, "indexes"), load).get(column)


def exact_top_k(matrix: ColumnMatrix, vector: np.ndarray, k: int) -> Hits:
    """Exhaustive top-k by dot product (rows and query are normalised already); ties go to
    the lower row offset, so a result does not depend on how the scan was split."""
    scores = block_scores(matrix.codes, matrix.scale, vector)
    k = min(k, scores.shape[0])
    if k < scores.shape[0]:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        top = np.flatnonzero(scores >= kth)  # every row tied with the k-th too, in row order
    else:
        top = np.arange(scores.shape[0])
    top = top[np.argsort(-scores[top], kind="stable")][:k]  # stable: ties keep row order
    return Hits(matrix.offsets[top], scores[top], "exact")


def ann_top_k(
    db: CorpusReader, query: QueryVector, k: int, config: SearchConfig, index_type: str, version: int | None = None
) -> Hits:
    """Top-k through the column's LanceDB index, similarities recomputed from the rows."""
    frame = token_frame(db, version)
    limit = k + config.overfetch
    for _ in range(4):
        builder = (
            db.tokens.search(query.vector, vector_column_name=query.column)
            .distance_type("cosine")
            .limit(limit)
            .nprobes(config.nprobes)
            .refine_factor(config.refine_factor)
            .select(["sentence", "position", "special", query.column, "_distance"])
        )
        if "Hnsw" in index_type:
            builder = builder.ef(max(config.ef, limit * config.refine_factor))
        result = builder.to_arrow()
        found = frame.offsets(result.column("sentence").to_numpy(), result.column("position").to_numpy())
        keep = (found >= 0) & frame.searchable[np.maximum(found, 0)]
        if keep.sum() >= k or result.num_rows < limit:
            break
        limit *= 4
    data = result.column(query.column).combine_chunks()
    vectors = data.values.to_numpy(zero_copy_only=False).reshape(-1, data.type.list_size)[keep]
    scores = vectors.astype(np.float32) @ query.vector
    offsets = found[keep]
    best = np.argsort(-scores, kind="stable")[:k]
    return Hits(offsets[best], scores[best], "ann")


def top_k(
    db: CorpusReader,
    query: QueryVector,
    k: int,
    *,
    exact: bool,
    config: SearchConfig = DEFAULT_CONFIG,
    version: int | None = None,
    embedder: Embedder | None = None,
) -> Hits:
    """The ``k`` best non-special rows for ``query``: ANN where the column has an index and
    ``exact`` is False, exhaustive numpy search otherwise (``embedder``: the runner, needed
    for a derived column, ``hs0``)."""
    version = int(db.version()) if version is None else version
    token_frame(db, version)  # raises EmptyIndexError on an empty index, whatever the path
    index_type = None if exact else vector_index_type(db, query.column, version)
    if index_type is not None:
        return ann_top_k(db, query, k, config, index_type, version)
    rows = int(token_frame(db, version).searchable.sum())
    if not exact and rows >= config.ivf_min_rows and _int8_column(db, query.column):
        offsets, scores = ivf_top_k(ivf_matrix(db, query.column, version, embedder), query.vector, k, config.ivf_nprobe)
        if len(offsets) == min(k, rows):  # the probed partitions held k rows (else: exact)
            return Hits(offsets, scores, "ann")
    return exact_top_k(column_matrix(db, query.column, version, embedder), query.vector, k)


def _int8_column(db: CorpusReader, column: str) -> bool:
    """Whether the column's matrix is int8 codes with scales: stored with a scale column
    (schema 2/3), or derived (``hs0`` of schema 3); float16 rows of layout 1 are not."""
    names = db.tokens.schema.names
    return scale_column(column) in names or (column in DERIVED_COLUMNS and column not in names)


def clear_caches() -> None:
    """Drop every cached frame, matrix and index list (tests; memory pressure)."""
    for cache in (_frames, _matrices, _indexes):
        cache.clear()
