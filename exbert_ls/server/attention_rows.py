"""``exbert.attentionRows``: exact attention rows (or whole heads) of a text, on demand.

Long explain payloads carry top-mass sparse rows (exbert_ls/sparse_attention.py); the panel
asks for the exact weights of the rows it reads closely (the selected token, selected heads).
The text is run again (the server keeps no activations between commands); the last few runs
are cached by (model, text, mask), so a user clicking through tokens of one text pays once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import attrs
import numpy as np

from exbert_ls.errors import InvalidInputError
from exbert_ls.payloads.attention import AttentionRowsResult
from exbert_ls.server.protocol import _all_at_least, _at_least
from exbert_ls.wire import encode_array

_CACHE_SIZE = 2


@attrs.define
class AttentionRowsArgs:
    """``exbert.attentionRows``."""

    text: str
    """The text explained (as in the explain result's ``text``)."""
    layer: int = attrs.field(validator=_at_least(1))
    """Attention layer, 1-based."""
    heads: list[int] = attrs.field(factory=list, validator=_all_at_least(0))
    """Heads (0-based); empty: every head of the layer."""
    rows: list[int] | None = attrs.field(default=None, validator=attrs.validators.optional(_all_at_least(0)))
    """Query positions; absent: whole heads (T x T each)."""
    model: str | None = None
    """Model override, as for ``exbert.explain``."""
    mask: list[int] = attrs.field(factory=list, validator=_all_at_least(0))
    """Masked positions, as the explain request had them."""


_cache: OrderedDict[tuple[str, str, tuple[int, ...]], np.ndarray] = OrderedDict()
_lock = threading.Lock()


def _attention(runner: Any, args: AttentionRowsArgs) -> np.ndarray:
    key = (runner.info.name, args.text, tuple(args.mask))
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    attention = np.asarray(runner.run(args.text, contexts=False, top_k=0, mask=tuple(args.mask)).attention)
    with _lock:
        _cache[key] = attention
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return attention


def attention_rows(runner: Any, args: AttentionRowsArgs) -> AttentionRowsResult:
    """The ``exbert.attentionRows/1`` result: ``weights`` float32 ``[heads, rows or T, T]``."""
    attention = _attention(runner, args)
    L, H, T, _ = attention.shape
    if args.layer > L:
        raise InvalidInputError(f"layer {args.layer}: {runner.info.name} has layers 1..{L}")
    heads = args.heads or list(range(H))
    bad = [h for h in heads if h >= H]
    if bad:
        raise InvalidInputError(f"heads {bad}: {runner.info.name} has heads 0..{H - 1}")
    rows = args.rows
    if rows is not None and any(q >= T for q in rows):
        raise InvalidInputError(f"rows {[q for q in rows if q >= T]}: the text has positions 0..{T - 1}")
    chosen = attention[args.layer - 1, heads]
    weights = chosen if rows is None else chosen[:, rows]
    return AttentionRowsResult(
        layer=args.layer,
        heads=heads,
        rows=rows,
        size=T,
        weights=encode_array(np.ascontiguousarray(weights, dtype=np.float32), "float32"),
    )


def handle(state: Any, args: AttentionRowsArgs) -> AttentionRowsResult:
    """Server entry: the configured (or requested) model's exact rows."""
    return attention_rows(state.runner(args.model), args)
