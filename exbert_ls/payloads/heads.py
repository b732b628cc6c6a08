"""The ``exbert.heads/1`` result: what each head attends to, corpus-wide (Clark et al. 2019)."""

from __future__ import annotations

from typing import Final, Literal

import attrs

Role = Literal["induction", "sink", "special", "previous", "next", "self", "offset", "broad", "mixed"]
"""Head role labels, by priority (summarize/roles.py assigns them)."""

HEADS_SCHEMA: Final = "exbert.heads/1"
Direction = Literal["dependent->head", "head->dependent"]


@attrs.define(kw_only=True)
class HeadRelation:
    """A relation a head tracks better than the baseline."""

    relation: str
    """Dependency relation."""
    direction: Direction
    """Which end predicts the other."""
    accuracy: float
    """Share of arcs where the head's most-attended word is the right one."""
    baseline: float
    """Accuracy of the best fixed word offset."""
    baseline_offset: int
    """That offset (-3..+2)."""
    support: int
    """Arcs counted."""
    rank: int
    """The head's place among all heads for this relation (0 = best)."""
    z: float
    """Margin over the baseline in standard errors."""


@attrs.define(kw_only=True)
class HeadSummary:
    """One head's behaviour (means over non-special query tokens) and relations."""

    layer: int
    """1-based layer."""
    head: int
    """0-based head."""
    entropy: float
    """Mean attention entropy, nats."""
    to_special: float
    """Mean attention mass on special tokens."""
    to_punct: float
    """On punctuation."""
    to_previous: float
    """On the previous token."""
    to_next: float
    """On the next token."""
    to_self: float
    """On the token itself."""
    relations: list[HeadRelation]
    """Relations it beats the baseline on, most significant first."""
    description: str
    """One line for a tooltip (ends with the causal effect, `` · ablated: Δloss +0.123``,
    when known)."""
    to_first: float | None = None
    """Mean attention mass on position 0 (the attention sink, BOS or not); null for indexes
    built before head roles were recorded."""
    to_special_rest: float | None = None
    """On special tokens other than position 0."""
    normalised_entropy: float | None = None
    """Entropy as a share of a uniform row's (length-independent; docs/heads.md)."""
    role: Role | None = None
    """The head's role label, never contradicting the numbers above (docs/heads.md)."""
    induction: float | None = None
    """Induction score from ``exbert probe`` (cached for this model), when probed."""
    causal_effect: float | None = None
    """Causal effect: mean loss change (nats) on the fixed sample of docs/heads.md when this
    head alone is zero-ablated (positive = the model needs it), from ``exbert probe``'s cache
    for this model; null when not probed or the model has no LM head."""


@attrs.define(kw_only=True)
class BestHead:
    """A head among the best for a relation."""

    layer: int
    """1-based layer."""
    head: int
    """0-based head."""
    accuracy: float
    """Its accuracy."""


@attrs.define(kw_only=True)
class RelationSummary:
    """One (relation, direction) over the corpus."""

    relation: str
    """Dependency relation."""
    direction: Direction
    """Which end predicts the other."""
    support: int
    """Arcs counted."""
    baseline: float
    """Accuracy of the best fixed word offset."""
    baseline_offset: int
    """That offset."""
    best: list[BestHead]
    """The best heads, best first."""
    accuracy: list[list[float]] | None = None
    """``[L][H]`` accuracy matrix (only when asked for)."""


@attrs.define(kw_only=True)
class HeadSummaries:
    """``exbert.headSummary`` / ``exbert heads --json`` (docs/contracts.md)."""

    schema: Literal["exbert.heads/1"] = HEADS_SCHEMA
    """Payload schema tag."""
    sentences: int
    """Sentences summed."""
    tokens: int
    """Non-special tokens summed."""
    documents: int | None = None
    """Documents whose statistics are summed (corpus summaries); null for other sums."""
    complete: bool | None = None
    """Every live document of the index has statistics in the sum (corpus summaries)."""
    layer_numbering: str
    """Reminder of the numbering convention."""
    heads: list[HeadSummary]
    """Every head (or those asked for), layer by layer."""
    relations: list[RelationSummary]
    """Relations with enough support."""
