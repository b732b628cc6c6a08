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
(:mod:`exbert_ls.server.attention_rows`). ``torch.topk`` of MAX_ENTRIES over all rows at once
(a full sort of 37 k rows of 512 took ~2 s on 2 cores).
"""

from __future__ import annotations

import base64
import zlib

import numpy as np
import torch

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
"""Entries a payload carries at most (~1.6 bytes each after deflate and base64: <= ~6 MB): the
per-row cap is ``ENTRY_BUDGET // rows`` within [MIN_ENTRIES, MAX_ENTRIES] (24 at 512 MiniLM
tokens, 6 at 2,048 SmolLM2 tokens, 552,960 rows)."""
MIN_ENTRIES = 4


ZLIB_LEVEL = 3
"""Deflate level of the sparse arrays. Measured on MiniLM's 512-token attention (0.92 MB raw
arrays at level 6): level 3 is 7 % bigger and 3x faster (55 ms against 155), level 1 13 %
bigger (28 ms) and past the 1.5 MB payload goal; the explain latency at length is the bound."""


def _encode(
    raw: bytes, dtype: WireDtype, shape: list[int], *, binary: bool, scale: float | None = None
) -> EncodedArray:
    """An encoded array (exbert_ls/wire.py's form) of bytes already laid out, zlib'd once."""
    packed = zlib.compress(raw, level=ZLIB_LEVEL)
    return EncodedArray(
        dtype=dtype,
        shape=shape,
        encoding="zlib" if binary else "zlib+base64",
        data=packed if binary else base64.b64encode(packed).decode("ascii"),
        scale=scale,
    )


def top_mass(
    attention: np.ndarray, mass: float = MASS, *, cap: int | None = None, floor: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(counts, indices, weights, kept)`` of every row of ``attention[..., T, T]``.

    Rows are flattened in C order (layer, head, query); each row's entries are in key order.
    A row keeps its strongest weights until they hold ``mass`` of the row (the crossing weight
    included), at most ``cap`` of them, none below ``floor``; ``kept`` is the share of the row's
    mass kept. Without ``cap`` and ``floor`` every row keeps at least ``mass``.
    """
    t = torch.from_numpy(np.ascontiguousarray(attention, dtype=np.float32))
    T = t.shape[-1]
    rows = t.reshape(-1, T)
    k = T if cap is None else min(cap, T)
    values, order = torch.topk(rows, k, dim=1, sorted=True)
    total = rows.sum(dim=1, keepdim=True).clamp_min(1e-12)
    before = torch.cumsum(values, dim=1) - values  # mass of the entries ranked above
    keep = (before < mass * total - 1e-7) & (values > 0) & (values >= floor)
    keep[:, 0] = True  # every row keeps at least its strongest entry
    counts = keep.sum(dim=1)
    kept = (values * keep).sum(dim=1) / total.squeeze(1)
    # keys ascending within each row (dropped slots sort last, past every key)
    keys, perm = torch.sort(torch.where(keep, order, T), dim=1)
    sorted_values = torch.gather(values, 1, perm)
    valid = keys < T
    return (
        counts.numpy().astype(np.uint16),
        keys[valid].numpy().astype(np.uint16),
        sorted_values[valid].numpy(),
        kept.numpy(),
    )


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
    return SparseAttention(
        shape=[L, H, T, T],
        mass=mass,
        cap=cap,
        delta=True,
        counts=_encode(counts.astype("<u2").tobytes(), "uint16", [L * H * T], binary=binary),
        indices=_encode(gaps.astype("<u2").tobytes(), "uint16", [len(indices)], binary=binary),
        weights=_encode(quantised.tobytes(), "uint8", [len(indices)], binary=binary, scale=scale),
        kept=_encode(kept.astype("<f2").tobytes(), "float16", [L * H * T], binary=binary),
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
