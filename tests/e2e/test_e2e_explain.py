"""exbert.explain over LSP: raw text, document ranges (UTF-16 positions), msgpack."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from lsp_helpers import command, open_document, utf16_slice
from lsprotocol import types
from pytest_lsp import LanguageClient

from exbert_ls.wire import decode_array, unpack

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_initialize_lists_commands_and_loads_nothing(client: LanguageClient):
    status = await command(client, "exbert.status")
    assert status["schema"] == "exbert.status/1"
    assert status["model_loaded"] is False  # lazy: initialize and status load no model
    assert status["database"]["open"] is False and status["database"]["error"]


async def test_explain_raw_text(client: LanguageClient):
    result = await command(client, "exbert.explain", {"text": "The cat sat on the mat."})
    assert result["schema"] == "exbert.explain/1"
    layers, heads = result["num_layers"], result["num_heads"]
    att = decode_array(result["attention"])
    t = len(result["tokens"])
    assert att.shape == (layers, heads, t, t)
    np.testing.assert_allclose(att.sum(-1), 1.0, atol=t / 255)
    assert result["document"] is None and all(tok["range"] is None for tok in result["tokens"])
    assert result["predictions"] is not None and len(result["predictions"]) == t


async def test_explain_document_range_has_utf16_positions(client: LanguageClient, workspace):
    text = "Intro 🙂🙂 line.\n🦁 The lion said naïve things.\nLast line."
    uri = open_document(client, workspace / "doc.txt", text)
    line = text.split("\n")[1]
    start_char = len(line[: line.index("The")].encode("utf-16-le")) // 2  # 3: the lion is 2 units
    end_char = len(line.encode("utf-16-le")) // 2
    rng = {"start": {"line": 1, "character": start_char}, "end": {"line": 1, "character": end_char}}
    result = await command(client, "exbert.explain", {"uri": uri, "range": rng})
    assert result["text"] == "The lion said naïve things."
    assert result["document"]["offset"] == text.index("The lion")
    assert result["document"]["range"] == rng
    for tok in result["tokens"]:
        if tok["special"]:
            assert tok["range"] is None
        else:
            assert utf16_slice(text, tok["range"]) == result["text"][tok["start"] : tok["end"]]
    words = {w["text"]: w for w in result["words"]}
    assert utf16_slice(text, words["naïve"]["range"]) == "naïve"


async def test_explain_whole_document_and_masking(client: LanguageClient, workspace):
    uri = open_document(client, workspace / "m.txt", "Dorothy lived in Kansas.")
    plain = await command(client, "exbert.explain", {"uri": uri})
    masked = await command(client, "exbert.explain", {"uri": uri, "mask": [2], "topK": 3})
    assert masked["masked"] == [2] and masked["tokens"][2]["masked"] is True
    assert len(masked["predictions"][2]) == 3
    assert decode_array(masked["attention"]).shape == decode_array(plain["attention"]).shape
    assert not np.allclose(decode_array(masked["attention"]), decode_array(plain["attention"]))


async def test_explain_msgpack_envelope(client: LanguageClient):
    text = "A msgpack payload carries raw bytes."
    as_json = await command(client, "exbert.explain", {"text": text})
    packed = await command(client, "exbert.explain", {"text": text, "format": "msgpack"})
    assert packed["schema"] == "exbert.msgpack/1"
    body = unpack(base64.b64decode(packed["data"]))
    assert body["schema"] == "exbert.explain/1"
    assert body["attention"]["encoding"] == "zlib" and isinstance(body["attention"]["data"], bytes)
    np.testing.assert_array_equal(decode_array(body["attention"]), decode_array(as_json["attention"]))
    assert body["tokens"] == as_json["tokens"]


async def test_model_override_per_request(client: LanguageClient, tiny_model_dirs):
    result = await command(client, "exbert.explain", {"text": "Hello there.", "model": str(tiny_model_dirs["gpt2"])})
    assert result["model"]["model_type"] == "gpt2" and result["causal"] is True
    status = await command(client, "exbert.status")
    assert status["model"] == str(tiny_model_dirs["bert"])  # the override did not replace it
    assert status["model_info"] is None or status["model_info"]["model_type"] == "bert"


@pytest.mark.parametrize("attention", ["uint8", "float16"])
async def test_attention_dtype(client: LanguageClient, attention: str):
    result = await command(client, "exbert.explain", {"text": "Short one.", "attention": attention})
    assert result["attention"]["dtype"] == attention


@pytest.mark.asyncio(loop_scope="function")
async def test_configuration_change_reloads_model(fresh_client: LanguageClient, tiny_model_dirs):
    client = fresh_client
    first = await command(client, "exbert.explain", {"text": "Config test."})
    assert first["model"]["model_type"] == "bert"
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"exbert": {"model": str(tiny_model_dirs["distilbert"])}})
    )
    second = await command(client, "exbert.explain", {"text": "Config test."})
    assert second["model"]["model_type"] == "distilbert"
    status = await command(client, "exbert.status")
    assert status["model"] == str(tiny_model_dirs["distilbert"]) and status["model_loaded"] is True


def _hover_params(uri: str, line: int, character: int) -> types.HoverParams:
    return types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)
    )


async def test_hover_without_an_index(client: LanguageClient, workspace):
    uri = open_document(client, workspace / "plain.txt", "Dorothy lived in Kansas. The wind blew hard.")
    hover = await client.text_document_hover_async(_hover_params(uri, 0, 30))
    assert hover is not None and "`wind`" in hover.contents.value and "| L" in hover.contents.value
    assert "no corpus index" in hover.contents.value
    assert (hover.range.start.character, hover.range.end.character) == (29, 33)
    code = open_document(client, workspace / "code.py", "x = 1  # wind", language="python")
    assert await client.text_document_hover_async(_hover_params(code, 0, 10)) is None


@pytest.mark.asyncio(loop_scope="function")
async def test_hover_can_be_switched_off(fresh_client: LanguageClient, tmp_path):
    uri = open_document(fresh_client, tmp_path / "off.txt", "The wind blew hard.")
    assert await fresh_client.text_document_hover_async(_hover_params(uri, 0, 5)) is not None
    fresh_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"exbert": {"hover": False}})
    )
    assert await fresh_client.text_document_hover_async(_hover_params(uri, 0, 5)) is None


async def test_explain_a_saved_file_that_is_not_open(client: LanguageClient, workspace):
    path = workspace / "closed.md"
    path.write_text("Not open in the editor.\nSecond line here.\n", encoding="utf-8")
    rng = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 17}}
    result = await command(client, "exbert.explain", {"uri": path.as_uri(), "range": rng})
    assert result["text"] == "Second line here." and result["document"]["version"] is None
