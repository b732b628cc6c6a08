"""Attention for long inputs: top-mass sparse rows in the explain result, exact rows on demand."""

from __future__ import annotations

from typing import Final, Literal

import attrs

from exbert_ls.payloads.common import EncodedArray

SPARSE_SCHEMA: Final = "topmass/1"
ATTENTION_ROWS_SCHEMA: Final = "exbert.attentionRows/1"


@attrs.define(kw_only=True)
class SparseAttention:
    """``[L, H, T, T]`` attention of a long input (exbert_ls/sparse_attention.py): per layer,
    head and row, the strongest weights up to ``mass`` of the row (at most ``cap`` keys), as CSR
    arrays over the ``L*H*T`` rows. Exact rows come from ``exbert.attentionRows``."""

    sparse: Literal["topmass/1"] = SPARSE_SCHEMA
    """Form tag (tells a sparse field from an encoded dense one)."""
    shape: list[int]
    """``[L, H, T, T]`` of the dense attention."""
    mass: float
    """Share of each row's mass aimed at (rows capped at ``cap`` keys may keep less: ``kept``)."""
    cap: int
    """Keys a row keeps at most."""
    delta: bool
    """``indices`` are gaps: each row's first key, then differences (keys ascending)."""
    counts: EncodedArray
    """uint16, one per row: how many keys it keeps."""
    indices: EncodedArray
    """uint16 keys (or their gaps), rows concatenated."""
    weights: EncodedArray
    """uint8 weights (x ``scale``), aligned with ``indices``."""
    kept: EncodedArray
    """float16, one per row: the share of the row's mass sent."""


@attrs.define(kw_only=True)
class AttentionRowsResult:
    """``exbert.attentionRows``: exact attention rows (or whole heads) of one layer."""

    schema: Literal["exbert.attentionRows/1"] = ATTENTION_ROWS_SCHEMA
    """Payload schema tag."""
    layer: int
    """1-based layer."""
    heads: list[int]
    """0-based heads; ``weights[i]`` is head ``heads[i]``."""
    rows: list[int] | None
    """Query positions sent (null: every row)."""
    size: int
    """T, the number of tokens."""
    weights: EncodedArray
    """float32 ``[len(heads), len(rows) or T, T]``."""
