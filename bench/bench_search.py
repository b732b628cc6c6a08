"""Search latency and recall: exbert-ls's exact int8 block scan against FAISS IndexFlatIP
(what exBERT used) and plain numpy over float32, on the same vectors, in one run.

    .venv/bin/python bench/bench_search.py [--db INDEX] [--column hs4] [--scales real,100000,1000000]
                                           [--queries 200] [--k 50] [--workdir DIR] [--payload-db INDEX]

Vectors: real MiniLM vectors of one column, computed here by running MiniLM over the Wizard of
Oz (../shared; the embedded default corpus where it is absent) with the indexer's normalisation
(model/vectors.py), float32; or read from ``--db`` (an index built by ``exbert index``: its
stored int8 rows, dequantised). Scale ``real`` is those vectors as they are; a number N
enlarges them synthetically to N rows: each real vector is repeated with Gaussian noise (sigma
0.02 per dimension, about 0.39 in norm, i.e. copies at cosine ~0.93 of their source) and
re-normalised: many near-duplicates, a hard case for recall. Special-token rows keep their flag
(and are never results).

Per scale: every method answers the same ``--queries`` queries (stored non-special rows,
seeded), one at a time; p50/p95 in ms and recall@k (strict set overlap) against exact float32
search. "exbert exact" is ``engine.top_k(exact=True)`` on a table written in the indexer's layout
(int8 codes + float16 row scale, store/quantize.py): the cached int8 matrix, block scan,
argpartition. LanceDB builds no ANN index on int8 columns; from 300,000 rows "exbert IVF" is
``engine.top_k(exact=False)``, the engine's own IVF over the codes (search/ivf.py; its build,
once per table version, is done by the warm-up query and not timed). Recall is also given
near-tie-aware: share of returned rows scoring within 1e-3 of the true k-th. The methods run
interleaved (each query by every method in turn); the exbert scans run once on one thread (the
old path) and once on :func:`~exbert_ls.store.quantize.scan_threads` threads; CPU p50 is this
process's CPU time per query (all threads). "exbert search()" adds the match context (sentence,
words, max-attended token) when ``--payload-db`` is given: two passes over the same queries, the
first re-running the sentences not met before, the second served by the re-run cache.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa

from exbert_ls.model.names import parse_column
from exbert_ls.search import engine
from exbert_ls.search.query import QueryVector
from exbert_ls.store.quantize import dequantize, quantize, scale_column, scan_threads

SHARED_BOOK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wizard_of_oz.txt"
NOISE = 0.02


@dataclass
class BenchDB:
    """The part of CorpusDB the search engine reads: the tokens table, the documents and
    sentences tables (which rows are live: one ``indexed`` document holds every sentence) and
    a version. The smoke test (tests/test_bench_smoke.py) catches it when the engine reads more."""

    uri: str
    conn: Any
    _tables: dict[str, Any] = field(default_factory=dict)

    def _open(self, name: str) -> Any:
        if name not in self._tables:  # opened once, as CorpusDB does
            self._tables[name] = self.conn.open_table(name)
        return self._tables[name]

    @property
    def tokens(self) -> Any:
        return self._open("tokens")

    @property
    def documents(self) -> Any:
        return self._open("documents")

    @property
    def sentences(self) -> Any:
        return self._open("sentences")

    def version(self) -> int:
        return int(self.tokens.version)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (``/proc/loadavg``), "?" where absent."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def model_vectors(column: str, limit_sentences: int) -> tuple[np.ndarray, np.ndarray]:
    """(float32 [N, D] normalised vectors, [N] special flags) of MiniLM over the book."""
    from exbert_ls.model.runner import ModelRunner
    from exbert_ls.model.vectors import normalized_contexts, normalized_hidden

    if SHARED_BOOK.exists() and limit_sentences > 100:
        text = " ".join(SHARED_BOOK.read_text(encoding="utf-8").split())
    else:  # no ../shared: the embedded default corpus (pydoc topics) instead
        from exbert_ls.corpus import default_corpus_paths

        files = sorted(default_corpus_paths()[0].glob("*.txt"))
        text = " ".join(" ".join(f.read_text(encoding="utf-8").split()) for f in files)
    sents = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()][:limit_sentences]
    runner = ModelRunner.load("minilm")
    kind, layer = parse_column(column)
    vecs, special = [], []
    for _, acts in runner.run_batch(sents, contexts=kind == "context"):
        if kind == "embedding":
            v = normalized_hidden(acts.hidden[layer])
        else:
            v = normalized_contexts(acts.contexts[layer - 1], runner.info.num_heads)
        vecs.append(v.astype(np.float32))
        special.append(acts.special_mask)
    return np.concatenate(vecs), np.concatenate(special)


def index_vectors(uri: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    from exbert_ls.store.db import CorpusDB

    db = CorpusDB.open(uri)
    t = db.tokens.search().select([column, scale_column(column), "special"]).limit(None).to_arrow()
    data = t.column(column).combine_chunks()
    codes = data.values.to_numpy(zero_copy_only=False).reshape(-1, data.type.list_size)
    vecs = dequantize(codes, t.column(scale_column(column)).to_numpy())
    return vecs, t.column("special").to_numpy(zero_copy_only=False).astype(bool)


def enlarge(vecs: np.ndarray, special: np.ndarray, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    if rows <= len(vecs):
        return vecs[:rows], special[:rows]
    rng = np.random.default_rng(seed)
    out = np.empty((rows, vecs.shape[1]), dtype=np.float32)
    out[: len(vecs)] = vecs
    for begin in range(len(vecs), rows, len(vecs)):
        n = min(len(vecs), rows - begin)
        noisy = vecs[:n].astype(np.float32) + rng.normal(0, NOISE, size=(n, vecs.shape[1])).astype(np.float32)
        out[begin : begin + n] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out, np.tile(special, rows // len(special) + 1)[:rows]


def write_table(uri: str, column: str, vecs: np.ndarray, special: np.ndarray) -> BenchDB:
    conn = lancedb.connect(uri)
    n, d = vecs.shape
    per_sentence = 32
    batch = 200_000
    table = None
    for begin in range(0, n, batch):
        idx = np.arange(begin, min(n, begin + batch))
        codes, scale = quantize(vecs[idx])  # the indexer's layout (store/rows.py)
        data = pa.table(
            {
                "sentence": pa.array(idx // per_sentence, pa.int64()),
                "position": pa.array(idx % per_sentence, pa.int32()),
                "special": pa.array(special[idx]),
                "word": pa.array(np.where(special[idx], -1, 0), pa.int32()),
                column: pa.FixedSizeListArray.from_arrays(pa.array(codes.ravel()), d),
                scale_column(column): pa.array(scale, pa.float16()),
            }
        )
        if table is None:
            table = conn.create_table("tokens", data, mode="overwrite")
        else:
            table.add(data)
    sentences = np.arange((n + per_sentence - 1) // per_sentence, dtype=np.int64)
    conn.create_table(
        "sentences",
        pa.table({"sentence": sentences, "doc": ["bench"] * len(sentences), "doc_hash": ["h"] * len(sentences)}),
        mode="overwrite",
    )
    conn.create_table("documents", pa.table({"doc": ["bench"], "hash": ["h"], "status": ["indexed"]}), mode="overwrite")
    return BenchDB(uri, conn)


def timed_interleaved(
    methods: list[tuple[str, Callable[[np.ndarray], np.ndarray]]], queries: np.ndarray
) -> list[tuple[str, list[float], list[float], list[np.ndarray]]]:
    """Every method on each query in turn (the machine's noise falls on all of them alike):
    ``(name, wall ms, CPU ms of this process, results)`` per method."""
    for _, fn in methods:
        fn(queries[0])  # warm-up (caches, lazy loads, the IVF's build)
    out: list[tuple[str, list[float], list[float], list[np.ndarray]]] = [(name, [], [], []) for name, _ in methods]
    for q in queries:
        for (_, fn), (_, walls, cpus, results) in zip(methods, out):
            began, cpu = time.perf_counter(), time.process_time()
            results.append(fn(q))
            walls.append((time.perf_counter() - began) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    return out


def recall(results: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(np.mean([len(np.intersect1d(r, t)) / len(t) for r, t in zip(results, truth)]))


def near_recall(vecs: np.ndarray, queries: np.ndarray, results: list[np.ndarray], truth: list[np.ndarray]) -> float:
    """Near-tie-aware recall: share of returned rows whose float32 score is within 1e-3 of the
    true k-th score (a row swapped with an equally good one is not a miss)."""
    shares = []
    for q, r, t in zip(queries, results, truth):
        kth = float((vecs[t] @ q).min())
        shares.append(float(np.mean(vecs[r] @ q >= kth - 1e-3)))
    return float(np.mean(shares))


def run_scale(label: str, vecs: np.ndarray, special: np.ndarray, column: str, args: argparse.Namespace) -> list[dict]:
    import faiss

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        where = Path(args.workdir) / f"{column}-{len(vecs)}" if args.workdir else Path(tmp)
        reuse = (where / "tokens.lance").exists()
        db = (
            BenchDB(str(where), lancedb.connect(str(where)))
            if reuse
            else write_table(str(where), column, vecs, special)
        )
        keep = np.flatnonzero(~special)
        matrix = np.ascontiguousarray(vecs[keep], dtype=np.float32)
        rng = np.random.default_rng(1)
        qrows = rng.choice(keep, size=args.queries, replace=False)
        queries = vecs[qrows].astype(np.float32)
        k = args.k

        def numpy_exact(q: np.ndarray) -> np.ndarray:
            s = matrix @ q
            top = np.argpartition(-s, k - 1)[:k]
            return keep[top[np.argsort(-s[top])]]

        flat = faiss.IndexFlatIP(matrix.shape[1])
        flat.add(matrix)

        def faiss_flat(q: np.ndarray) -> np.ndarray:
            _, ids = flat.search(q[None, :], k)
            return keep[ids[0]]

        def ours(exact: bool, threads: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
            def call(q: np.ndarray) -> np.ndarray:
                qv = QueryVector(column, q, "embedding", 0, None, 0)
                if threads is not None:  # quantize.scan_threads() reads it on every scan
                    os.environ["EXBERT_SCAN_THREADS"] = str(threads)
                try:
                    return engine.top_k(db, qv, k, exact=exact).offsets
                finally:
                    os.environ.pop("EXBERT_SCAN_THREADS", None)

            return call

        threads = scan_threads()
        candidates = [
            ("numpy exact (float32 matmul)", numpy_exact),
            ("FAISS IndexFlatIP", faiss_flat),
            ("exbert exact (int8 block scan, 1 thread: the old path)", ours(True, 1)),
            (f"exbert exact (int8 block scan, {threads} threads)", ours(True)),
        ]
        measured = timed_interleaved(candidates, queries)
        if len(keep) >= engine.DEFAULT_CONFIG.ivf_min_rows:  # what top_k does by itself there
            # a group of its own: at 1 M rows the column matrix and the IVF do not both fit the
            # default cache budget, so interleaving them with the exact scan rebuilt the IVF
            ivf = [
                ("exbert IVF over int8, 1 thread", ours(False, 1)),
                (f"exbert IVF over int8 (search/ivf.py, the default here), {threads} threads", ours(False)),
            ]
            measured += timed_interleaved(ivf, queries)
        truth = measured[0][3]
        methods = [(name, walls, results) for name, walls, _, results in measured]
        cpu_p50 = {name: statistics.median(cpus) for name, _, cpus, _ in measured}
        faiss_p50 = statistics.median(methods[1][1])
        for name, times, results in methods:
            p50 = statistics.median(times)
            rows.append(
                {
                    "scale": label,
                    "rows": len(vecs),
                    "method": name,
                    "p50": p50,
                    "p95": float(np.percentile(times, 95)),
                    "recall": recall(results, truth),
                    "near": near_recall(vecs, queries, results, truth),
                    "vs_faiss": p50 / faiss_p50,
                    "cpu": cpu_p50[name],
                }
            )
        engine.clear_caches()
    return rows


def payload_latency(uri: str, column: str, count: int, k: int) -> list[dict]:
    """``search()`` end to end (query vector, top-k, match context, summary) on an index,
    queries = tokens of stored sentences, model forward excluded (computed beforehand)."""
    from exbert_ls.model.runner import ModelRunner
    from exbert_ls.search import search
    from exbert_ls.store.db import CorpusDB

    db = CorpusDB.open(uri)
    runner = ModelRunner.load(db.meta.model)
    db = CorpusDB.open(uri, runner=runner)
    rows = db.sentences.search().select(["text", "num_tokens"]).limit(None).to_arrow().to_pylist()
    rng = np.random.default_rng(2)
    picked = [rows[i] for i in rng.choice(len(rows), size=count, replace=False) if rows[i]["num_tokens"] > 3]
    queries = [runner.run(r["text"], contexts=True) for r in picked]
    by, layer = parse_column(column)
    search(db, runner, queries[0], len(queries[0].tokens) // 2, layer, by=by, k=k)  # loads the column
    out = []
    # pass 1: each query new (the re-run cache fills as it goes); pass 2: the same queries again
    for label in ("first pass, sentences re-run unless met before", "second pass, same queries (cached)"):
        times, cpus = [], []
        for q in queries[1:]:
            began, cpu = time.perf_counter(), time.process_time()
            result = search(db, runner, q, len(q.tokens) // 2, layer, by=by, k=k)
            times.append((time.perf_counter() - began) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        out.append(
            {
                "scale": f"index {uri}",
                "rows": db.num_tokens(),
                "method": f"exbert search() payload ({result.query.method}; {label})",
                "p50": statistics.median(times),
                "p95": float(np.percentile(times, 95)),
                "recall": float("nan"),
                "near": float("nan"),
                "vs_faiss": float("nan"),
                "cpu": statistics.median(cpus),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an exbert index to read the real vectors from")
    parser.add_argument("--column", default="hs4", help="vector column (hs0..hsL, ctx1..ctxL)")
    parser.add_argument("--scales", default="real,100000,1000000", help="comma-separated: real and/or row counts")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--sentences", type=int, default=100_000, help="book sentences to embed without --db")
    parser.add_argument("--payload-db", help="also time search() end to end (payload) on this index")
    parser.add_argument("--workdir", help="keep the tables here and reuse them on later runs")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:  # the default corpus, a few hundred rows, a handful of queries; no ../shared
        args.db = args.payload_db = args.workdir = None
        args.scales, args.queries, args.k, args.sentences = "real,3000", 5, 5, 40

    load_at_start = loadavg()
    began = time.perf_counter()
    saved = Path(args.workdir) / f"real-{args.column}.npz" if args.workdir else None
    if args.db:
        vecs, special = index_vectors(args.db, args.column)
        source = f"index {args.db}"
    elif saved is not None and saved.exists():
        data = np.load(saved)
        vecs, special = data["vecs"], data["special"]
        source = f"MiniLM over the Wizard of Oz, saved in {saved}"
    else:
        vecs, special = model_vectors(args.column, args.sentences)
        source = "MiniLM over " + ("the Wizard of Oz" if SHARED_BOOK.exists() else "the default corpus") + ", run here"
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            np.savez(saved, vecs=vecs, special=special)
    print(f"{len(vecs):,} real vectors of {args.column} ({source}) in {time.perf_counter() - began:.0f} s")
    results = payload_latency(args.payload_db, args.column, args.queries, args.k) if args.payload_db else []
    for r in results:  # printed at once too: the scales after it take long
        print(f"{r['method']}: p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, CPU p50 {r['cpu']:.1f} ms", flush=True)
    for scale in args.scales.split(","):
        rows = len(vecs) if scale == "real" else int(scale)
        v, s = enlarge(vecs, special, rows)
        real = "Wizard of Oz" if SHARED_BOOK.exists() and not args.db else "real"
        label = real if scale == "real" else f"{rows:,} (enlarged)"
        results += run_scale(label, v, s, args.column, args)
    print(f"\ncolumn {args.column}, k={args.k}, {args.queries} queries one at a time\n")
    print(f"load average at the start: {load_at_start}, at the end: {loadavg()}\n")
    print(
        "| scale | rows | method | p50 ms | p95 ms | CPU p50 ms | × FAISS flat p50 | recall@k strict / near-tie-aware |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['scale']} | {r['rows']:,} | {r['method']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['cpu']:.2f} "
            f"| {r['vs_faiss']:.2f} | {r['recall']:.3f} / {r['near']:.3f} |"
        )


if __name__ == "__main__":
    main()
