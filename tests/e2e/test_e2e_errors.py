"""Bad requests: each one is an error response with a clear message, and the server goes on."""

from __future__ import annotations

from typing import Any

import pytest
from lsp_helpers import command, open_document
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

RANGE = {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 7}}


@pytest.fixture(scope="module")
def doc_uri(client: LanguageClient, workspace) -> str:
    return open_document(client, workspace / "errors.txt", "The cat sat on the mat.\nSecond line.")


BAD: list[tuple[str, str, list[Any], str]] = [
    ("no arguments", "exbert.explain", [], "exactly one of 'text' or 'uri'"),
    ("two arguments", "exbert.explain", [{"text": "a"}, {"text": "b"}], "expected one argument object"),
    ("not an object", "exbert.explain", ["The cat"], "must be a JSON object"),
    ("wrong type", "exbert.explain", [{"text": 5}], "text: expected a string"),
    ("unknown key", "exbert.explain", [{"text": "a", "colour": "red"}], "unknown keys ['colour']"),
    ("bad enum", "exbert.explain", [{"text": "a", "format": "xml"}], "format: expected one of"),
    ("negative mask", "exbert.explain", [{"text": "a b", "mask": [-1]}], "mask must all be >= 0"),
    ("mask past the end", "exbert.explain", [{"text": "The cat.", "mask": [40]}], "out of range"),
    ("blank text", "exbert.explain", [{"text": "   "}], "empty"),
    ("unknown uri", "exbert.explain", [{"uri": "untitled:Untitled-9"}], "unknown document"),
    ("layer too high", "exbert.search", [{"text": "The cat.", "token": 1, "layer": 9}], "layer 9 is out of range"),
    (
        "context layer 0",
        "exbert.search",
        [{"text": "The cat.", "token": 1, "layer": 0, "by": "context"}],
        "out of range",
    ),
    ("head too high", "exbert.search", [{"text": "The cat.", "token": 1, "heads": [7]}], "head 7 is out of range"),
    ("token too high", "exbert.search", [{"text": "The cat.", "token": 99, "layer": 1}], "token 99 is out of range"),
    ("no token", "exbert.search", [{"text": "The cat.", "layer": 1}], "give 'token'"),
    ("head without layer", "exbert.headSummary", [{"head": 1}], "'head' needs 'layer'"),
    ("layer 0 summary", "exbert.headSummary", [{"layer": 0}], "layer must be >= 1"),
    ("status with junk", "exbert.status", [{"verbose": True}], "unknown keys"),
    ("paths not a list", "exbert.indexWorkspace", [{"paths": "docs"}], "paths"),
]


@pytest.mark.parametrize("name,cmd,arguments,message", BAD, ids=[b[0] for b in BAD])
async def test_bad_arguments_are_invalid_params(client: LanguageClient, name, cmd, arguments, message):
    with pytest.raises(JsonRpcInvalidParams) as caught:
        await command(client, cmd, *arguments)
    assert message in caught.value.message
    assert caught.value.message.startswith(cmd)
    ok = await command(client, "exbert.explain", {"text": "Still answering."})
    assert ok["schema"] == "exbert.explain/1"


@pytest.mark.parametrize(
    "rng,message",
    [
        ({"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 4}}, "range is empty"),
        ({"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 4}}, "ends before it starts"),
        ({"start": {"line": 7, "character": 0}, "end": {"line": 8, "character": 0}}, "line 7 is out of range"),
        ({"start": {"line": 0, "character": -1}, "end": {"line": 0, "character": 4}}, "character must be >= 0"),
    ],
    ids=["empty", "reversed", "past the end", "negative"],
)
async def test_bad_ranges(client: LanguageClient, doc_uri: str, rng, message):
    with pytest.raises(JsonRpcInvalidParams) as caught:
        await command(client, "exbert.explain", {"uri": doc_uri, "range": rng})
    assert message in caught.value.message
    ok = await command(client, "exbert.explain", {"uri": doc_uri, "range": RANGE})
    assert ok["text"] == "cat"


async def test_search_position_outside_the_selection(client: LanguageClient, doc_uri: str):
    with pytest.raises(JsonRpcInvalidParams, match="outside the selected range"):
        await command(
            client, "exbert.search", {"uri": doc_uri, "range": RANGE, "position": {"line": 1, "character": 0}}
        )


async def test_missing_database_is_a_server_error(client: LanguageClient):
    with pytest.raises(JsonRpcException) as caught:
        await command(client, "exbert.headSummary")
    assert caught.value.code == -32010  # CorpusNotFoundError
    assert caught.value.data == {"error": "CorpusNotFoundError"}


async def test_unknown_model_is_a_server_error(client: LanguageClient):
    with pytest.raises(JsonRpcException) as caught:
        await command(client, "exbert.explain", {"text": "x", "model": "/no/such/model-dir"})
    assert caught.value.code == -32012 and "unknown model" in caught.value.message


async def test_unknown_command(client: LanguageClient):
    with pytest.raises(JsonRpcInvalidParams, match="exbert.nope"):
        await command(client, "exbert.nope")
