"""The real embedded MiniLM behind the server: a 40-token selection stays well under 150 kB."""

from __future__ import annotations

import json

import numpy as np
import pytest
import pytest_lsp
from lsp_helpers import SERVER, command, open_document, start
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.slow

TEXT = (
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a farmer, "
    "and Aunt Em, who was the farmer's wife; their house was small."
)


@pytest_lsp.fixture(config=SERVER)
async def minilm_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path, {"exbert": {"model": "minilm", "preload": False}})
    yield
    await lsp_client.shutdown_session()


async def test_forty_token_selection_is_compact(minilm_client: LanguageClient, tmp_path):
    uri = open_document(minilm_client, tmp_path / "oz.txt", "Chapter 1\n" + TEXT + "\n")
    rng = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": len(TEXT)}}
    result = await command(minilm_client, "exbert.explain", {"uri": uri, "range": rng})
    tokens = len(result["tokens"])
    assert tokens >= 40
    assert result["attention"]["shape"] == [6, 12, tokens, tokens]
    size = len(json.dumps(result).encode())
    assert size < 150_000, f"{tokens} tokens took {size} bytes"
    packed = await command(minilm_client, "exbert.explain", {"uri": uri, "range": rng, "format": "msgpack"})
    assert len(json.dumps(packed).encode()) < size
    from exbert_ls.wire import decode_array

    att = decode_array(result["attention"])
    np.testing.assert_allclose(att.sum(-1), 1.0, atol=tokens / 255)
    assert result["predictions"] is None and result["notes"]  # MiniLM has no LM head
