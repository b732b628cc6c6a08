"""Explain a text: run the model, align words, and build the payload the CLI and server return."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

from exbert_ls.annotate.align import Alignment, align
from exbert_ls.annotate.words import SpacyAnnotator, Word
from exbert_ls.model.activations import Activations, ModelInfo
from exbert_ls.model.display import display_tokens
from exbert_ls.model.rollout import attention_rollout
from exbert_ls.model.runner import ModelRunner
from exbert_ls.payloads.attention import SparseAttention
from exbert_ls.payloads.common import EncodedArray
from exbert_ls.payloads.explain import (
    EXPLAIN_SCHEMA,
    AttentionLists,
    ExplainResult,
    ExplainToken,
    ExplainWord,
    ModelDescription,
    RolloutLists,
    TokenPrediction,
)
from exbert_ls.sparse_attention import DENSE_MAX_TOKENS, sparse_attention
from exbert_ls.wire import encode_array

PAYLOAD_SCHEMA = EXPLAIN_SCHEMA
AttentionEncoding = Literal["list", "float16", "uint8"]


@dataclass
class Explanation:
    info: ModelInfo
    activations: Activations
    words: list[Word]
    alignment: Alignment
    notes: list[str] = field(default_factory=list)
    display: list[str] = field(default_factory=list)
    """Each token spelled for people (``·capital``, not ``Ġcapital``): model/display.py."""


def explain(
    runner: ModelRunner,
    text: str,
    *,
    mask: tuple[int, ...] = (),
    top_k: int = 5,
    annotator: SpacyAnnotator | None = None,
) -> Explanation:
    """Run ``text`` through the model (with masked positions, if any) and annotate it.

    Predictions are included when the model has an LM head; a bare encoder gets a note.
    Without an annotator, words are whitespace-free spans from the tokens themselves.
    """
    notes = []
    if runner.info.lm_head is None:
        notes.append(f"{runner.info.name} has no LM head: no predictions or masking")
        top_k = 0
    acts = runner.run(text, contexts=False, top_k=top_k, mask=mask)
    words = annotator.words(text) if annotator is not None else _plain_words(text)
    shown = display_tokens(runner.tokenizer, [t.id for t in acts.tokens])
    return Explanation(runner.info, acts, words, align(acts.tokens, words, len(text)), notes, shown)


def _plain_words(text: str) -> list[Word]:
    import re

    return [Word(i, m.group(), m.start(), m.end()) for i, m in enumerate(re.finditer(r"\S+", text))]


def payload(
    explanation: Explanation,
    attention: AttentionEncoding = "list",
    *,
    binary: bool = False,
    rollout: bool = False,
    sparse_above: int | None = DENSE_MAX_TOKENS,
) -> ExplainResult:
    """The explain result (``exbert.explain/1``, docs/payload.md).

    ``binary=True`` (for a msgpack document): encoded arrays carry their bytes, not base64 text.
    ``rollout`` adds the ``[L, T, T]`` attention rollout (model/rollout.py) in the attention's encoding.
    Encoded attention of more than ``sparse_above`` tokens travels as top-mass sparse rows
    (exbert_ls/sparse_attention.py)."""
    acts = explanation.activations
    info = explanation.info
    att: EncodedArray | AttentionLists | SparseAttention
    if attention == "list":
        att = np.round(acts.attention, 4).tolist()
    elif sparse_above is not None and acts.attention.shape[-1] > sparse_above:
        att = sparse_attention(acts.attention, binary=binary)
    else:
        att = encode_array(acts.attention, attention, binary=binary)
    token_to_word = explanation.alignment.token_to_word.tolist()
    masked = set(acts.masked)
    # vars(), not asdict(): the fields are plain values, and asdict's deep copy made these two
    # lists ~18 ms of a 512-token payload (2 ms now)
    return ExplainResult(
        model=model_description(info),
        num_layers=info.num_layers,
        num_heads=info.num_heads,
        causal=info.causal,
        text=acts.text,
        tokens=[
            ExplainToken(
                **vars(tok),
                display=explanation.display[tok.index] if explanation.display else tok.text,
                word=token_to_word[tok.index],
                masked=tok.index in masked,
            )
            for tok in acts.tokens
        ],
        words=[
            ExplainWord(**vars(w), tokens=list(explanation.alignment.word_tokens[w.index])) for w in explanation.words
        ],
        attention=att,
        predictions=(
            [[TokenPrediction(token=p.token, probability=p.probability) for p in row] for row in acts.predictions]
            if acts.predictions is not None
            else None
        ),
        masked=list(acts.masked),
        notes=list(explanation.notes),
        rollout=_rollout(acts.attention, attention, binary) if rollout else None,
    )


def model_description(info: ModelInfo) -> ModelDescription:
    """The payload form of a runner's :class:`ModelInfo`."""
    return ModelDescription(**asdict(info))


def _rollout(attention: np.ndarray, encoding: AttentionEncoding, binary: bool) -> EncodedArray | RolloutLists:
    rolled = attention_rollout(attention)
    if encoding == "list":
        lists: RolloutLists = np.round(rolled, 4).tolist()
        return lists
    return encode_array(rolled, encoding, binary=binary)
