"""Strict JSON -> attrs conversion for command arguments and settings.

Keys are camelCase on the wire (``topK``, ``databasePath``) and snake_case in Python. Types
are checked, not coerced: ``"3"`` is not an int and ``true`` is not a number, so a client
bug shows up as a clear error instead of a surprising result.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

T = TypeVar("T")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _strict(kind: type, name: str, *, allow: tuple[type, ...] = ()) -> Any:
    def hook(value: Any, _type: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(f"expected {name}, got a boolean")
        if not isinstance(value, (kind, *allow)):
            raise TypeError(f"expected {name}, got {type(value).__name__} {value!r}")
        return kind(value)

    return hook


def make_converter(*, forbid_extra_keys: bool) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=forbid_extra_keys)
    conv.register_structure_hook(int, _strict(int, "an integer"))
    conv.register_structure_hook(float, _strict(float, "a number", allow=(int,)))
    conv.register_structure_hook(str, _strict(str, "a string"))
    conv.register_structure_hook(bool, _strict(bool, "true or false"))

    def structure_factory(cls: type) -> Any:
        # typed loosely: mypy matches ``**dict[str, AttributeOverride]`` against the bool keywords too
        renames: dict[str, Any] = {
            a.name: override(rename=camel(a.name)) for a in attrs.fields(cls) if camel(a.name) != a.name
        }
        return make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=forbid_extra_keys, **renames)

    def unstructure_factory(cls: type) -> Any:
        # typed loosely: mypy matches ``**dict[str, AttributeOverride]`` against the bool keywords too
        renames: dict[str, Any] = {
            a.name: override(rename=camel(a.name)) for a in attrs.fields(cls) if camel(a.name) != a.name
        }
        return make_dict_unstructure_fn(cls, conv, **renames)

    def list_factory(type_: Any) -> Any:
        items = list_structure_factory(type_, conv)

        def hook(value: Any, _type: Any) -> Any:
            if not isinstance(value, list):  # a string is iterable, but not a list of paths
                raise TypeError(f"expected a list, got {type(value).__name__} {value!r}")
            return items(value, _type)

        return hook

    conv.register_structure_hook_factory(lambda t: getattr(t, "__origin__", None) is list, list_factory)
    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


STRICT = make_converter(forbid_extra_keys=True)
"""For command arguments: unknown keys are errors (a typo should not be ignored)."""
LENIENT = make_converter(forbid_extra_keys=False)
"""For settings: editors put their own keys in the same section."""


def describe(exc: Exception) -> str:
    """One readable line from a cattrs error tree: ``layer: expected an integer, got str '3'``."""
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        messages = cattrs.transform_error(exc, path="$", format_exception=_format)
        return "; ".join(_reword(m) for m in messages)
    return str(exc)


def _reword(message: str) -> str:
    """``"expected an integer @ $.top_k"`` -> ``"topK: expected an integer"``."""
    text, _, path = message.rpartition(" @ ")
    path = re.sub(r"[a-z]+(?:_[a-z0-9]+)+", lambda m: camel(m.group()), path.removeprefix("$").lstrip("."))
    return f"{path}: {text}" if path else text


def _format(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    if isinstance(exc, KeyError):
        return "required"
    if isinstance(exc, (TypeError, ValueError)) and str(exc):
        return str(exc)
    if getattr(type_, "__origin__", None) is Literal:
        return f"expected one of {', '.join(map(repr, type_.__args__))}"
    return f"invalid value (expected {getattr(type_, '__name__', type_)})"


def structure(data: Any, cls: type[T], *, converter: cattrs.Converter = STRICT) -> T:
    return converter.structure(data, cls)


def unstructure(obj: Any) -> Any:
    return STRICT.unstructure(obj)
