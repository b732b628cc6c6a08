"""Attention that scales with the input: dense for short texts, top-mass sparse rows above.

A dense ``[L, H, T, T]`` payload grows as T^2 (92 kB at 43 tokens, ~7 MB at 512, ~120 MB at
2,048). Above :data:`DENSE_MAX_TOKENS` the explain payload carries, per layer, head and row
(query), the row's strongest weights until they hold :data:`MASS` of the row, as CSR arrays
(``SparseAttention`` in the panel's protocol, ``"sparse": "topmass/1"``):

* ``counts``: uint16, one per row (``L*H*T``), how many entries the row keeps;
* ``indices``: uint16 key positions, ascending within a row, sent as gaps (``delta: true``:
  the row's first key, then differences) because runs of neighbours deflate to almost nothing;
* ``weights``: uint8 x ``scale`` (the dense payload's own quantisation) of those entries;
* ``kept``: float16, the share of each row's mass sent.

A row keeps at most :data:`MAX_ENTRIES` keys, and no weight below 1/510 (uint8 rounds those to 0
in the dense payload too): a broad row (MiniLM at 512 tokens spreads some heads over hundreds
of keys) then sends less than ``mass``, and ``kept`` says how much. Without cap and floor
(:func:`top_mass` defaults) every row keeps at least ``mass``.

Exact rows (or whole heads) come on demand from ``exbert.attentionRows``
(:mod:`exbert_ls.server.attention_rows`). The selection (:func:`top_mass`) is numpy over chunks
of rows in threads: a SIMD sort of each row's int32 bit patterns (in segments of <= 512), then
one comparison with the row's weakest kept weight finds the keys in key order. At 512 MiniLM
tokens that is ~6x less CPU than ``torch.topk`` with torch's sort of the kept keys (their
per-row costs dominated); at 2,048 SmolLM2 tokens about the same (docs/benchmarks.md).
"""

from __future__ import annotations

import base64
import os
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from exbert_ls.payloads.attention import SparseAttention
from exbert_ls.payloads.common import EncodedArray, WireDtype

DENSE_MAX_TOKENS = 160
"""Up to this many tokens the payload stays dense (the panel's lines view reads every weight)."""
MASS = 0.95
"""Cumulative mass each sparse row keeps (unless it needs more than MAX_ENTRIES keys)."""
MAX_ENTRIES = 24
"""Keys a sparse row keeps at most. A row that needs more to reach MASS is broad (MiniLM at 512
tokens has such heads): it keeps its strongest, its ``kept`` says how much mass that is, and
the panel fetches the exact row when the token is selected."""
ENTRY_BUDGET = 3_500_000
"""Entries a payload carries at most (1.5-2 bytes each after deflate and base64: <= ~7 MB): the
per-row cap is ``ENTRY_BUDGET // rows`` within [MIN_ENTRIES, MAX_ENTRIES] (24 at 512 MiniLM
tokens, 6 at 2,048 SmolLM2 tokens, 552,960 rows)."""
MIN_ENTRIES = 4


Deflate = tuple[int, int]
"""A zlib ``(level, strategy)``."""
INDICES_DEFLATE: Deflate = (2, zlib.Z_DEFAULT_STRATEGY)
"""The key gaps: runs of small numbers, which LZ matching finds. Measured on MiniLM's 512-token
payload (1.68 MB raw): level 2 540 kB in 19 ms, level 3 513 kB in 30 ms, level 1 558 kB in 15 ms."""
WEIGHTS_DEFLATE: Deflate = (1, zlib.Z_HUFFMAN_ONLY)
"""The uint8 weights (and the float16 ``kept``) are noise to LZ matching: Huffman coding alone
is smaller and 3x faster than level 3 (512 MiniLM tokens: 350 kB in 7 ms against 401 kB in 20)."""
COUNTS_DEFLATE: Deflate = (3, zlib.Z_DEFAULT_STRATEGY)
"""One uint16 per row, mostly the cap: tiny and quick at any level."""


def _deflate(raw: bytes, how: Deflate) -> bytes:
    level, strategy = how
    z = zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)
    return z.compress(raw) + z.flush()


def _encode(
    packed: bytes, dtype: WireDtype, shape: list[int], *, binary: bool, scale: float | None = None
) -> EncodedArray:
    """An encoded array (exbert_ls/wire.py's form) of deflated bytes."""
    return EncodedArray(
        dtype=dtype,
        shape=shape,
        encoding="zlib" if binary else "zlib+base64",
        data=packed if binary else base64.b64encode(packed).decode("ascii"),
        scale=scale,
    )


CHUNK_ELEMENTS = 1 << 20
"""Weights one selection chunk holds (4 MB of float32: its sort and masks stay in cache, and a
2,048-token SmolLM2 input needs no second copy of its 4.5 GB of attention)."""


def _threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def top_mass(
    attention: np.ndarray, mass: float = MASS, *, cap: int | None = None, floor: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(counts, indices, weights, kept)`` of every row of ``attention[..., T, T]`` (weights >= 0).

    Rows are flattened in C order (layer, head, query); each row's entries are in key order.
    A row keeps its strongest weights until they hold ``mass`` of the row (the crossing weight
    included), at most ``cap`` of them, none below ``floor``; equal weights go lower key first;
    ``kept`` is the share of the row's mass kept. Without ``cap`` and ``floor`` every row keeps
    at least ``mass``.
    """
    T = attention.shape[-1]
    rows = np.ascontiguousarray(attention, dtype=np.float32).reshape(-1, T)
    k = T if cap is None else min(cap, T)
    step = max(1, CHUNK_ELEMENTS // T)
    chunks = [rows[i : i + step] for i in range(0, len(rows), step)]
    # numpy's sort, comparisons and nonzero let go of the GIL: chunks run on every core
    with ThreadPoolExecutor(max_workers=max(1, min(_threads(), len(chunks)))) as pool:
        parts = list(pool.map(lambda chunk: _top_mass_rows(chunk, mass, k, floor), chunks))
    counts, keys, weights, kept = (np.concatenate(part) for part in zip(*parts))
    return counts.astype(np.uint16), keys.astype(np.uint16), weights, kept.astype(np.float32)


def _top_mass_rows(
    rows: np.ndarray, mass: float, k: int, floor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`top_mass` of ``rows[n, T]`` (float32, C order): counts, keys, weights, kept."""
    n, T = rows.shape
    # weights >= 0 order as their int32 bit patterns; each row's k + 1 strongest, strongest first
    bits = rows.view(np.int32)
    ranked = _strongest(bits, min(k + 1, T))
    top = ranked[:, :k]
    values = top.view(np.float32)
    total = np.maximum(rows.sum(axis=1, dtype=np.float32), np.float32(1e-12))
    before = np.cumsum(values, axis=1)
    before -= values  # mass of the entries ranked above
    keep = (before < mass * total[:, None] - 1e-7) & (values > 0) & (values >= floor)
    keep[:, 0] = True  # every row keeps at least its strongest entry
    counts = np.count_nonzero(keep, axis=1)
    kept = np.where(keep, values, 0).sum(axis=1) / total
    # the kept entries are those at least as strong as the row's weakest kept one: one pass
    # over the rows finds them, in key order
    r = np.arange(n)
    weakest = top[r, counts - 1]
    flat = np.flatnonzero(bits >= weakest[:, None])
    following = counts < ranked.shape[1]  # rows with a next-strongest weight ranked
    if np.any(following & (ranked[r, np.minimum(counts, ranked.shape[1] - 1)] == weakest)):
        flat = _drop_extra_ties(flat, bits, weakest, counts)  # rare: equal weights at the cut
    return counts, flat % T, rows.reshape(-1)[flat], kept


SORT_WIDTH = 512
"""numpy sorts rows of up to ~512 int32s in SIMD registers (~1 ns a weight); wider rows take its
quicksort (~10 ns a weight at 2,048). Wider rows are sorted in segments of at most this width,
and each segment's strongest merged: a row's k strongest are among its segments' k strongest."""


def _strongest(bits: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` largest values of ``bits[n, T]``, largest first (``[n, k]``)."""
    n, T = bits.shape
    segments = -(-T // SORT_WIDTH)
    if segments == 1:
        ascending = np.sort(bits, axis=1)[:, T - k :]
    else:
        width = -(-T // segments)
        padded = bits
        if segments * width != T:  # pad with 0 (+0.0, below every weight that can be kept)
            padded = np.zeros((n, segments * width), dtype=np.int32)
            padded[:, :T] = bits
        best = np.sort(padded.reshape(n, segments, width), axis=2)[:, :, width - min(k, width) :]
        ascending = np.sort(best.reshape(n, -1), axis=1)[:, -k:]
    return np.ascontiguousarray(ascending[:, ::-1])


def _drop_extra_ties(flat: np.ndarray, bits: np.ndarray, weakest: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``flat`` (positions in ``bits``, ascending) less the entries equal to their row's weakest
    kept weight beyond what the row's count allows (the higher keys go)."""
    T = bits.shape[1]
    row = flat // T
    tied = np.flatnonzero(bits.reshape(-1)[flat] == weakest[row])
    tied_row = row[tied]
    start = np.searchsorted(tied_row, tied_row)  # first tied entry of the same row
    rank = np.arange(len(tied)) - start
    stronger = np.bincount(row, minlength=len(counts)) - np.bincount(tied_row, minlength=len(counts))
    extra = tied[rank >= (counts - stronger)[tied_row]]
    return np.delete(flat, extra)


def row_cap(rows: int) -> int:
    """Keys per row a payload of ``rows`` rows may keep (:data:`ENTRY_BUDGET`)."""
    return max(MIN_ENTRIES, min(MAX_ENTRIES, ENTRY_BUDGET // max(1, rows)))


def sparse_attention(attention: np.ndarray, mass: float = MASS, *, binary: bool = False) -> SparseAttention:
    """The ``SparseAttention`` payload field of ``attention[L, H, T, T]``."""
    L, H, T, _ = attention.shape
    if np.iinfo(np.uint16).max < T:
        raise ValueError(f"{T} tokens: sparse attention indexes keys as uint16")
    scale = 1.0 / 255.0
    cap = row_cap(L * H * T)
    counts, indices, weights, kept = top_mass(attention, mass, cap=cap, floor=scale / 2)
    quantised = np.clip(np.rint(weights / scale), 0, 255).astype("<u1")
    # keys ascending within a row: send the gaps (first key absolute), runs of 1 deflate well
    starts = np.concatenate([[0], np.cumsum(counts.astype(np.int64))[:-1]])
    gaps = np.diff(indices.astype(np.int64), prepend=0)
    gaps[starts[counts > 0]] = indices[starts[counts > 0]]
    raw = {
        "counts": (counts.astype("<u2").tobytes(), COUNTS_DEFLATE),
        "indices": (gaps.astype("<u2").tobytes(), INDICES_DEFLATE),
        "weights": (quantised.tobytes(), WEIGHTS_DEFLATE),
        "kept": (kept.astype("<f2").tobytes(), WEIGHTS_DEFLATE),
    }
    # zlib lets go of the GIL: the key gaps (the biggest array) deflate in a second thread
    # while this one does the rest
    with ThreadPoolExecutor(max_workers=1) as pool:
        gaps_packed = pool.submit(_deflate, *raw.pop("indices"))
        packed = {name: _deflate(data, how) for name, (data, how) in raw.items()}
        packed["indices"] = gaps_packed.result()
    rows, entries = [L * H * T], [len(indices)]
    return SparseAttention(
        shape=[L, H, T, T],
        mass=mass,
        cap=cap,
        delta=True,
        counts=_encode(packed["counts"], "uint16", rows, binary=binary),
        indices=_encode(packed["indices"], "uint16", entries, binary=binary),
        weights=_encode(packed["weights"], "uint8", entries, binary=binary, scale=scale),
        kept=_encode(packed["kept"], "float16", rows, binary=binary),
    )


def decode_sparse(field: SparseAttention) -> np.ndarray:
    """Dense ``[L, H, T, T]`` of a sparse field (tests and clients; missing weights are 0)."""

    def raw(part: EncodedArray) -> bytes:
        data = base64.b64decode(part.data) if isinstance(part.data, str) else part.data
        return zlib.decompress(data) if part.encoding.startswith("zlib") else data

    L, H, T, _ = field.shape
    counts = np.frombuffer(raw(field.counts), dtype="<u2").astype(np.int64)
    indices = np.frombuffer(raw(field.indices), dtype="<u2").astype(np.int64)
    if field.delta:
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        row_of = np.repeat(np.arange(len(counts)), counts)
        csum = np.cumsum(indices)
        indices = csum - np.concatenate([[0], csum])[starts][row_of]
    scale = field.weights.scale or 1.0
    weights = np.frombuffer(raw(field.weights), dtype="<u1").astype(np.float32) * scale
    row = np.repeat(np.arange(L * H * T), counts)
    dense = np.zeros((L * H * T, T), dtype=np.float32)
    dense[row, indices] = weights
    return dense.reshape(L, H, T, T)
