"""Local disk against a loopback S3 server (SeaweedFS ``weed``), for index and search latency.

    .venv/bin/python bench/bench_s3.py [--model minilm] [--chars 30000] [--repeats 2] [--queries 30]
                                       [--smoke]

Starts ``weed server`` with S3 on loopback (tests/s3/weed_server.py: random ports, a temporary
folder, stopped by pid at the end), then on the same corpus (the first ``--chars`` of the
Wizard of Oz in ../shared, else the pydoc corpus; files of ~20 kB as in bench_index.py) and the
same loaded model, interleaved per repeat:

1. ``index_paths`` into a fresh local folder and into a fresh ``s3://`` prefix (end to end:
   spaCy, model, rows, appends; for S3 also the writer lease and its renewals);
2. the same call again with nothing changed (the incremental scan: hashes and counts read back);
3. ``CorpusDB.open``, the first ``search()`` (reads the column matrix: cold) and ``--queries``
   more searches (exact, k=50, cached matrix: warm), p50/p95.

Loopback S3 measures the protocol and commit overhead (many small objects, conditional puts),
not a network: a remote bucket adds its round-trip time to every request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "s3"))

import weed_server  # noqa: E402
from bench_index import corpus_files  # noqa: E402

from exbert_ls.annotate.words import SpacyAnnotator  # noqa: E402
from exbert_ls.model.runner import ModelRunner  # noqa: E402
from exbert_ls.search import engine, search  # noqa: E402
from exbert_ls.store import CorpusDB, IndexConfig, index_paths  # noqa: E402
from exbert_ls.store.storage import set_storage_options  # noqa: E402


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{1000 * statistics.median(ordered):.1f} / {1000 * p95:.1f}"


def _queries(db: Any, count: int) -> list[tuple[str, int]]:
    """``(sentence text, token position)`` pairs from the index itself, spread evenly."""
    rows = db.sentences.search().select(["text"]).limit(None).to_arrow()["text"].to_pylist()
    step = max(1, len(rows) // max(1, count))
    return [(text, 1) for text in rows[::step][:count] if text.strip()]


def _search_times(uri: str, runner: ModelRunner, queries: list[tuple[str, int]], layer: int) -> dict[str, list[float]]:
    engine.clear_caches()
    began = time.perf_counter()
    db = CorpusDB.open(uri, runner=runner)
    opened = time.perf_counter() - began
    runs = [(runner.run(text), token) for text, token in queries]  # the model is not what is measured
    times: list[float] = []
    for run, token in runs:
        began = time.perf_counter()
        search(db, runner, run, token, layer, k=50, exact=True)
        times.append(time.perf_counter() - began)
    return {"open": [opened], "first search (cold)": times[:1], "search (warm)": times[1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--chars", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:
        args.chars, args.repeats, args.queries = 1500, 1, 4
    work = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    server = weed_server.start(workdir=work)
    try:
        set_storage_options(server.storage_options())
        described = corpus_files(work / "corpus", args.chars)
        runner = ModelRunner.load(args.model)
        annotator = SpacyAnnotator()
        annotator.nlp("Warm up.")
        layer = runner.info.num_layers // 2
        print(f"model {args.model}, corpus {described}, weed {server.endpoint} (loopback)\n")
        rows: dict[tuple[str, str], list[float]] = {}
        tokens = 0
        for repeat in range(args.repeats):
            for where in ("local", "s3"):
                uri = str(work / f"db-{repeat}") if where == "local" else f"s3://{server.bucket}/db-{repeat}"
                config = IndexConfig(ann="never")
                report = index_paths([work / "corpus"], uri, runner, annotator=annotator, config=config)
                tokens = report.tokens
                rows.setdefault(("index (fresh)", where), []).append(report.seconds)
                again = index_paths([work / "corpus"], uri, runner, annotator=annotator, config=config)
                rows.setdefault(("re-index (unchanged)", where), []).append(again.seconds)
                db = CorpusDB.open(uri)
                for name, values in _search_times(uri, runner, _queries(db, args.queries + 1), layer).items():
                    rows.setdefault((name, where), []).extend(values)
        print(f"{tokens:,} token rows, {args.repeats} repeat(s), {args.queries} warm queries, layer {layer}\n")
        print("| step | local disk p50 / p95 (ms) | loopback S3 p50 / p95 (ms) | S3 / local (p50) |")
        print("| --- | --- | --- | --- |")
        for step in dict.fromkeys(name for name, _ in rows):
            local, s3 = rows[(step, "local")], rows[(step, "s3")]
            ratio = statistics.median(s3) / statistics.median(local) if local and s3 else float("nan")
            print(f"| {step} | {_ms(local)} | {_ms(s3)} | {ratio:.1f}x |")
    finally:
        server.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
