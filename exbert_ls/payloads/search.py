"""The ``exbert.search/1`` result: corpus tokens nearest a query token, with context and summary."""

from __future__ import annotations

from typing import Final, Literal

import attrs

from exbert_ls.payloads.common import Range

SEARCH_SCHEMA: Final = "exbert.search/1"
SearchBy = Literal["embedding", "context"]


@attrs.define(kw_only=True)
class SearchQuery:
    """What was searched for."""

    text: str
    """The query text."""
    token: int
    """Model position of the query token in ``text``."""
    token_text: str
    """That token's spelling."""
    layer: int
    """Hidden state 0..L (embedding) or context layer 1..L (context)."""
    by: SearchBy
    """What was compared."""
    heads: list[int] | None
    """Context heads (0-based) compared; null = all."""
    k: int
    """Matches asked for."""
    exact: bool
    """Exhaustive scan asked for."""
    method: str
    """How the neighbours were found (``exact``, ``ann``...)."""
    column: str
    """Vector column searched (``model/names.py``)."""
    range: Range | None = None
    """Document range of the query token (server, ``uri`` argument); null otherwise."""


@attrs.define(kw_only=True)
class MatchToken:
    """The matching corpus token."""

    position: int
    """Model position in its sentence."""
    text: str
    """Tokenizer spelling."""
    start: int
    """Character offset in the sentence text."""
    end: int
    """Character offset one past it."""


@attrs.define(kw_only=True)
class WordAnnotation:
    """A word's annotations (spaCy)."""

    text: str
    """The word."""
    pos: str
    """Universal POS tag."""
    dep: str
    """Dependency relation."""
    ent_type: str
    """Entity type ("" outside entities)."""


@attrs.define(kw_only=True)
class MatchWord(WordAnnotation):
    """The word of the matching token, with its fine-grained tag."""

    tag: str
    """Fine-grained tag."""


@attrs.define(kw_only=True)
class NextToken:
    """The token after the match (decoders: what the model was predicting)."""

    position: int
    """Its model position in the sentence."""
    text: str
    """Its spelling."""


@attrs.define(kw_only=True)
class MaxAttended:
    """The token the match attends to most, over the selected heads of the layer."""

    position: int
    """Its model position in the sentence."""
    offset: int
    """``position`` minus the match's position."""
    text: str
    """Its spelling."""
    pos: str
    """POS of its word ("" for special tokens)."""
    dep: str
    """DEP of its word."""
    ent_type: str
    """Entity type of its word."""
    special: bool
    """A special token ([CLS], [SEP]...)."""
    weight: float
    """The attention weight on it (the selected heads' mean, or the chosen head's)."""
    head: int | None
    """The head (0-based) it was taken from: the single selected head, or (index columns) the
    selected head with the largest weight; null for a mean over several heads."""


@attrs.define(kw_only=True)
class SearchMatch:
    """One corpus token near the query."""

    rank: int
    """0 = nearest."""
    similarity: float
    """Cosine similarity (mean over heads for context search)."""
    doc: str
    """Document it comes from (absolute path)."""
    doc_path: str
    """The document relative to the workspace / corpus root when inside it, else ``doc``."""
    count: int = 1
    """Identical contexts (same sentence text and position) collapsed into this row."""
    sentence: int
    """Sentence id in the index."""
    text: str
    """The sentence."""
    token: MatchToken
    """The token itself."""
    word: MatchWord | None
    """Its word (null when unaligned)."""
    left: WordAnnotation | None
    """The word before."""
    right: WordAnnotation | None
    """The word after."""
    next_token: NextToken | None
    """The next token (causal models only)."""
    max_attended: MaxAttended | None
    """Its most-attended token (null at layer 0)."""


@attrs.define(kw_only=True)
class AttendedCounts:
    """Counts over the matches' max-attended tokens (special tokens count under their spelling)."""

    pos: dict[str, int]
    """By POS."""
    dep: dict[str, int]
    """By DEP."""
    ent_type: dict[str, int]
    """By entity type."""
    offset: dict[str, int]
    """By offset from the match (as a string, e.g. ``"-1"``; far offsets binned ``"<=-8"``, ``">=+8"``)."""


@attrs.define(kw_only=True)
class MatchSummary:
    """Raw counts over the matches, most common first."""

    count: int
    """Number of matches counted (collapsed rows once, unless duplicates are counted)."""
    pos: dict[str, int]
    """Matches by POS."""
    dep: dict[str, int]
    """Matches by DEP."""
    ent_type: dict[str, int]
    """Matches by entity type."""
    max_attended: AttendedCounts
    """Their max-attended tokens."""


@attrs.define(kw_only=True)
class SearchDedup:
    """How identical contexts were collapsed by the server."""

    collapsed: int
    """Rows removed by collapsing (their counts are on the row kept)."""
    counted_once: bool
    """The summary counts a collapsed row once (false: ``count`` times)."""


@attrs.define(kw_only=True)
class MaxAttendedRule:
    """How the matches' max-attended tokens were chosen."""

    heads: list[int]
    """The heads (0-based) whose mean attention row is used (one head: its own row)."""
    exclude_special: bool
    """Special tokens were excluded as targets."""
    exclude_first: bool
    """Position 0 (the attention sink) was excluded as a target."""
    method: str
    """``mean`` (the heads' mean row: stored per layer for all heads, else the matched sentences
    re-run), ``per-head max`` (index columns), or none at layer 0."""


@attrs.define(kw_only=True)
class SearchResult:
    """``exbert.search`` / ``exbert search --json`` (docs/contracts.md)."""

    schema: Literal["exbert.search/1"] = SEARCH_SCHEMA
    """Payload schema tag."""
    query: SearchQuery
    """What was searched."""
    matches: list[SearchMatch]
    """Nearest first."""
    summary: MatchSummary
    """Counts over the matches."""
    dedup: SearchDedup
    """Identical contexts collapsed."""
    max_attended_rule: MaxAttendedRule
    """Which heads and exclusions the max-attended tokens follow."""
