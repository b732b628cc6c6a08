"""Index jobs under load: requests answered while one runs, and both ways to cancel it.

The indexer reports progress and checks for cancellation once per pool of sentences (512),
so the corpus here is a few pools long: the cancel lands well before the end."""

from __future__ import annotations

import asyncio

import pytest
from lsp_helpers import command, first_progress_report, index, write_corpus
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

FILES = 60


@pytest.fixture
def corpus(tmp_path):
    write_corpus(tmp_path / "big", files=FILES, sentences_per_file=40)
    return tmp_path / "big"


async def test_ten_explains_answered_while_indexing_then_cancel_from_progress(fresh_client: LanguageClient, corpus):
    client = fresh_client
    job = asyncio.ensure_future(index(client, corpus))
    token = await first_progress_report(client)
    texts = [f"Request number {i} asks about the cat." for i in range(10)]
    results = await asyncio.gather(*(command(client, "exbert.explain", {"text": t}) for t in texts))
    assert [r["text"] for r in results] == texts
    status = await command(client, "exbert.status")
    assert not job.done() and status["indexing"] is True  # all answered while the job ran

    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    report = await asyncio.wait_for(job, 120)
    assert report["cancelled"] is True
    assert 0 < len(report["indexed"]) + len(report["unchanged"]) < FILES
    assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)


async def test_cancel_request_stops_the_job(fresh_client: LanguageClient, corpus):
    client = fresh_client
    params = types.ExecuteCommandParams(command="exbert.indexWorkspace", arguments=[{"paths": [str(corpus)]}])
    job = asyncio.ensure_future(
        client.protocol.send_request_async("workspace/executeCommand", params, msg_id="index-1")
    )
    await first_progress_report(client)
    client.cancel_request(types.CancelParams(id="index-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(job, 30)
    for _ in range(600):  # the job itself stops at its next batch
        status = await command(client, "exbert.status")
        if not status["indexing"]:
            break
        await asyncio.sleep(0.1)
    assert status["indexing"] is False
    database = status["database"]
    assert database["error"] is None and database["documents"] < FILES  # stopped early, consistent
    assert database["head_summaries_current"] is True
