"""Payload types the model runner returns (plain data, no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Token:
    """One model token of a text."""

    index: int
    """Position in the model's input (special tokens included)."""
    text: str
    """The tokenizer's own spelling (``##ing``, ``Ġthe``, ``[CLS]``)."""
    start: int
    """Character offset in the text where the token starts (leading whitespace trimmed)."""
    end: int
    """Character offset one past the token's last character."""
    special: bool
    """Added by the tokenizer ([CLS], [SEP], <s>...): covers no text."""
    id: int
    """Vocabulary id."""


@dataclass(frozen=True)
class Prediction:
    token: str
    probability: float


@dataclass(frozen=True)
class ModelInfo:
    """Shape and identity of a loaded model."""

    name: str
    """What the user asked for (``minilm``, a hub id, a path)."""
    source: str
    """The directory or hub id it was loaded from."""
    model_type: str
    num_layers: int
    num_heads: int
    d_model: int
    d_head: int
    causal: bool
    lm_head: str | None
    """``"masked"``, ``"causal"`` or None for a bare encoder."""
    max_positions: int
    device: str


@dataclass
class Activations:
    """Everything one forward pass yields for one text. Conventions: ``model/names.py``."""

    text: str
    tokens: list[Token]
    attention: np.ndarray
    """``[L, H, T, T]`` float32, rows sum to 1."""
    hidden: np.ndarray
    """``[L+1, T, D]`` float32; ``hidden[l]`` is the output of layer ``l``, 0 the embeddings."""
    contexts: np.ndarray | None
    """``[L, T, H*d_head]`` float32: ``contexts[l-1]`` belongs to layer ``l``; None if not captured."""
    predictions: list[list[Prediction]] | None = None
    """Top-k per position (masked fill or next token), None if not asked or no LM head."""
    masked: tuple[int, ...] = field(default=())
    """Positions replaced by the mask token before the run."""

    @property
    def special_mask(self) -> np.ndarray:
        return np.array([t.special for t in self.tokens], dtype=bool)
