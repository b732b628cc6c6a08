"""Types shared by several payloads: document positions, encoded arrays, the msgpack envelope."""

from __future__ import annotations

from typing import Any, Final, Literal, TypeVar

import attrs

C = TypeVar("C", bound=type)

WIRE_KEYS = "__exbert_wire_keys__"
"""Class attribute naming how field names appear on the wire: ``"snake"`` (default) or ``"camel"``."""


def camel_keys(cls: C) -> C:
    """Mark an attrs class whose wire keys are camelCase (command arguments, settings)."""
    setattr(cls, WIRE_KEYS, "camel")
    return cls


def camel(name: str) -> str:
    """``top_k`` -> ``topK``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def wire_name(cls: type, field: str) -> str:
    """The key of ``cls``'s field ``field`` on the wire."""
    return camel(field) if getattr(cls, WIRE_KEYS, "snake") == "camel" else field


def _at_least(minimum: int) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, value: int | None) -> None:
        if value is not None and value < minimum:
            raise ValueError(f"{camel(attribute.name)} must be >= {minimum}, got {value}")

    return check


@attrs.define
class Position:
    """A document position (LSP)."""

    line: int = attrs.field(validator=_at_least(0))
    """0-based line."""
    character: int = attrs.field(validator=_at_least(0))
    """0-based offset in the line, in code units of the negotiated position encoding (UTF-16)."""


@attrs.define
class Range:
    """A document range (LSP), end exclusive."""

    start: Position
    """First position inside the range."""
    end: Position
    """Position just past the range."""


WireDtype = Literal["float16", "float32", "uint8", "uint16"]
ArrayEncoding = Literal["base64", "zlib+base64", "raw", "zlib"]


@attrs.define(kw_only=True)
class EncodedArray:
    """A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it."""

    dtype: WireDtype
    """Element type; ``uint8`` carries ``scale`` (value = byte * scale)."""
    shape: list[int]
    """Array shape, C order."""
    encoding: ArrayEncoding
    """``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
    first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``)."""
    data: str | bytes
    """The array's bytes: base64 text in JSON, binary inside a msgpack document."""
    scale: float | None = None
    """``uint8`` only: value = byte * scale (1/255 for attention weights)."""


MSGPACK_SCHEMA: Final = "exbert.msgpack/1"


@attrs.define(kw_only=True)
class MsgpackEnvelope:
    """A result sent as one msgpack document (``format: "msgpack"``): arrays inside are raw
    binary; the whole document is base64 text once, because JSON-RPC carries text."""

    schema: Literal["exbert.msgpack/1"] = MSGPACK_SCHEMA
    """Payload schema tag."""
    payload_schema: str
    """Schema tag of the document inside (e.g. ``exbert.explain/1``)."""
    data: str
    """Base64 of the msgpack bytes of the result (its arrays: ``encoding`` ``raw``/``zlib``)."""
