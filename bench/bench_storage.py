"""Bytes per token on disk against exBERT's layout, and recall@50 of the stored vectors.

    .venv/bin/python bench/bench_storage.py [--db INDEX] [--model minilm] [--chars 0]
                                            [--storage-sentences 600] [--recall-sentences 1500]
                                            [--queries 200] [--columns all]

1. Bytes per token of an index: ``--db`` (e.g. one built by ``exbert index --db /tmp/vec-db``,
   the default pydoc corpus) or, without it, the Wizard of Oz (../shared; the default corpus
   where it is absent) indexed here (``--chars N`` keeps the first N characters). Per table
   (on-disk folder sizes) and, for ``tokens``, per kind of column (Arrow sizes of the rows).
2. exBERT's layout written for real (h5py + faiss-cpu) for a sample of the same sentences:
   HDF5 with float32 hidden states of every layer, contexts of every layer and attention per
   sentence, plus one FAISS IndexFlatIP per searchable layer, as exBERT kept; then the same
   arithmetic for a bert-base-sized model (hidden 768, 12 layers x 12 heads).
3. recall@50 of exact search over the stored vectors (``hs0``: the codes search derives from
   the token ids, which are those of the forward's hidden state 0) (int8 codes + float16 row scale, through
   ``engine.exact_top_k``: the product's scan and tie rule) and over float16, against float32
   exact search, per column, on ``--recall-sentences`` sentences of the book (200 stored
   non-special rows as queries). *strict*: share of the float32 top-50 set found (ties broken
   by row order on both sides); *near-tie-aware*: share of returned rows whose true score is
   within 1e-3 (cosine; mean per-head cosine for contexts) of the true 50th.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from exbert_ls.model.names import parse_column
from exbert_ls.model.runner import ModelRunner
from exbert_ls.model.vectors import normalized_contexts, normalized_hidden
from exbert_ls.search.engine import ColumnMatrix, exact_top_k
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.quantize import quantize, scale_column
from exbert_ls.store.schema import stored_vector_columns, vector_columns

SHARED_BOOK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wizard_of_oz.txt"
K = 50


def book_text() -> str:
    if SHARED_BOOK.exists():
        return SHARED_BOOK.read_text(encoding="utf-8")
    from exbert_ls.corpus import default_corpus_paths

    (topics,) = default_corpus_paths()
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(topics.glob("*.txt")))


def book_sentences(limit: int) -> list[str]:
    parts = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(book_text().split()))]
    return [s for s in parts if 3 < len(s) < 400][:limit]


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def exbert_layout_bytes(runner: ModelRunner, texts: list[str], folder: Path) -> tuple[int, int, dict[str, int]]:
    """Write exBERT's storage for ``texts``: ``(bytes, tokens, bytes per part)``."""
    import faiss
    import h5py

    info = runner.info
    hidden_rows: list[list[np.ndarray]] = [[] for _ in range(info.num_layers + 1)]
    context_rows: list[list[np.ndarray]] = [[] for _ in range(info.num_layers)]
    tokens = 0
    h5_path = folder / "corpus.hdf5"
    with h5py.File(h5_path, "w") as h5:
        for index, acts in runner.run_batch(texts, batch_size=32, contexts=True):
            assert acts.contexts is not None
            group = h5.create_group(str(index))
            group.create_dataset("embeddings", data=acts.hidden.astype(np.float32))
            group.create_dataset("contexts", data=acts.contexts.astype(np.float32))
            group.create_dataset("attentions", data=acts.attention.astype(np.float32))
            tokens += len(acts.tokens)
            for layer in range(info.num_layers + 1):
                hidden_rows[layer].append(acts.hidden[layer])
            for layer in range(info.num_layers):
                context_rows[layer].append(acts.contexts[layer])
    parts = {"hdf5": h5_path.stat().st_size, "faiss": 0}
    for kind, rows in (("hidden", hidden_rows), ("contexts", context_rows)):
        for layer, chunks in enumerate(rows):
            data = np.ascontiguousarray(np.concatenate(chunks).astype(np.float32))
            flat = faiss.IndexFlatIP(data.shape[1])
            flat.add(data)
            path = folder / f"{kind}{layer}.faiss"
            faiss.write_index(flat, str(path))
            parts["faiss"] += path.stat().st_size
    return sum(parts.values()), tokens, parts


def per_token_arithmetic(d: int, layers: int, heads: int, mean_len: float) -> tuple[float, float]:
    """``(ours, exBERT's)`` bytes/token from the layouts alone (no overheads, no annotations).

    Ours (schema 4): ``2L`` stored int8 vectors + float16 scale (hs0 derived from a 4-byte token
    id), ``max_att`` int16 + ``max_att_w`` uint8 per head, ``mean_att`` int16 + ``mean_att_w``
    uint8 per layer."""
    vectors = 2 * layers + 1
    ours = (vectors - 1) * (d + 2) + 4 + layers * heads * (2 + 1) + layers * (2 + 1)
    hdf5 = (layers + 1) * d * 4 + layers * d * 4 + layers * heads * mean_len * 4
    return ours, hdf5 + vectors * d * 4


def token_column_bytes(db: CorpusDB) -> dict[str, float]:
    """Arrow bytes per row of the tokens table, by kind of column."""
    table = db.tokens.to_arrow()
    vectors = set(stored_vector_columns(db.meta.num_layers))
    kinds: dict[str, float] = {}
    for name in table.column_names:
        kind = (
            "vector codes"
            if name in vectors
            else "row scales"
            if name.endswith("_scale")
            else "max_att + max_att_w"
            if name.startswith("max_att")
            else "mean_att + mean_att_w"
            if name.startswith("mean_att")
            else "annotations and ids"
        )
        kinds[kind] = kinds.get(kind, 0.0) + table.column(name).nbytes / max(1, table.num_rows)
    return kinds


def recall_columns(runner: ModelRunner, texts: list[str], columns: list[str], queries: int) -> list[dict[str, object]]:
    """Strict and near-tie-aware recall@50 per column: stored int8, float16, vs float32."""
    info = runner.info
    hidden, contexts, special = [], [], []
    for _i, acts in runner.run_batch(texts, batch_size=32, contexts=True):
        assert acts.contexts is not None
        hidden.append(normalized_hidden(acts.hidden))
        contexts.append(normalized_contexts(acts.contexts, info.num_heads))
        special.append(np.array([t.special for t in acts.tokens]))
    all_hidden, all_contexts = np.concatenate(hidden, axis=1), np.concatenate(contexts, axis=1)
    keep = np.flatnonzero(~np.concatenate(special))
    rng = np.random.default_rng(0)
    picked = rng.choice(len(keep), size=min(queries, len(keep)), replace=False)
    out = []
    for column in columns:
        kind, layer = parse_column(column)
        exact = (all_hidden[layer] if kind == "embedding" else all_contexts[layer - 1])[keep]
        unit = 1.0 if kind == "embedding" else float(info.num_heads)  # scores in cosine units
        codes, scale = quantize(exact)
        offsets = np.arange(len(exact), dtype=np.int64)
        variants = {
            "int8 + float16 row scale (stored)": ColumnMatrix(codes, scale, offsets),
            "float16": ColumnMatrix(exact.astype(np.float16), None, offsets),
        }
        truth_matrix = ColumnMatrix(exact, None, offsets)
        row: dict[str, object] = {"column": column, "rows": len(exact)}
        for name, matrix in variants.items():
            strict, near = [], []
            for q in exact[picked]:
                truth = exact_top_k(truth_matrix, q, K)
                got = exact_top_k(matrix, q, K).offsets
                strict.append(len(np.intersect1d(truth.offsets, got)) / K)
                true_scores = exact[got] @ q
                near.append(float(np.mean(true_scores >= truth.similarity[-1] - 1e-3 * unit)))
            row[name] = (float(np.mean(strict)), float(np.mean(near)))
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="measure this index (else index the book here)")
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--chars", type=int, default=0, help="without --db: index the first N characters (0: all)")
    parser.add_argument("--storage-sentences", type=int, default=600, help="sentences written in exBERT's layout")
    parser.add_argument("--recall-sentences", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--columns", default="all", help="comma-separated vector columns for recall, or all")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:
        args.db, args.chars, args.storage_sentences, args.recall_sentences = None, 3000, 10, 40
        args.queries, args.columns = 5, "hs3,ctx2"
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    try:
        runner = ModelRunner.load(args.model)
        if args.db:
            uri, source = args.db, f"index {args.db}"
        else:
            text = book_text()[: args.chars or None]
            (work / "corpus").mkdir()
            (work / "corpus" / "book.txt").write_text(text, encoding="utf-8")
            uri, source = str(work / "db"), f"{len(text):,} chars of the book, indexed here"
            index_paths([work / "corpus"], uri, runner, config=IndexConfig(ann="never"))
        db = CorpusDB.open(uri)
        tokens = db.num_tokens()
        sizes = {p.name.removesuffix(".lance"): du(p) for p in sorted(Path(uri).iterdir()) if p.is_dir()}
        ours = sum(sizes.values()) / tokens
        texts = db.sentences.search().select(["text"]).limit(None).to_arrow()["text"].to_pylist()
        step = max(1, len(texts) // args.storage_sentences)
        sample = texts[::step][: args.storage_sentences]
        (work / "exbert").mkdir()
        theirs_bytes, sample_tokens, parts = exbert_layout_bytes(runner, sample, work / "exbert")
        theirs = theirs_bytes / sample_tokens
        print(f"model {args.model}, {source}: {tokens:,} tokens, {len(texts):,} sentences\n")
        print("| storage | bytes/token |")
        print("|---|---:|")
        for name, size in sizes.items():
            print(f"| ours: `{name}` | {size / tokens:,.0f} |")
        for kind, size in token_column_bytes(db).items():
            print(f"| ours: `tokens`, {kind} (Arrow) | {size:,.0f} |")
        print(f"| **ours, total** | **{ours:,.0f}** |")
        for name, size in parts.items():
            print(
                f"| exBERT layout: {name} ({len(sample)} sentences, {sample_tokens:,} tokens) | {size / sample_tokens:,.0f} |"
            )
        print(f"| **exBERT layout, total** | **{theirs:,.0f}** |")
        print(f"\nratio ours / exBERT: {ours / theirs:.3f} (goal <= 0.1)")
        mean_len = sample_tokens / max(1, len(sample))
        info = runner.info
        for label, (d, layers, heads) in (
            (f"{args.model} (arithmetic)", (info.d_model, info.num_layers, info.num_heads)),
            ("bert-base-sized (arithmetic)", (768, 12, 12)),
        ):
            a, b = per_token_arithmetic(d, layers, heads, mean_len)
            print(f"- {label}, {mean_len:.0f} tokens/sentence: ours {a:,.0f}, exBERT {b:,.0f} bytes/token: {a / b:.3f}")

        columns = vector_columns(info.num_layers) if args.columns == "all" else args.columns.split(",")
        book = book_sentences(args.recall_sentences)
        rows = recall_columns(runner, book, columns, args.queries)
        print(f"\nrecall@{K} vs float32 exact search, {args.queries} queries, strict / near-tie-aware (1e-3):\n")
        names = [n for n in rows[0] if n not in ("column", "rows")]
        print("| column | rows | " + " | ".join(names) + " |")
        print("|---|---:|" + "---|" * len(names))
        for r in rows:
            cells = " | ".join(f"{r[n][0]:.4f} / {r[n][1]:.4f}" for n in names)  # type: ignore[index]
            print(f"| {r['column']} | {r['rows']:,} | {cells} |")
        worst = min(min(r[names[0]][0] for r in rows), 1.0)  # type: ignore[index]
        print(f"\nworst strict recall of the stored vectors: {worst:.4f} (goal >= 0.98)")
        stored = stored_vector_columns(info.num_layers)[0]
        assert scale_column(stored) in db.tokens.schema.names, "the index is not in the int8 layout"
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
