"""Language-server latency and payload sizes, measured through the real ``exbert-ls``
process over stdio (what an editor sees), with the embedded MiniLM.

    .venv/bin/python bench/bench_server.py [--repeats 40] [--corpus-kb 60] [--db INDEX] [--memory-only]

Reports: initialize time; warm ``exbert.explain`` latency (JSON and msgpack) and result
sizes for selections of about 10, 40 and 120 tokens; warm hover latency on fresh sentences
(model run) and on sentences already run (cached), first without and then with a corpus
index (head summaries + a k=50 neighbour search at the default layer); ``exbert.search``
latency; the server's RSS (VmRSS from /proc) after the model loaded, after indexing and after
an exact search of every vector column (the column cache's byte budget, ``exbert.cacheMB``,
at its default). The corpus is the first ``--corpus-kb`` kB of the Wizard of Oz (../shared)
when present, else the stdlib's pydoc topics; ``--db`` uses an index built beforehand (e.g.
``exbert index --db /tmp/vec-db``, 83 k tokens of pydoc topics) instead of indexing it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp.client import make_test_lsp_client

SHARED_BOOK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wizard_of_oz.txt"


def corpus_text(kb: int) -> str:
    if SHARED_BOOK.exists():
        text = SHARED_BOOK.read_text(encoding="utf-8")
    else:
        from pydoc_data.topics import topics

        text = "\n\n".join(topics.values())
    return text[: kb * 1024]


def sentences(text: str) -> list[str]:
    parts = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split()))]
    return [s for s in parts if 6 <= len(s.split()) <= 40]


def quantiles(samples: list[float]) -> str:
    ms = sorted(1000 * s for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):7.1f} ms · p95 {p95:7.1f} ms · n={len(ms)}"


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (VmRSS), 0 where /proc does not say."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


async def timed(coro: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = await coro
    return time.perf_counter() - began, result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--corpus-kb", type=int, default=60)
    parser.add_argument("--db", help="an index built beforehand (skips indexing the corpus)")
    parser.add_argument("--memory-only", action="store_true", help="only the RSS after searching every column")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.corpus_kb = 2, 2
    work = Path(tempfile.mkdtemp(prefix="exbert-bench-"))
    corpus = work / "corpus"
    corpus.mkdir()
    text = corpus_text(args.corpus_kb)
    (corpus / "book.txt").write_text(text, encoding="utf-8")
    pool = sentences(text)

    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "exbert_ls.server")
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True)),
        root_uri=work.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=work.as_uri(), name="bench")],
        initialization_options={
            "exbert": {
                "model": "minilm",
                "databasePath": args.db or str(work / "db"),
                "allowOutsideWorkspace": args.db is not None,  # an index built beforehand, e.g. in /tmp
                "preload": True,
            }
        },
    )
    seconds, _ = await timed(client.initialize_session(params))
    print(f"initialize: {1000 * seconds:.0f} ms (model loads in the background afterwards)")

    async def command(name: str, arg: dict[str, Any]) -> Any:
        return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=[arg]))

    await command("exbert.explain", {"text": pool[0]})  # waits for the preload; warms spaCy
    server_pid = client._server.pid if client._server is not None else 0
    print(f"server RSS after the model loaded: {rss_mb(server_pid):,.0f} MB")

    async def memory() -> None:
        print("\n## memory: an exact search of every vector column")
        layers = 6  # MiniLM
        columns = [("embedding", layer) for layer in range(layers + 1)] + [
            ("context", layer) for layer in range(1, layers + 1)
        ]
        for by, layer in columns:
            result = await command(
                "exbert.search", {"text": pool[0], "token": 1, "by": by, "layer": layer, "exact": True}
            )
        assert result["matches"], "the last search found nothing"
        print(f"server RSS after searching all {len(columns)} columns: {rss_mb(server_pid):,.0f} MB")

    if args.memory_only:
        await memory()
        await client.shutdown_session()
        await client.stop()
        return

    print("\n## explain (warm)")
    for words in (8, 30, 90):
        chunk = " ".join(" ".join(pool[1:]).split()[:words])
        tokens = 0
        for fmt in ("json", "msgpack"):
            samples, size = [], 0
            for _ in range(args.repeats):
                seconds, result = await timed(command("exbert.explain", {"text": chunk, "format": fmt}))
                samples.append(seconds)
                size = len(json.dumps(result).encode())
                tokens = len(result["tokens"]) if fmt == "json" else tokens
            print(f"{tokens:4d} tokens {fmt:8s} {quantiles(samples)} · result {size / 1024:6.1f} kB")

    doc_lines = pool[: 2 * args.repeats]
    document = "\n".join(doc_lines)
    uri = (work / "notes.txt").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="plaintext", version=1, text=document)
        )
    )

    async def hover(line: int, word_index: int) -> Any:
        words = list(re.finditer(r"\w+", doc_lines[line]))
        char = words[min(word_index, len(words) - 1)].start()
        return await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=char)
            )
        )

    async def hover_round(label: str, lines: range) -> None:
        fresh, cached = [], []
        for line in lines:
            seconds, first = await timed(hover(line, 1))
            fresh.append(seconds)
            seconds, _ = await timed(hover(line, 3))
            cached.append(seconds)
        assert first is not None
        print(f"hover {label}, new sentence  {quantiles(fresh)}")
        print(f"hover {label}, other word of a sentence already run {quantiles(cached)}")

    print("\n## hover (warm)")
    await hover(0, 0)
    await hover_round("without index", range(1, args.repeats))

    if args.db is None:
        seconds, report = await timed(command("exbert.indexWorkspace", {"paths": [str(corpus)]}))
        print(
            f"\nindexed {report['tokens']} tokens, {report['sentences']} sentences in {seconds:.1f} s "
            f"({report['tokens'] / seconds:.0f} tokens/s through the server)"
        )
    await command("exbert.headSummary", {})  # summaries computed and cached once per index version
    await hover(args.repeats, 0)
    await hover_round("with index", range(args.repeats + 1, 2 * args.repeats))
    sample = (await hover(args.repeats + 1, 1)).contents.value
    print("\nexample hover:\n" + sample)

    print("\n## search (warm, k=50, default layer)")
    for by, exact in (("embedding", False), ("embedding", True), ("context", False)):
        samples = []
        for line in range(args.repeats):
            seconds, result = await timed(
                command("exbert.search", {"text": pool[line], "token": 1, "by": by, "exact": exact})
            )
            samples.append(seconds)
        print(
            f"{by:9s} exact={exact!s:5s} {quantiles(samples)} · result {len(json.dumps(result).encode()) / 1024:.1f} kB "
            f"· method {result['query'].get('method')}"
        )

    await memory()
    await client.shutdown_session()
    await client.stop()


if __name__ == "__main__":
    asyncio.run(main())
