"""Activation names: the one place that spells them (TransformerLens's scheme).

Layer numbering is the project's single convention:

* ``blocks.{l}.hook_resid_post`` for ``l = 0..L``: hidden state ``l`` is the
  *output* of layer ``l`` (1-based), and ``l = 0`` is the embedding output.
* ``blocks.{l}.attn.hook_pattern`` and ``blocks.{l}.attn.hook_z`` for
  ``l = 1..L``: the attention pattern and per-head contexts *inside* layer ``l``.

So attention ``l`` and hidden state ``l`` belong to the same layer (exBERT
paired hidden state ``l`` with the input of layer ``l``; we do not).
"""

from __future__ import annotations

from typing import Literal

from exbert_ls.errors import InvalidInputError

ActivationKind = Literal["resid_post", "pattern", "z"]

#: Shapes of one text's activations, as returned by :class:`~exbert_ls.model.runner.ModelRunner`.
SHAPES: dict[ActivationKind, str] = {
    "resid_post": "[pos, d_model]  (L2-normalised when stored or searched)",
    "pattern": "[head, query_pos, key_pos]  (rows sum to 1)",
    "z": "[pos, head * d_head]  (heads contiguous; normalised per head when stored)",
}


def act_name(kind: ActivationKind, layer: int) -> str:
    """Name of an activation, e.g. ``act_name("z", 3) == "blocks.3.attn.hook_z"``."""
    if kind == "resid_post":
        return f"blocks.{layer}.hook_resid_post"
    if kind == "pattern":
        return f"blocks.{layer}.attn.hook_pattern"
    if kind == "z":
        return f"blocks.{layer}.attn.hook_z"
    raise InvalidInputError(f"unknown activation kind {kind!r}; expected resid_post, pattern or z")


def hidden_column(layer: int) -> str:
    """Vector column holding hidden state ``layer`` (0 = embeddings) in a corpus table."""
    return f"hs{layer}"


def context_column(layer: int) -> str:
    """Vector column holding the per-head contexts of layer ``layer`` (1-based)."""
    return f"ctx{layer}"
