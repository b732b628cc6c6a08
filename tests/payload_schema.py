"""Validation of real outputs against the JSON Schema that ``exbert schema`` prints."""

from __future__ import annotations

import base64
import functools
from typing import Any

import jsonschema

from exbert_ls.cli_schema import schema_document

COMMAND_OUTPUTS = {
    "exbert.explain": "explain",
    "exbert.search": "search",
    "exbert.headSummary": "heads",
    "exbert.status": "status",
    "exbert.indexWorkspace": "index",
}
"""Server command -> output name (``OUTPUTS``)."""


@functools.cache
def _validator(output: str) -> jsonschema.Draft202012Validator:
    doc = schema_document()
    ref = doc["properties"][output]["$ref"]
    schema = {"$schema": doc["$schema"], "$defs": doc["$defs"], "$ref": ref}
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate(output: str, value: Any) -> Any:
    """``value`` (plain JSON) must be a valid ``output``; returns it. A msgpack envelope of an
    explain is checked, then the document inside it too."""
    if output == "explain" and isinstance(value, dict) and value.get("schema") == "exbert.msgpack/1":
        _validator("msgpack").validate(value)
        from exbert_ls.wire import unpack

        _validator("explain").validate(unpack(base64.b64decode(value["data"])))
        return value
    _validator(output).validate(value)
    return value


def validate_command(command: str, value: Any) -> Any:
    """A server command's result, checked against the schema of its output."""
    if command in COMMAND_OUTPUTS:
        validate(COMMAND_OUTPUTS[command], value)
    return value
