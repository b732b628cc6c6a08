"""The ``exbert.explain/1`` result: tokens, words, attention and predictions of one text."""

from __future__ import annotations

from typing import Final, Literal

import attrs

from exbert_ls.payloads.attention import SparseAttention
from exbert_ls.payloads.common import EncodedArray, Range

EXPLAIN_SCHEMA: Final = "exbert.explain/1"

AttentionLists = list[list[list[list[float]]]]
RolloutLists = list[list[list[float]]]


@attrs.define(kw_only=True)
class ModelDescription:
    """Shape and identity of a loaded model."""

    name: str
    """What the user asked for (``minilm``, a hub id, a path)."""
    source: str
    """The directory or hub id it was loaded from."""
    model_type: str
    """The transformers ``model_type`` (``bert``, ``llama``...)."""
    num_layers: int
    """Transformer layers L."""
    num_heads: int
    """Attention heads per layer H."""
    d_model: int
    """Hidden size."""
    d_head: int
    """Size of one head's context vector."""
    causal: bool
    """Decoder (attends only to earlier tokens)."""
    lm_head: Literal["masked", "causal"] | None
    """``masked``, ``causal`` or null for a bare encoder (no predictions)."""
    max_positions: int
    """Longest input the model accepts, in tokens."""
    device: str
    """Where it runs (``cpu``, ``cuda:0``)."""


@attrs.define(kw_only=True)
class ExplainToken:
    """One model token."""

    index: int
    """Position in the model's input (special tokens included)."""
    text: str
    """The tokenizer's own spelling (``##ing``, ``Ġthe``, ``[CLS]``)."""
    start: int
    """Character offset in ``text`` where the token starts."""
    end: int
    """Character offset one past the token's last character."""
    special: bool
    """Added by the tokenizer ([CLS], [SEP], <s>...): covers no text."""
    id: int
    """Vocabulary id."""
    word: int
    """Index of the word the token belongs to (-1: special or unaligned)."""
    masked: bool
    """Replaced by the mask token before the run."""
    display: str
    """The token for people: byte-level BPE decoded (``·capital``, not ``Ġcapital``; model/display.py)."""
    range: Range | None = None
    """Document range of the token (explain of a document selection, non-special tokens)."""


@attrs.define(kw_only=True)
class ExplainWord:
    """One word (spaCy token, or a whitespace-free span without annotation)."""

    index: int
    """Word index."""
    text: str
    """The word."""
    start: int
    """Character offset in ``text``."""
    end: int
    """Character offset one past the word."""
    pos: str = ""
    """Universal POS tag."""
    tag: str = ""
    """Fine-grained tag."""
    dep: str = ""
    """Dependency relation to its head."""
    head: int = -1
    """Index of its syntactic head word (-1: none)."""
    ent_type: str = ""
    """Named-entity type ("" outside entities)."""
    ent_iob: str = "O"
    """Entity IOB mark."""
    lemma: str = ""
    """Lemma."""
    is_punct: bool = False
    """Punctuation."""
    tokens: list[int]
    """Model tokens aligned to the word."""
    range: Range | None = None
    """Document range of the word (explain of a document selection)."""


@attrs.define(kw_only=True)
class TokenPrediction:
    """One guess of the LM head for a position."""

    token: str
    """Predicted token (tokenizer spelling decoded)."""
    probability: float
    """Softmax probability."""


@attrs.define(kw_only=True)
class DocumentSpan:
    """Where an explained selection lies in its document."""

    uri: str
    """The document."""
    version: int | None
    """Its version (open documents), else null."""
    range: Range
    """The selection's range."""
    offset: int
    """Character offset of the selection in the document."""


@attrs.define(kw_only=True)
class ExplainResult:
    """``exbert.explain`` / ``exbert explain --json`` (docs/payload.md)."""

    schema: Literal["exbert.explain/1"] = EXPLAIN_SCHEMA
    """Payload schema tag."""
    model: ModelDescription
    """The model that ran."""
    num_layers: int
    """L (as ``model.num_layers``)."""
    num_heads: int
    """H (as ``model.num_heads``)."""
    causal: bool
    """As ``model.causal``."""
    text: str
    """The text that ran."""
    tokens: list[ExplainToken]
    """Model tokens, in input order."""
    words: list[ExplainWord]
    """Words of the text."""
    attention: EncodedArray | AttentionLists | SparseAttention
    """``[L, H, T, T]`` attention (rows sum to 1): nested lists (rounded to 4 digits), encoded, or
    (long inputs) top-mass sparse rows."""
    predictions: list[list[TokenPrediction]] | None
    """Top-k per position (masked fill or next token); null without an LM head or top_k 0."""
    masked: list[int]
    """Positions replaced by the mask token."""
    notes: list[str]
    """Things the user should know (e.g. no LM head)."""
    rollout: EncodedArray | RolloutLists | None = None
    """``[L, T, T]`` attention rollout (Abnar & Zuidema 2020; rows sum to 1), in the attention's
    encoding, when asked for (``rollout``); null otherwise."""
    document: DocumentSpan | None = None
    """The document selection explained (server, ``uri`` argument); null for raw text."""
