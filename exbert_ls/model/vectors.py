"""Searchable vectors: the one normalisation both the corpus and the queries use.

* Hidden states are L2-normalised, so a dot product is a cosine.
* Contexts are normalised *per head* (each ``d_head`` slice), so the dot product of a
  query masked to ``h`` heads with a stored row, divided by ``h``, is the mean of the
  per-head cosines: one stored column serves every choice of heads.

Special tokens are kept (flagged) on both sides: the model sees the same input
whether a sentence is indexed or queried.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Unit L2 norm along the last axis (zero vectors stay zero)."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / np.maximum(norm, _EPS))


def normalized_hidden(hidden: np.ndarray) -> np.ndarray:
    """``[L+1, T, D]`` hidden states, each vector unit length."""
    return normalize_rows(hidden.astype(np.float32, copy=False))


def normalized_contexts(contexts: np.ndarray, num_heads: int) -> np.ndarray:
    """``[L, T, H*d_head]`` contexts with each head's slice unit length."""
    *lead, width = contexts.shape
    per_head = contexts.astype(np.float32, copy=False).reshape(*lead, num_heads, width // num_heads)
    return normalize_rows(per_head).reshape(*lead, width)


def head_mask(heads: list[int] | None, num_heads: int, d_head: int) -> np.ndarray:
    """``[H*d_head]`` 0/1 weights selecting the chosen heads' slices (all heads if None)."""
    chosen = np.zeros(num_heads, dtype=np.float32)
    chosen[list(range(num_heads)) if heads is None else heads] = 1.0
    return np.repeat(chosen, d_head)
