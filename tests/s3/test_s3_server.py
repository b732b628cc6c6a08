"""The language server on an ``s3://`` databasePath: ``exbert.storageOptions`` reaches weed, the
server indexes there (holding the lease), then searches and hovers from it. MiniLM."""

from __future__ import annotations

import os

import pytest
import pytest_lsp
import weed_server
from lsp_helpers import SERVER, command, index, open_document, start
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.slow
TEXT = "The cat sat on the warm mat. The dog slept by the door."


@pytest_lsp.fixture(config=SERVER)
async def s3_client(lsp_client: LanguageClient, weed: weed_server.WeedServer, tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.startswith(("AWS_", "EXBERT_S3_"))]:
        monkeypatch.delenv(key)  # only the setting may carry the endpoint and the keys
    options = {
        "model": "minilm",
        "preload": False,
        "databasePath": f"s3://{weed.bucket}/server-{os.getpid()}",
        "storageOptions": {**weed.storage_options(), "allow_http": True},  # a JSON boolean is accepted
    }
    await start(lsp_client, tmp_path, {"exbert": options})
    yield
    await lsp_client.shutdown_session()


async def test_index_search_and_hover_from_s3(s3_client: LanguageClient, tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT + "\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Dorothy lived in Kansas with Uncle Henry.\n", encoding="utf-8")
    indexed = await index(s3_client, corpus)
    assert len(indexed["indexed"]) == 2 and indexed["database"].startswith("s3://")

    status = await command(s3_client, "exbert.status")
    assert status["database"]["open"] and status["database"]["documents"] == 2

    result = await command(s3_client, "exbert.search", {"text": TEXT, "token": 2, "layer": 3, "k": 3, "exact": True})
    assert result["matches"][0]["text"] == "The cat sat on the warm mat."

    uri = open_document(s3_client, tmp_path / "note.txt", TEXT)
    hover = await s3_client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=5)
        )
    )
    assert hover is not None and "`cat`" in hover.contents.value and "neighbours:" in hover.contents.value
