"""The max-attended key of a token: one rule for the index and for search.

A token's *max-attended* key under a set of heads is the argmax of those heads' **mean**
attention row, over the keys the rule allows: by default neither special tokens nor position 0
(the attention sink of decoder models, ``[CLS]`` of encoders). The indexer stores it for the
mean of *all* heads of each layer under the default rule (``mean_att`` / ``mean_att_w``,
``store/schema.py``); search computes it from a re-run for any other head set or rule
(``search/matches.py``). Both call :func:`mean_max_attended_rows`, so they agree by
construction.
"""

from __future__ import annotations

import numpy as np


def allowed_keys(special: np.ndarray, *, exclude_special: bool = True, exclude_first: bool = True) -> np.ndarray:
    """``[T]`` bool: the keys a max-attended token may be (``special``: the tokens' flags)."""
    allowed = np.ones(len(special), dtype=bool)
    if exclude_special:
        allowed &= ~np.asarray(special, dtype=bool)
    if exclude_first and len(allowed):
        allowed[0] = False
    return allowed


def mean_max_attended_rows(attention: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(position, weight)`` of every query row of ``attention[..., H, T, T]`` (heads on the
    third axis from the end): the argmax over the allowed keys of the heads' mean row, and that
    mean weight; position -1 (weight 0) where no key is allowed. Shapes ``[..., T]``."""
    mean = np.asarray(attention, dtype=np.float32).mean(axis=-3)  # [..., T, T]
    if not allowed.any():
        shape = mean.shape[:-1]
        return np.full(shape, -1, dtype=np.int64), np.zeros(shape, dtype=np.float32)
    # excluded keys at -1, below every weight (>= 0): they win only if nothing is allowed
    masked = np.where(allowed, mean, np.float32(-1.0))
    position = masked.argmax(axis=-1)
    weight = np.take_along_axis(mean, position[..., None], axis=-1)[..., 0].astype(np.float32)
    return position.astype(np.int64), weight
