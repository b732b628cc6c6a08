"""Typed payloads <-> plain JSON values (dicts, lists, str, numbers, None), done once.

Results keep their snake_case field names on the wire; ``None`` fields are kept (explicit
``null``), so a reader sees every key of the schema.
"""

from __future__ import annotations

from typing import Any, TypeVar

import cattrs

T = TypeVar("T")

_converter = cattrs.Converter()


def to_wire(value: Any) -> Any:
    """A payload (attrs instance, or lists/dicts of them) as JSON-able plain values."""
    return _converter.unstructure(value)


def from_wire(data: Any, cls: type[T]) -> T:
    """The typed payload of plain JSON values (tests and clients that round-trip)."""
    return _converter.structure(data, cls)
