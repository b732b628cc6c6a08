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
CPU cache and multiplied by BLAS, so no float32 copy of a whole column is ever held.
Databases of schema version 1 stored float16 rows without scales; :func:`block_scores` scans
those too (``scale=None``).
"""

from __future__ import annotations

from functools import lru_cache

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
    x = np.asarray(x, dtype=np.float32) @ rotation(x.shape[-1])
    peak = np.abs(x).max(axis=-1)
    scale = (peak / CODE_MAX).astype(np.float16)
    # a scale rounded down by float16 would push the peak past 127: clip, never wrap
    safe = np.where(scale > 0, scale.astype(np.float32), 1.0)
    codes = np.clip(np.rint(x / safe[..., None]), -CODE_MAX, CODE_MAX).astype(np.int8)
    return codes, scale


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


def block_scores(codes: np.ndarray, scale: np.ndarray | None, query: np.ndarray) -> np.ndarray:
    """``[N]`` float32 dot products of every stored row with the float32 ``query``.

    ``codes`` is ``[N, D]`` int8 (with ``scale`` ``[N]``) or float16 (``scale`` None)."""
    query = np.ascontiguousarray(query, dtype=np.float32)
    if scale is not None:  # int8 codes live in the turned coordinates
        query = np.ascontiguousarray(query @ rotation(query.shape[-1]))
    rows = codes.shape[0]
    out = np.empty(rows, dtype=np.float32)
    buffer = np.empty((min(BLOCK_ROWS, rows), codes.shape[1]), dtype=np.float32)
    for begin in range(0, rows, BLOCK_ROWS):  # a loop over blocks, not rows
        end = min(rows, begin + BLOCK_ROWS)
        block = buffer[: end - begin]
        np.copyto(block, codes[begin:end], casting="unsafe")
        np.dot(block, query, out=out[begin:end])
    if scale is not None:
        out *= scale.astype(np.float32, copy=False)
    return out
