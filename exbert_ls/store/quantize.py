"""Stored precision of the searchable vectors: int8 codes with one float16 scale per row.

A normalised vector ``x`` (:mod:`exbert_ls.model.vectors`) is first turned by a fixed
orthogonal matrix ``R`` (:func:`rotation`: random signs, block Hadamard, a stride
permutation), then stored as ``codes = round(x @ R / scale)`` in ``[-127, 127]`` with
``scale = max|x @ R| / 127``, rounded to float16 *before* the codes are computed. The turn
spreads the few large "outlier" dimensions of transformer states over many coordinates, so
one per-row scale loses less (MiniLM hs5: max|x| 0.43 -> 0.16, strict recall@50 0.977 ->
0.990). A query stays the model's float32 vector; ``R`` preserves dot products, so it is
scored as ``(codes @ (q @ R)) * scale``: 386 bytes per MiniLM vector instead of 768 (float16)
(docs/benchmarks.md, "Compact vectors").

Scans run over blocks of rows: each block is widened to float32 in a buffer that stays in the
CPU cache and multiplied by BLAS, so no float32 copy of a whole column is ever held; the
blocks of one scan are split over a few persistent threads (numpy's cast and BLAS release the
GIL), each with its own buffer.
Databases of schema version 1 stored float16 rows without scales; :func:`block_scores` scans
those too (``scale=None``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import pairwise

import numpy as np

CODE_MAX = 127
"""Codes are symmetric (``-128`` unused), so negating a vector negates its codes exactly."""
BLOCK_ROWS = 1024
"""Rows widened at a time: 1,024 x 384 float32 = 1.5 MB, about one core's L2 cache."""


@lru_cache(maxsize=8)
def rotation(width: int) -> np.ndarray:
    """The fixed ``[width, width]`` orthogonal float32 matrix of the stored layout.

    Built from integers only (no random generator whose stream could change between numpy
    versions): Sylvester-Hadamard blocks of the largest power of two dividing ``width``,
    row signs from a multiplicative hash, rows permuted by a stride coprime to ``width``."""
    block = width & -width  # largest power of two dividing width
    hadamard = np.ones((1, 1), dtype=np.float32)
    while hadamard.shape[0] < block:
        hadamard = np.block([[hadamard, hadamard], [hadamard, -hadamard]])
    matrix = np.kron(np.eye(width // block, dtype=np.float32), hadamard / np.sqrt(np.float32(block)))
    index = np.arange(width, dtype=np.uint64)
    signs = np.where((index * np.uint64(2654435761)) % np.uint64(1 << 32) >= np.uint64(1 << 31), -1.0, 1.0)
    stride = next(s for s in range(7, 7 + width + 1, 2) if np.gcd(s, width) == 1)
    order = (np.arange(width) * stride) % width
    rotated = (signs[:, None].astype(np.float32) * matrix)[order]
    rotated.setflags(write=False)
    return rotated


def scale_column(column: str) -> str:
    """The float16 per-row scale column beside vector column ``column``."""
    return f"{column}_scale"


def quantize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[N, D]`` float vectors as ``(int8 [N, D] codes, float16 [N] scales)``.

    An all-zero row gets scale 0 and codes 0 (it scores 0 against every query)."""
    x = np.asarray(x, dtype=np.float32) @ rotation(x.shape[-1])  # a new array: worked on in place
    peak = np.maximum(x.max(axis=-1), -x.min(axis=-1))  # max |x| without an |x| copy
    scale = (peak / CODE_MAX).astype(np.float16)
    # a scale rounded down by float16 would push the peak past 127: clip, never wrap
    safe = np.where(scale > 0, scale.astype(np.float32), np.float32(1.0))
    np.divide(x, safe[..., None], out=x)
    np.rint(x, out=x)
    np.clip(x, -CODE_MAX, CODE_MAX, out=x)
    return x.astype(np.int8), scale


def dequantize(codes: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """Float32 vectors the stored rows stand for, turned back (``scale=None``: float16 rows
    of layout 1, as they are)."""
    wide = np.asarray(codes, dtype=np.float32)
    if scale is None:
        return wide
    turned: np.ndarray = (wide * np.asarray(scale, dtype=np.float32)[..., None]) @ rotation(wide.shape[-1]).T
    return turned


WEIGHT_MAX = 255
"""``max_att_w`` (an attention weight in [0, 1]) is stored as ``round(weight * 255)``, uint8:
within 0.002 of the weight (schema 3; layouts 1 and 2 stored float16)."""


def encode_weights(weight: np.ndarray) -> np.ndarray:
    """uint8 codes of attention weights in ``[0, 1]``."""
    return np.rint(np.clip(np.asarray(weight, dtype=np.float32), 0.0, 1.0) * WEIGHT_MAX).astype(np.uint8)


def decode_weights(stored: np.ndarray) -> np.ndarray:
    """Float32 weights of a stored ``max_att_w``: integer codes (schema 3) divided by 255,
    float16 weights of older layouts as they are. The one place that reads the column."""
    stored = np.asarray(stored)
    if np.issubdtype(stored.dtype, np.integer):
        return stored.astype(np.float32) / np.float32(WEIGHT_MAX)
    return stored.astype(np.float32)


def scan_threads() -> int:
    """Threads one scan is split over: ``$EXBERT_SCAN_THREADS``, else the CPUs this process may
    run on, at most :data:`MAX_SCAN_THREADS` (the scan is memory-bound beyond a few cores)."""
    env = os.environ.get("EXBERT_SCAN_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_SCAN_THREADS, cpus))


MAX_SCAN_THREADS = 4
PARALLEL_MIN_ROWS = 16 * BLOCK_ROWS
"""Scans of fewer rows stay on the calling thread (a hand-off costs ~0.05 ms; 16 k rows ~1 ms)."""

_pool_lock = threading.Lock()
_pool: tuple[ThreadPoolExecutor, int] | None = None
_local = threading.local()


def _forget_pool() -> None:
    """In a forked child the parent's helper threads do not exist: start afresh."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _scan_pool(workers: int) -> ThreadPoolExecutor:
    """The persistent helper threads of the scan (created on first use, replaced by a larger
    one if asked for more)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[1] < workers:
            if _pool is not None:
                _pool[0].shutdown(wait=False)
            _pool = (ThreadPoolExecutor(max_workers=workers, thread_name_prefix="exbert-scan"), workers)
        return _pool[0]


def _scan_blocks(codes: np.ndarray, query: np.ndarray, out: np.ndarray, blocks: Sequence[tuple[int, int, int]]) -> None:
    """Score blocks ``(begin, end, at)``: rows ``codes[begin:end]`` into ``out[at:]``, each widened
    to float32 in this thread's own buffer (numpy's cast and BLAS release the GIL, so threads
    running this in parallel do not wait on each other)."""
    width = codes.shape[1]
    buffer = getattr(_local, "buffer", None)
    if buffer is None or buffer.shape[1] != width:
        buffer = _local.buffer = np.empty((BLOCK_ROWS, width), dtype=np.float32)
    for begin, end, at in blocks:  # a loop over blocks, not rows
        block = buffer[: end - begin]
        np.copyto(block, codes[begin:end], casting="unsafe")
        np.dot(block, query, out=out[at : at + end - begin])


def slice_scores(
    codes: np.ndarray, scale: np.ndarray | None, query: np.ndarray, slices: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Float32 dot products of the rows ``codes[a:b]`` of each slice ``(a, b)`` with ``query``,
    concatenated in slice order (:func:`block_scores` is one slice of every row; the IVF scans
    its probed partitions).

    The blocks are cut as a one-thread scan cuts them (every :data:`BLOCK_ROWS` rows from a
    slice's start) and split, whole, over :func:`scan_threads` threads in contiguous runs of
    about equal rows: each row gets the same BLAS call whatever the thread count."""
    query = np.ascontiguousarray(query, dtype=np.float32)
    if scale is not None:  # int8 codes live in the turned coordinates
        query = np.ascontiguousarray(query @ rotation(query.shape[-1]))
    blocks: list[tuple[int, int, int]] = []
    total = 0
    for a, b in slices:  # slices and blocks, not rows
        for begin in range(a, b, BLOCK_ROWS):
            end = min(b, begin + BLOCK_ROWS)
            blocks.append((begin, end, total))
            total += end - begin
    out = np.empty(total, dtype=np.float32)
    threads = 1 if total < PARALLEL_MIN_ROWS else min(scan_threads(), len(blocks))
    if threads <= 1:
        _scan_blocks(codes, query, out, blocks)
    else:
        starts = np.array([at for _, _, at in blocks])
        cuts = [0, *np.searchsorted(starts, [total * i // threads for i in range(1, threads)]).tolist(), len(blocks)]
        runs = [blocks[c:d] for c, d in pairwise(cuts) if d > c]
        pool = _scan_pool(len(runs) - 1)
        helpers = [pool.submit(_scan_blocks, codes, query, out, run) for run in runs[1:]]
        _scan_blocks(codes, query, out, runs[0])  # this thread takes the first run
        for helper in helpers:
            helper.result()
    if scale is not None:
        if len(slices) == 1:
            part = scale[slices[0][0] : slices[0][1]]
        else:
            part = np.concatenate([scale[a:b] for a, b in slices])
        out *= part.astype(np.float32, copy=False)
    return out


def block_scores(codes: np.ndarray, scale: np.ndarray | None, query: np.ndarray) -> np.ndarray:
    """``[N]`` float32 dot products of every stored row with the float32 ``query``.

    ``codes`` is ``[N, D]`` int8 (with ``scale`` ``[N]``) or float16 (``scale`` None); the scan
    runs over :func:`scan_threads` threads from :data:`PARALLEL_MIN_ROWS` rows on."""
    return slice_scores(codes, scale, query, [(0, codes.shape[0])])
