"""Per-text attention statistics: how focused each head is and where it points.

Role labels come from :mod:`exbert_ls.summarize.roles` (thresholds documented there and in
docs/heads.md), so a label never contradicts the numbers printed beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exbert_ls.summarize.roles import HeadNumbers, Role, classify, describe

FAR_OFFSETS: tuple[int, ...] = (-8, -7, -6, -5, -4, -3, -2, 2, 3, 4, 5, 6, 7, 8)
"""Fixed offsets tried for a head's best offset (beyond previous / self / next)."""


@dataclass(frozen=True)
class HeadFocus:
    """Statistics of one text's attention, each ``[L, H]``, over non-special query rows."""

    entropy: np.ndarray
    """Mean row entropy in nats (low = focused)."""
    to_special: np.ndarray
    """Mean attention mass on special tokens (position 0 included when it is special)."""
    to_previous: np.ndarray
    to_next: np.ndarray
    to_self: np.ndarray
    to_first: np.ndarray
    """Mean mass on position 0 (an attention sink), whether or not it is a special token."""
    to_special_rest: np.ndarray
    """Mean mass on special tokens other than position 0 (reported apart from the sink)."""
    max_entropy: float
    """Mean over the same rows of ``ln`` (keys the row may attend to): a uniform head's entropy."""
    best_offset: np.ndarray
    """``[L, H]`` int: the fixed offset of :data:`FAR_OFFSETS` with the most mass."""
    best_offset_share: np.ndarray
    first_special: bool
    """Whether position 0 is a special token (BOS / [CLS]) in this text."""

    def numbers(self, layer: int, head: int, induction: float | None = None) -> HeadNumbers:
        """One head's statistics (``layer`` 1-based) for :func:`roles.classify`."""
        l, h = layer - 1, head
        return HeadNumbers(
            entropy=float(self.entropy[l, h]),
            max_entropy=self.max_entropy,
            to_first=float(self.to_first[l, h]),
            to_special=float(self.to_special_rest[l, h]),
            to_previous=float(self.to_previous[l, h]),
            to_next=float(self.to_next[l, h]),
            to_self=float(self.to_self[l, h]),
            best_offset=int(self.best_offset[l, h]),
            best_offset_share=float(self.best_offset_share[l, h]),
            induction=induction,
        )


def head_focus(attention: np.ndarray, special: np.ndarray) -> HeadFocus:
    """``attention`` is ``[L, H, T, T]``; ``special`` is the ``[T]`` special-token mask."""
    special = np.asarray(special, dtype=bool)
    rows = ~special
    if not rows.any():
        rows = np.ones_like(special)
    att = attention[:, :, rows, :]  # [L, H, R, T]
    entropy = -(att * np.log(np.clip(att, 1e-12, None))).sum(-1).mean(-1)
    t = attention.shape[-1]
    q = np.flatnonzero(rows)
    # Keys a row may attend to: all for encoders, 0..i for causal rows (upper triangle is 0).
    causal = t > 1 and not np.triu(attention, 1).any()
    keys = q + 1 if causal else np.full(q.shape, t)
    max_entropy = float(np.log(keys).mean())

    def mean_at(offset: int) -> np.ndarray:
        k = q + offset
        ok = (k >= 0) & (k < t)
        if not ok.any():
            return np.zeros(attention.shape[:2])
        values = attention[:, :, q[ok], k[ok]]  # [L, H, n]
        return np.asarray(values.sum(-1) / len(q))

    far = np.stack([mean_at(o) for o in FAR_OFFSETS], axis=-1)  # [L, H, K]
    rest = special.copy()
    rest[0] = False
    return HeadFocus(
        entropy=entropy,
        to_special=att[..., special].sum(-1).mean(-1),
        to_previous=mean_at(-1),
        to_next=mean_at(1),
        to_self=mean_at(0),
        to_first=att[..., 0].mean(-1),
        to_special_rest=att[..., rest].sum(-1).mean(-1),
        max_entropy=max_entropy,
        best_offset=np.asarray(FAR_OFFSETS)[far.argmax(-1)],
        best_offset_share=far.max(-1),
        first_special=bool(special[0]),
    )


def focus_role(focus: HeadFocus, layer: int, head: int, induction: float | None = None) -> Role:
    """The role of one head (``layer`` 1-based) in one text."""
    return classify(focus.numbers(layer, head, induction))


def describe_focus(focus: HeadFocus, layer: int, head: int, induction: float | None = None) -> str:
    """A few words on what a head does in one text, e.g. ``"sink: 97 % to first position"``."""
    return describe(focus.numbers(layer, head, induction))
