"""Indexing throughput and storage, side by side with bare model forward and exBERT's layout.

    .venv/bin/python bench/bench_index.py [--model minilm] [--repeats 2] [--chars 0]
                                          [--no-ann]

Corpus: the Wizard of Oz (../shared) when present, else the default pydoc corpus; split into
files of ~20 kB so the run looks like a folder of documents. ``--chars N`` keeps the first N.

1. Throughput, interleaved per repeat: ``index_paths`` end to end (spaCy + model + rows +
   LanceDB appends, until searchable: tables this small are searched exactly, so committed
   rows are searchable), with spaCy in a child process (the default from 50 k characters),
   the same with the model one batch ahead in a thread (``forward_ahead``), spaCy inline and
   in a thread (``--modes`` picks some by number); then a bare forward
   (``base_model(input_ids, attention_mask)``, no attention or hidden-state outputs) over the
   very sentences the index stored, length-sorted batches of the same size.
2. ANN build time on the indexed table (``ann="always"``), for the record: ``auto`` skips it
   below 300,000 rows.
3. Bytes per token of our LanceDB folder (exBERT's layout beside it, and recall@50 of the stored
   vectors: bench/bench_storage.py).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from exbert_ls.annotate.words import SpacyAnnotator
from exbert_ls.corpus import default_corpus_paths
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.ann import refresh_vector_indexes

SHARED_BOOK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wizard_of_oz.txt"
FILE_CHARS = 20_000


def corpus_files(folder: Path, limit: int) -> str:
    if SHARED_BOOK.exists():
        name, text = "wizard_of_oz.txt", SHARED_BOOK.read_text(encoding="utf-8")
    else:
        (topics,) = default_corpus_paths()
        name = "pydoc_topics"
        text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(topics.glob("*.txt")))
    if limit:
        text = text[:limit]
    paragraphs = text.split("\n\n")
    part, size, n = [], 0, 0
    folder.mkdir(parents=True)
    for paragraph in paragraphs + [None]:
        if paragraph is None or size > FILE_CHARS:
            (folder / f"part{n:03d}.txt").write_text("\n\n".join(part), encoding="utf-8")
            part, size, n = [], 0, n + 1
        if paragraph is not None:
            part.append(paragraph)
            size += len(paragraph)
    return f"{name} ({len(text):,} chars, {n} files)"


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def bare_forward(runner: ModelRunner, texts: list[str], batch_size: int) -> float:
    began = time.perf_counter()
    order = sorted(texts, key=len)
    for i in range(0, len(order), batch_size):
        enc = runner.tokenizer(order[i : i + batch_size], padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            runner.base_model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--chars", type=int, default=0, help="keep the first N characters (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-ann", action="store_true")
    parser.add_argument("--throughput-only", action="store_true", help="skip the storage and recall parts")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument(
        "--modes", default="", help="indexing modes to run, by number (0: the default; 1: model in step)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:
        args.chars, args.repeats, args.no_ann = 3000, 1, True
    if args.threads:
        torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        described = corpus_files(work / "corpus", args.chars)
        runner = ModelRunner.load(args.model)
        annotator = SpacyAnnotator()
        annotator.nlp("Warm up.")
        print(f"model {args.model}, corpus {described}, {torch.get_num_threads()} torch threads\n")
        if not args.smoke:
            # one untimed run first: the first index of a process paid ~15-25 % more (allocator
            # and library warm-up), which skewed whichever mode ran first
            index_paths(
                [work / "corpus"],
                str(work / "warm-up"),
                runner,
                annotator=annotator,
                config=IndexConfig(batch_size=args.batch_size, ann="never"),
            )
            shutil.rmtree(work / "warm-up", ignore_errors=True)
        # label -> (spaCy in a thread, spaCy in a child process, model one batch ahead, torch
        # threads while indexing: 0 = as the bare forward)
        modes = {
            "index (spaCy child process, model one batch ahead: default)": (False, True, True, 0),
            "index (spaCy child process, model in step)": (False, True, False, 0),
            "index (spaCy inline)": (False, False, False, 0),
            "index (spaCy thread)": (True, False, False, 0),
            "index (default, 1 torch thread)": (False, True, True, 1),
        }
        if args.modes:
            wanted = [int(m) for m in args.modes.split(",")]
            modes = {label: how for n, (label, how) in enumerate(modes.items()) if n in wanted}
        timings: dict[str, list[float]] = {label: [] for label in modes} | {"bare forward": []}
        # CPU seconds of this process (all threads) beside wall seconds: on a machine shared
        # with other jobs wall time swings with their load, CPU time much less
        cpu: dict[str, list[float]] = {label: [] for label in timings}
        tokens = 0
        texts: list[str] = []
        for repeat in range(args.repeats):
            for n, (label, (overlap, child, ahead, threads)) in enumerate(modes.items()):
                uri = str(work / f"db-{repeat}-{n}")
                config = IndexConfig(
                    batch_size=args.batch_size, overlap=overlap, spacy_process=child, forward_ahead=ahead, ann="never"
                )
                bare_threads = torch.get_num_threads()
                if threads:
                    torch.set_num_threads(threads)
                began_cpu = time.process_time()
                try:
                    report = index_paths([work / "corpus"], uri, runner, annotator=annotator, config=config)
                finally:
                    torch.set_num_threads(bare_threads)
                cpu[label].append(time.process_time() - began_cpu)
                tokens = report.tokens
                timings[label].append(report.seconds)
                print(f"repeat {repeat}: {label} {report.seconds:.1f} s", flush=True)
            db = CorpusDB.open(uri)
            texts = db.sentences.search().select(["text"]).limit(None).to_arrow()["text"].to_pylist()
            began_cpu = time.process_time()
            timings["bare forward"].append(bare_forward(runner, texts, args.batch_size))
            cpu["bare forward"].append(time.process_time() - began_cpu)
            print(f"repeat {repeat}: bare forward {timings['bare forward'][-1]:.1f} s", flush=True)
        base = statistics.median(timings["bare forward"])
        print(
            f"{len(texts):,} sentences ({len(set(texts)):,} distinct texts), "
            f"{tokens:,} wordpieces (special tokens included)\n"
        )
        base_cpu = statistics.median(cpu["bare forward"])
        print("| pass | median s | wordpieces/s | vs bare forward | median CPU s | vs bare forward (CPU) |")
        print("|---|---|---|---|---|---|")
        for label, seconds in timings.items():
            median, median_cpu = statistics.median(seconds), statistics.median(cpu[label])
            print(
                f"| {label} | {median:.1f} | {tokens / median:,.0f} | {base / median:.2f}x | "
                f"{median_cpu:.1f} | {base_cpu / median_cpu:.2f}x |"
            )
        if args.throughput_only:
            return

        db_path = work / f"db-{args.repeats - 1}-1"
        sizes = {p.name: du(p) for p in sorted(db_path.iterdir()) if p.is_dir()}
        ours = sum(sizes.values())
        if not args.no_ann:
            db = CorpusDB.open(str(db_path))
            what, seconds = refresh_vector_indexes(db.tokens, db.meta.num_layers, "always")
            print(
                f"\nANN (for the record; auto skips it below 300,000 rows): {what}; "
                f"{tokens / seconds:,.0f} rows/s over {db.meta.num_layers * 2 + 1} columns"
            )
            print(f"index files: {(du(db_path) - ours) / tokens:,.0f} bytes/token")

        print("\n| storage | bytes/token |")
        print("|---|---|")
        for name, size in sizes.items():
            print(f"| ours: {name} | {size / tokens:,.0f} |")
        print(f"| **ours, total** | **{ours / tokens:,.0f}** |")
        print("(exBERT's layout and recall of the stored vectors: bench/bench_storage.py)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
