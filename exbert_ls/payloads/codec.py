"""Typed payloads <-> plain JSON values (dicts, lists, str, numbers, None), done once.

Results keep their snake_case field names on the wire (classes marked
:func:`~exbert_ls.payloads.common.camel_keys` use camelCase); ``None`` fields are kept
(explicit ``null``), so a reader sees every key of the schema. Tuples become lists, as JSON
has only arrays; ``bytes`` stay bytes (only msgpack documents carry them).
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from exbert_ls.payloads.attention import SparseAttention
from exbert_ls.payloads.common import EncodedArray, wire_name
from exbert_ls.payloads.explain import AttentionLists, RolloutLists

T = TypeVar("T")

_converter = cattrs.Converter(unstruct_collection_overrides={tuple: list})


def _renames(cls: type) -> dict[str, Any]:
    return {
        a.name: override(rename=wire_name(cls, a.name)) for a in attrs.fields(cls) if wire_name(cls, a.name) != a.name
    }


_converter.register_unstructure_hook_factory(
    attrs.has, lambda cls: make_dict_unstructure_fn(cls, _converter, **_renames(cls))
)
_converter.register_structure_hook_factory(
    attrs.has, lambda cls: make_dict_structure_fn(cls, _converter, _cattrs_forbid_extra_keys=True, **_renames(cls))
)

# unions cattrs cannot tell apart by itself: array bytes (text or binary), attention (lists or encoded)
_converter.register_structure_hook(str | bytes, lambda value, _type: value)


def _attention(value: Any, _type: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return _converter.structure(value, SparseAttention if "sparse" in value else EncodedArray)


_converter.register_structure_hook(EncodedArray | AttentionLists | SparseAttention, _attention)
_converter.register_structure_hook(
    EncodedArray | RolloutLists | None,
    lambda value, _type: _converter.structure(value, EncodedArray) if isinstance(value, dict) else value,
)


def to_wire(value: Any) -> Any:
    """A payload (attrs instance, or lists/dicts of them) as JSON-able plain values."""
    return _converter.unstructure(value)


def from_wire(data: Any, cls: type[T]) -> T:
    """The typed payload of plain JSON values (tests and clients that round-trip)."""
    return _converter.structure(data, cls)
