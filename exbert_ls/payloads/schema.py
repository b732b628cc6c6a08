"""One JSON Schema (2020-12) document for every argument and result type (``exbert schema``).

Generated from the attrs classes themselves, so it cannot drift from what the code sends:
each class becomes ``$defs[ClassName]`` (properties under their wire keys, ``required`` =
fields without a default, ``additionalProperties: false``, field docstrings as
``description``); the top-level ``properties`` map each output name to its result type.

Results list every field as required (``to_wire`` writes every key, ``null`` included);
arguments only those without a default. Type mapping: ``int``/``float``/``str``/``bool`` -> JSON types; ``Literal`` -> ``enum``;
``X | None`` -> ``anyOf [X, null]``; ``list``/``tuple``/``dict[str, X]`` -> arrays / tuples
(``prefixItems``, with a ``tsType`` for the TypeScript generator, which lacks them) / objects; nested attrs classes -> ``$ref``. ``bytes`` only occurs inside
msgpack documents (raw array data): it is ``{"tsType": "Uint8Array"}`` (an annotation for the
TypeScript generator, which JSON validators ignore).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from exbert_ls.payloads.common import wire_name

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://github.com/exbert-ls/exbert-ls/schema.json"
_SCALARS: dict[Any, dict[str, Any]] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    bytes: {"tsType": "Uint8Array"},
    type(None): {"type": "null"},
}


def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each annotated field of ``cls`` and its bases (source order)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not attrs.has(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, after in zip(body, [*body[1:], None]):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


_TS_SCALARS = {int: "number", float: "number", str: "string", bool: "boolean", type(None): "null"}


class _Builder:
    """Collects ``$defs``. ``sent`` classes (reached from an output) list every field as
    required: ``to_wire`` writes every key, defaults included, so a reader may rely on them.
    Argument classes list only the fields without a default (a client may leave those out)."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, type] = {}
        self.sent = True

    def ref(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if self.owners.get(name, cls) is not cls:
            raise ValueError(f"two payload classes are named {name}: {self.owners[name]} and {cls}")
        if name not in self.owners:
            self.owners[name] = cls
            self.defs[name] = {}  # placeholder: recursion stops here
            self.defs[name] = self.define(cls)
        elif not self.sent and self.defs[name].get("x-sent"):
            optional = [a.name for a in attrs.fields(cls) if a.default is not attrs.NOTHING]
            if optional:  # one $def cannot say both "always sent" and "may be left out"
                raise ValueError(f"{name} is both a result and an argument type, with defaults {optional}")
        return {"$ref": f"#/$defs/{name}"}

    def define(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        docs = field_docs(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for a in attrs.fields(cls):
            key = wire_name(cls, a.name)
            prop = self.type_schema(hints[a.name])
            if a.name in docs:
                prop = {**prop, "description": docs[a.name]}
            if a.default is attrs.NOTHING or self.sent:
                required.append(key)
            elif not isinstance(a.default, attrs.Factory) and _is_json(a.default):  # type: ignore[arg-type]
                prop = {**prop, "default": a.default}
            properties[key] = prop
        out: dict[str, Any] = {"type": "object"}
        if cls.__doc__:
            out["description"] = inspect.cleandoc(cls.__doc__)
        out.update(properties=properties, required=required, additionalProperties=False)
        return out

    def type_schema(self, tp: Any) -> dict[str, Any]:
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        if attrs.has(tp):
            return self.ref(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Literal:
            kinds = {type(v) for v in args}
            base = _SCALARS[kinds.pop()] if len(kinds) == 1 else {}
            return {**base, "enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.type_schema(t) for t in args]}
        if origin is list:
            return {"type": "array", "items": self.type_schema(args[0])}
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.type_schema(args[0])}
            n = len(args)
            tuple_ts = ", ".join(_TS_SCALARS.get(t, "unknown") for t in args)
            return {
                "tsType": f"[{tuple_ts}]",
                "type": "array",
                "prefixItems": [self.type_schema(t) for t in args],
                "items": False,
                "minItems": n,
                "maxItems": n,
            }
        if origin is dict:
            if args[0] is not str:
                raise TypeError(f"dict keys on the wire must be str, got {args[0]}")
            return {"type": "object", "additionalProperties": self.type_schema(args[1])}
        raise TypeError(f"no JSON Schema for {tp!r}")


def _is_json(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def json_schema(outputs: Mapping[str, type], arguments: Iterable[type] = ()) -> dict[str, Any]:
    """The schema document: ``$defs`` of every type reachable from ``outputs`` and ``arguments``."""
    builder = _Builder()
    properties = {name: builder.ref(cls) for name, cls in outputs.items()}
    for spec in builder.defs.values():
        spec["x-sent"] = True
    builder.sent = False
    for cls in arguments:
        builder.ref(cls)
    for spec in builder.defs.values():
        spec.pop("x-sent", None)
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "exbert-ls payloads",
        "description": (
            "Arguments and results of the exbert-ls commands and the exbert CLI's --json outputs. "
            "Generated from exbert_ls/payloads and exbert_ls/server/protocol.py by `exbert schema`."
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": dict(sorted(builder.defs.items())),
    }
