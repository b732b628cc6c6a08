"""Indexing, search, head summaries, status and hover against a small index built here."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsp_helpers import SENTENCES, command, index, open_document, write_corpus
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def indexed(client: LanguageClient, workspace) -> dict:
    write_corpus(workspace / "corpus", files=4, sentences_per_file=6)
    return await index(client, workspace / "corpus")


async def test_index_result_and_progress(client: LanguageClient, indexed: dict, workspace):
    assert indexed["schema"] == "exbert.index/1" and not indexed["cancelled"]
    assert len(indexed["indexed"]) == 4 and indexed["tokens"] > 0 and indexed["sentences"] == 24
    assert [reason for doc, reason in indexed["skipped"] if doc.endswith("image.bin")]
    (token,) = [t for t in client.progress_reports if str(t).startswith("exbert-index-")]
    reports = client.progress_reports[token]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    middle = [r for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert middle and middle[-1].percentage == 100
    assert "files" in middle[-1].message and "tokens/s" in middle[-1].message
    again = await index(client, workspace / "corpus")
    assert sorted(again["unchanged"]) == sorted(indexed["indexed"]) and again["indexed"] == []


async def test_status_reports_the_database(client: LanguageClient, indexed: dict):
    status = await command(client, "exbert.status")
    db = status["database"]
    assert db["open"] and db["error"] is None
    assert db["rows"] == indexed["tokens"] and db["documents"] >= 4
    assert db["head_summaries_current"] is True


async def test_search_finds_the_same_sentence_first(client: LanguageClient, indexed: dict):
    text = SENTENCES[4]
    explained = await command(client, "exbert.explain", {"text": text, "annotate": False})
    cat = next(t["index"] for t in explained["tokens"] if t["text"] == "cat")
    result = await command(client, "exbert.search", {"text": text, "token": cat, "layer": 2, "k": 5, "exact": True})
    # k = 5 distinct contexts; identical ones (the corpus repeats its sentences) are one row with a
    # count, and the search went deeper to fill k
    assert result["schema"] == "exbert.search/1" and len(result["matches"]) == 5
    collapsed = sum(m["count"] for m in result["matches"]) - 5
    assert collapsed > 0 and result["dedup"] == {"collapsed": collapsed, "counted_once": True}
    assert len({(m["text"], m["token"]["position"]) for m in result["matches"]}) == 5
    top = result["matches"][0]
    assert top["text"] == text and top["token"]["position"] == cat
    assert top["similarity"] == pytest.approx(1.0, abs=1e-2)
    similarities = [m["similarity"] for m in result["matches"]]
    assert similarities == sorted(similarities, reverse=True)
    assert sum(result["summary"]["pos"].values()) == len(result["matches"])  # a collapsed row counts once


async def test_search_by_document_position(client: LanguageClient, indexed: dict, workspace):
    text = "Intro 🙂 line.\n" + SENTENCES[4]
    uri = open_document(client, workspace / "query.txt", text)
    line = SENTENCES[4]
    rng = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": len(line)}}
    at_cat = {"line": 1, "character": line.index("cat") + 1}
    result = await command(
        client,
        "exbert.search",
        {"uri": uri, "range": rng, "position": at_cat, "by": "context", "heads": [0, 2], "k": 3},
    )
    assert result["query"]["by"] == "context" and result["query"]["heads"] == [0, 2]
    assert result["query"]["token_text"] == "cat"
    assert result["query"]["range"] == {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 7}}
    assert len(result["matches"]) == 3


async def test_head_summaries(client: LanguageClient, indexed: dict):
    everything = await command(client, "exbert.headSummary")
    assert everything["schema"] == "exbert.heads/1" and everything["complete"] is True
    assert everything["documents"] == 4
    assert len(everything["heads"]) == 2 * 4  # tiny BERT: 2 layers x 4 heads
    layer = await command(client, "exbert.headSummary", {"layer": 2})
    assert {(h["layer"], h["head"]) for h in layer["heads"]} == {(2, h) for h in range(4)}
    one = await command(client, "exbert.headSummary", {"layer": 1, "head": 3})
    assert [(h["layer"], h["head"]) for h in one["heads"]] == [(1, 3)]
    with pytest.raises(JsonRpcInvalidParams, match="layer 3 is out of range"):
        await command(client, "exbert.headSummary", {"layer": 3})


async def test_hover_shows_heads_and_neighbours(client: LanguageClient, indexed: dict, workspace):
    text = "# Notes\n\nThe cat sat on the mat and watched the rain. 🙂 Later it slept."
    uri = open_document(client, workspace / "notes.md", text, language="markdown")
    line = text.split("\n")[2]
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=2, character=line.index("watched") + 2),
        )
    )
    assert hover is not None and hover.contents.kind == types.MarkupKind.Markdown
    value = hover.contents.value
    assert "`watched`" in value and "| L" in value
    assert f"L{1} neighbours:" in value  # tiny BERT: default layer 2 // 2 = 1
    assert hover.range == types.Range(
        start=types.Position(line=2, character=line.index("watched")),
        end=types.Position(line=2, character=line.index("watched") + len("watched")),
    )
    slept = len(line[: line.index("slept")].encode("utf-16-le")) // 2  # after the emoji: +1 unit
    later = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=slept)
        )
    )
    assert later is not None and "`slept`" in later.contents.value
    assert later.range.start.character == slept
    blank = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=0)
        )
    )
    assert blank is None
