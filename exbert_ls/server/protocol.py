"""Arguments and results of the ``exbert.*`` commands (documented in docs/protocol.md).

Every command takes at most one argument, a JSON object, whose camelCase keys map onto the
snake_case fields below. :func:`parse` checks it and raises ``JsonRpcInvalidParams`` with
a message naming the offending key.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import attrs
import cattrs
from pygls.exceptions import JsonRpcInvalidParams

from exbert_ls.payloads.common import Position, Range, camel_keys
from exbert_ls.server.convert import STRICT, camel, describe

__all__ = [
    "ExplainArgs",
    "HeadSummaryArgs",
    "IndexArgs",
    "Position",
    "Range",
    "SearchArgs",
    "Selection",
    "StatusArgs",
    "parse",
]

T = TypeVar("T")


def _at_least(minimum: int) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, value: int | None) -> None:
        if value is not None and value < minimum:
            raise ValueError(f"{camel(attribute.name)} must be >= {minimum}, got {value}")

    return check


def _all_at_least(minimum: int) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, values: list[int] | None) -> None:
        bad = [v for v in values or () if v < minimum]
        if bad:
            raise ValueError(f"{camel(attribute.name)} must all be >= {minimum}, got {bad}")

    return check


@camel_keys
@attrs.define
class Selection:
    """What text to run: raw ``text``, or a document ``uri`` with an optional ``range``
    (the whole document when absent). Exactly one of ``text`` and ``uri``."""

    text: str | None = None
    """Raw text to run (no document positions in the result)."""
    uri: str | None = None
    """A document the client opened (``textDocument/didOpen``) or a ``file:`` URI on disk."""
    range: Range | None = None
    """The part of the document to run; must not be empty."""

    def check_selection(self) -> None:
        if (self.text is None) == (self.uri is None):
            raise ValueError("give exactly one of 'text' or 'uri' (with an optional 'range')")
        if self.text is not None and self.range is not None:
            raise ValueError("'range' needs 'uri'; with 'text' the whole text is run")


@camel_keys
@attrs.define
class ExplainArgs(Selection):
    """``exbert.explain``."""

    model: str | None = None
    """Model override for this request (embedded name, directory or hub id); default: the
    configured ``exbert.model``."""
    mask: list[int] = attrs.field(factory=list, validator=_all_at_least(0))
    """Token positions to replace by the mask token before the run (masked LMs only)."""
    top_k: int = attrs.field(default=5, validator=_at_least(0))
    """Predictions per token (0: none). Ignored for models without an LM head."""
    attention: Literal["uint8", "float16"] = "uint8"
    """How attention weights travel: uint8 (x/255, error <= 0.002) or float16."""
    format: Literal["json", "msgpack"] = "json"
    """``msgpack``: the result is ``{"schema": "exbert.msgpack/1", "data": base64}``."""
    annotate: bool = True
    """Run spaCy for POS/DEP/entity annotations of words."""
    rollout: bool = False
    """Add ``rollout``: attention rollout per layer (Abnar & Zuidema), encoded like attention."""


@camel_keys
@attrs.define
class SearchArgs(Selection):
    """``exbert.search``: nearest corpus tokens to one token of a selection."""

    token: int | None = attrs.field(default=None, validator=_at_least(0))
    """Model position of the query token in the selection (as in the explain result)."""
    position: Position | None = None
    """Or: a document position inside the query token (needs ``uri``)."""
    layer: int | None = attrs.field(default=None, validator=_at_least(0))
    """Hidden-state layer 0..L for ``embedding``, 1..L for ``context``; default
    ``exbert.defaultLayer``."""
    by: Literal["embedding", "context"] = "embedding"
    heads: list[int] | None = attrs.field(default=None, validator=_all_at_least(0))
    """Heads whose contexts are compared (``context`` only; default all)."""
    k: int | None = attrs.field(default=None, validator=_at_least(1))
    """Number of matches; default ``exbert.k``."""
    exact: bool = False
    """Exact scan instead of the ANN index."""
    exclude_special: bool = True
    """Max-attended tokens skip special tokens (search/matches.py)."""
    exclude_first: bool = True
    """Max-attended tokens skip position 0 (the attention sink)."""
    count_duplicates: bool = False
    """Summary histograms count every copy of a collapsed context (default: once)."""


@camel_keys
@attrs.define
class HeadSummaryArgs:
    """``exbert.headSummary``: all heads, one layer's, or one head's summaries."""

    layer: int | None = attrs.field(default=None, validator=_at_least(1))
    """1-based layer."""
    head: int | None = attrs.field(default=None, validator=_at_least(0))
    """0-based head (needs ``layer``)."""


@camel_keys
@attrs.define
class IndexArgs:
    """``exbert.indexWorkspace``."""

    paths: list[str] | None = None
    """Files or folders (paths or ``file:`` URIs); default: the workspace folders."""


@camel_keys
@attrs.define
class StatusArgs:
    """``exbert.status`` takes no arguments (an empty object is accepted)."""


def parse(command: str, cls: type[T], arguments: tuple[Any, ...]) -> T:
    """The attrs payload of a command's ``arguments`` list (zero or one JSON object)."""
    if len(arguments) > 1:
        raise JsonRpcInvalidParams(message=f"{command}: expected one argument object, got {len(arguments)} arguments")
    data = arguments[0] if arguments else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise JsonRpcInvalidParams(message=f"{command}: the argument must be a JSON object, got {type(data).__name__}")
    try:
        value = STRICT.structure(data, cls)
        if isinstance(value, Selection):
            value.check_selection()
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise JsonRpcInvalidParams(message=f"{command}: invalid arguments: {describe(exc)}") from exc
    return value


ARGUMENTS: tuple[type, ...] = (ExplainArgs, SearchArgs, HeadSummaryArgs, IndexArgs, StatusArgs)
"""Every command's argument type (``exbert schema`` puts them in ``$defs``)."""
