"""Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers").

Per layer the heads are averaged, the residual stream is mixed in as the identity
(``0.5·A + 0.5·I``), rows are renormalised, and the layers are multiplied through:
``R_l = Â_l · R_{l-1}``, ``R_0 = I``. ``R_l[i, j]`` is how much token ``j`` flows into
position ``i`` after layer ``l``. Every row of every ``R_l`` sums to 1.
"""

from __future__ import annotations

import numpy as np


def attention_rollout(attention: np.ndarray, residual: float = 0.5) -> np.ndarray:
    """``[L, T, T]`` rollout after each layer from attention ``[L, H, T, T]`` (rows sum to 1)."""
    if attention.ndim != 4 or attention.shape[-1] != attention.shape[-2]:
        raise ValueError(f"attention must be [L, H, T, T], got {attention.shape}")
    num_layers, _, t, _ = attention.shape
    mixed = (1 - residual) * attention.astype(np.float64).mean(axis=1) + residual * np.eye(t)
    mixed /= mixed.sum(axis=-1, keepdims=True)
    out = np.empty((num_layers, t, t))
    current = np.eye(t)
    for layer in range(num_layers):  # a product through layers: inherently sequential
        current = mixed[layer] @ current
        out[layer] = current
    return out.astype(np.float32)
