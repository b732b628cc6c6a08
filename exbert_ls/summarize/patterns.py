"""Per-text attention statistics: how focused each head is and where it points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HeadFocus:
    """Statistics of one text's attention, each ``[L, H]``, over non-special query rows."""

    entropy: np.ndarray
    """Mean row entropy in nats (low = focused)."""
    to_special: np.ndarray
    """Mean attention mass on special tokens."""
    to_previous: np.ndarray
    to_next: np.ndarray
    to_self: np.ndarray


def head_focus(attention: np.ndarray, special: np.ndarray) -> HeadFocus:
    """``attention`` is ``[L, H, T, T]``; ``special`` is the ``[T]`` special-token mask."""
    rows = ~special
    if not rows.any():
        rows = np.ones_like(special)
    att = attention[:, :, rows, :]  # [L, H, R, T]
    entropy = -(att * np.log(np.clip(att, 1e-12, None))).sum(-1).mean(-1)
    t = attention.shape[-1]
    q = np.flatnonzero(rows)

    def mean_at(offset: int) -> np.ndarray:
        k = q + offset
        ok = (k >= 0) & (k < t)
        if not ok.any():
            return np.zeros(attention.shape[:2])
        values = attention[:, :, q[ok], k[ok]]  # [L, H, n]
        return np.asarray(values.sum(-1) / len(q))

    return HeadFocus(
        entropy=entropy,
        to_special=att[..., special].sum(-1).mean(-1),
        to_previous=mean_at(-1),
        to_next=mean_at(1),
        to_self=mean_at(0),
    )


def describe_focus(focus: HeadFocus, layer: int, head: int) -> str:
    """A few words on what a head does in one text, e.g. ``"previous token 92%"``."""
    l, h = layer - 1, head
    parts = {
        "previous token": focus.to_previous[l, h],
        "next token": focus.to_next[l, h],
        "itself": focus.to_self[l, h],
        "special tokens": focus.to_special[l, h],
    }
    name, share = max(parts.items(), key=lambda kv: kv[1])
    if share < 0.4:
        return f"broad (entropy {focus.entropy[l, h]:.2f} nats)"
    return f"{name} {share:.0%}"
