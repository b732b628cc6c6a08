"""What overlapping spaCy with the model can buy on this machine: each alone, then both at once.

    .venv/bin/python bench/bench_overlap.py [--model minilm] [--chars 30000] [--repeats 3]

Indexing runs spaCy (a child process) beside the model's forward. On 2 cores that can only
pay if each runs at its own speed while the other works. This measures it directly, in two
forked processes (the model and the pipeline loaded once, before the fork):

1. spaCy alone over the text (20 kB chunks, as the indexer feeds it);
2. a bare forward alone over the text's sentences, on one torch thread (one core each);
3. both at once; each side's seconds beside its alone figure.

Then the same for the indexer's other pair, in *one* process as indexing runs them: the row
code (alignment, head statistics, ``RowBuffer.add`` and ``seal``) on the main thread beside
the capturing forward (``run_batches``, one torch thread) in a second thread. Two processes
share no lock; two threads share the GIL, which the model's Python glue and the row code's
many small numpy calls both need.

A slowdown near 1.0x means overlap is nearly free; well above it, the cores are not
independent (a shared host's AVX-512 frequency licence, shared caches, memory bandwidth) and
the best indexing can do is lower than the CPU-time sum suggests. Medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import threading
import time
from typing import Any

import torch
from bench_index import SHARED_BOOK, bare_forward

from exbert_ls.annotate.words import SpacyAnnotator
from exbert_ls.model.activations import Activations
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store.blas import single_threaded_blas
from exbert_ls.store.indexer import BATCH_TOKENS
from exbert_ls.store.pool import copy_results
from exbert_ls.store.rows import RowBuffer, SentenceKey
from exbert_ls.store.schema import IndexMeta
from exbert_ls.store.segment import CHUNK_CHARS, Sentence, chunks, spacy_sentences

BATCH = 32

# set in the parent before the fork: the workers share them
_RUNNER: ModelRunner | None = None
_NLP: Any = None
_PIECES: list[str] = []
"""The text in the pieces the indexer hands spaCy."""
_SENTENCES: list[Sentence] = []
"""spaCy's sentences of the text: what both forwards run on."""


def book(limit: int) -> str:
    if SHARED_BOOK.exists():
        text = SHARED_BOOK.read_text(encoding="utf-8")
    else:
        from pydoc_data.topics import topics

        text = "\n\n".join(topics.values())
    return text[:limit]


def run_spacy() -> float:
    began = time.perf_counter()
    for _doc in _NLP.pipe(_PIECES, batch_size=1):
        pass
    return time.perf_counter() - began


def run_forward() -> float:
    """bench_index's bare forward, on one torch thread (this worker's core)."""
    assert _RUNNER is not None
    torch.set_num_threads(1)
    return bare_forward(_RUNNER, [s.text for s in _SENTENCES], BATCH)


def run_rows(meta: IndexMeta, sentences: list[Sentence], acts: list[Activations]) -> float:
    """The indexer's row code over captured activations (one seal per model batch)."""
    buffer = RowBuffer(meta)
    began = time.perf_counter()
    for i, (sentence, act) in enumerate(zip(sentences, acts, strict=True)):
        for key, kept, result in copy_results(act, [(SentenceKey("bench", "0", i), sentence)]):
            if not isinstance(result, Exception):
                buffer.add(key, kept, act, result[0])
        if i % BATCH == BATCH - 1:
            buffer.seal()
    buffer.seal()
    return time.perf_counter() - began


def run_capture(texts: list[str]) -> float:
    assert _RUNNER is not None
    began = time.perf_counter()
    for _batch in _RUNNER.run_batches(texts, batch_size=BATCH, contexts=True, max_tokens=BATCH_TOKENS):
        pass
    return time.perf_counter() - began


def rows_beside_forward(repeats: int) -> dict[str, float]:
    """Medians: the row code and the capturing forward each alone, then in two threads."""
    assert _RUNNER is not None
    sentences = _SENTENCES
    texts = [s.text for s in sentences]
    meta = IndexMeta.for_runner(_RUNNER, "bench")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        batches = _RUNNER.run_batches(texts, batch_size=BATCH, contexts=True, max_tokens=BATCH_TOKENS)
        by_index = dict(pair for batch in batches for pair in batch)  # batches are length-sorted
        acts = [by_index[i] for i in range(len(texts))]
        seconds: dict[str, list[float]] = {
            k: [] for k in ("rows alone", "forward alone", "rows beside", "forward beside")
        }
        with single_threaded_blas():  # as the indexer runs the row code
            for _ in range(repeats):
                seconds["rows alone"].append(run_rows(meta, sentences, acts))
                seconds["forward alone"].append(run_capture(texts))
                worker = threading.Thread(target=lambda: seconds["forward beside"].append(run_capture(texts)))
                worker.start()
                seconds["rows beside"].append(run_rows(meta, sentences, acts))
                worker.join()
    finally:
        torch.set_num_threads(threads)
    return {k: statistics.median(v) for k, v in seconds.items()}


def print_pair(title: str, first: str, second: str, median: dict[str, float]) -> None:
    print(f"\n{title}\n")
    print("| side | alone s | beside the other s | slowdown |")
    print("|---|---|---|---|")
    for side in (first, second):
        alone, beside = median[f"{side} alone"], median[f"{side} beside"]
        print(f"| {side} | {alone:.2f} | {beside:.2f} | {beside / alone:.2f}x |")
    serial = median[f"{first} alone"] + median[f"{second} alone"]
    both = max(median[f"{first} beside"], median[f"{second} beside"])
    ideal = max(median[f"{first} alone"], median[f"{second} alone"])
    print(
        f"\nserial {serial:.2f} s, overlapped {both:.2f} s: overlap saves {1 - both / serial:.0%} (ideal: {1 - ideal / serial:.0%})"
    )


def main() -> None:
    global _RUNNER, _NLP, _PIECES, _SENTENCES
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--chars", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:
        args.chars, args.repeats = 2_000, 1
    text = book(args.chars)
    _RUNNER = ModelRunner.load(args.model)
    _NLP = SpacyAnnotator().nlp
    _NLP("Warm up.")
    _PIECES = list(chunks(text, CHUNK_CHARS))
    _SENTENCES = list(spacy_sentences(_NLP, _PIECES))
    print(
        f"model {args.model}, {len(text):,} characters, {len(_SENTENCES):,} sentences, {multiprocessing.cpu_count()} CPUs\n"
    )
    seconds: dict[str, list[float]] = {
        k: [] for k in ("spacy alone", "forward alone", "spacy beside", "forward beside")
    }
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.apply(run_spacy)  # warm both workers' code paths once
        pool.apply(run_forward)
        for _ in range(args.repeats):
            seconds["spacy alone"].append(pool.apply(run_spacy))
            seconds["forward alone"].append(pool.apply(run_forward))
            spacy, forward = pool.apply_async(run_spacy), pool.apply_async(run_forward)
            seconds["spacy beside"].append(spacy.get())
            seconds["forward beside"].append(forward.get())
    print_pair(
        "spaCy beside the forward: two processes",
        "spacy",
        "forward",
        {k: statistics.median(v) for k, v in seconds.items()},
    )
    print_pair(
        "row code beside the capturing forward: two threads of one process",
        "rows",
        "forward",
        rows_beside_forward(args.repeats),
    )


if __name__ == "__main__":
    main()
