"""``index_paths(..., engine="ray")``: the same indexing run, its heavy work on a Ray cluster.

The driver is the local engine's :class:`~exbert_ls.store.indexer._Run` (identity check,
recovery of ``pending`` documents, incremental hashes, claims, flushes and ``indexed`` marks,
progress, cancellation, the writer lock); only two of its steps move to Ray:

1. **Annotation** (spaCy): a Ray Data pipeline over the documents of a claimed group, one CPU
   task per document, streamed back in document order.
2. **The model and row building**: an actor pool (one model per actor; one GPU per actor when
   the cluster has GPUs). The driver forms the *same* pools, windows and sentence numbers as
   the local engine and sends each pool to an actor, which runs the local engine's batches and
   builds its rows with :class:`~exbert_ls.store.rows.RowBuffer`; results come back in
   submission order. Same batches, same row code: the rows equal a local run's bit for bit
   (tests/ray/test_ray_engine.py).

Reading and hashing stay on the driver: it must know what is unchanged before it claims a
document, and the workers then need no access to the files. The driver alone writes (it holds
the lock). A killed actor is restarted and its pool retried (a pool's rows are a pure function
of its input); a killed driver leaves ``pending`` documents that the next run drops and redoes.

Ray is imported only here, and only when a run asks for it (``pip install exbert-ls[ray]``).
"""

from __future__ import annotations

import functools
import os
import pickle
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from exbert_ls.annotate.words import SpacyAnnotator
from exbert_ls.errors import ExbertError, IndexMismatchError, InvalidInputError
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store.blas import single_threaded_blas
from exbert_ls.store.conllu import conllu_sentences
from exbert_ls.store.db import DocState
from exbert_ls.store.indexer import BATCH_TOKENS, POOL_CHARS, ProgressCallback, _Doc, _index_locked, _Run
from exbert_ls.store.lock import WriterHold
from exbert_ls.store.pool import copy_results, distinct_texts, windowed_work
from exbert_ls.store.report import IndexConfig, IndexReport
from exbert_ls.store.rows import RowBuffer, SentenceKey
from exbert_ls.store.schema import IndexMeta
from exbert_ls.store.segment import Sentence, chunks, spacy_sentences
from exbert_ls.store.sources import Source, iter_text
from exbert_ls.summarize.heads import HeadStats

POLL_S = 0.25
"""How often a driver waiting on an actor checks for cancellation."""
ACTOR_RESTARTS = 3


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide the Ray engine runs.

    Attributes
    ----------
    address:
        A running cluster (``ray start --head`` prints it; ``auto``: ``$RAY_ADDRESS`` or the
        cluster started on this machine). ``None``: the connection this process already has,
        else a private local cluster started for the run and stopped afterwards.
    workers:
        Model actors. ``None``: one per GPU, else one.
    worker_cpus:
        CPUs each actor reserves (torch threads) when it runs on CPU.
    gpus:
        ``None``: one GPU per actor when the cluster has GPUs; ``0`` forces CPU actors.
    torch_threads:
        torch threads of a CPU actor (``None``: ``worker_cpus``). Float reductions depend on the
        thread count: rows equal a local run's bit for bit only with the local run's count
        (float16 storage hides most of it; ~0.3 % of values moved by one unit otherwise).
    """

    address: str | None = None
    workers: int | None = None
    worker_cpus: int = 1
    gpus: float | None = None
    torch_threads: int | None = None


def index_with_ray(
    paths: Sequence[str | Path],
    uri: str,
    runner: ModelRunner,
    annotator: SpacyAnnotator | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    config: IndexConfig | None,
    options: RayOptions | None,
    hold: WriterHold | None = None,
) -> IndexReport:
    """:func:`~exbert_ls.store.indexer.index_paths` with the writer lock held, on Ray."""
    ray = _import_ray()
    options = options or RayOptions()
    started = False
    if not ray.is_initialized():
        cpus = None
        if options.address is None:
            # a private cluster: the CPU actors must leave a logical CPU for the annotation tasks,
            # or Ray Data waits for one forever (GUIDE §8); oversubscribing logical CPUs is fine
            cpus = max(os.cpu_count() or 1, (options.workers or 1) * options.worker_cpus + 1)
        address = options.address or "local"  # never joins a cluster by surprise ($RAY_ADDRESS: --address auto)
        ray.init(address=address, num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        started = True
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True  # pools must be formed in document order
    make_run = functools.partial(_RayRun, options=options)
    try:
        return _index_locked(paths, uri, runner, annotator, progress, cancel, config, hold, make_run=make_run)
    finally:
        if started:
            ray.shutdown()


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ExbertError("the Ray engine needs Ray: pip install 'exbert-ls[ray]' (or use --engine local)") from exc
    return ray


# ---------------------------------------------------------------- the workers


@functools.cache
def _worker_annotator(model: str) -> SpacyAnnotator:
    """One spaCy pipeline per worker process (Ray reuses workers across tasks)."""
    return SpacyAnnotator(model)


def _annotate_row(row: dict[str, Any], *, spacy_model: str, spacy_version: str, chunk_chars: int) -> dict[str, Any]:
    """Ray Data task: one document's text -> its pickled sentences (the local engine's code)."""
    if row["kind"] == "conllu":
        sentences = list(conllu_sentences(row["text"]))
    else:
        annotator = _worker_annotator(spacy_model)
        if annotator.version != spacy_version:
            raise ExbertError(
                f"a Ray worker has spaCy model {annotator.version}, the driver {spacy_version}: "
                "install the same versions on every node"
            )
        sentences = list(spacy_sentences(annotator.nlp, chunks(row["text"], chunk_chars)))
    return {"index": row["index"], "sentences": pickle.dumps(sentences, protocol=pickle.HIGHEST_PROTOCOL)}


@dataclass(frozen=True)
class _PoolResult:
    """What an actor sends back for one pool: rows in ``run_batch`` order and, per item of the
    pool's work (same order), its head stats and token count or the reason it was dropped."""

    tokens: pa.Table | None
    sentences: pa.Table | None
    items: list[tuple[int, HeadStats | None, int, str]]
    """``(work index, stats, tokens, error)``: stats None when dropped with ``error``."""


class _ModelWorker:
    """Ray actor body: one model, the local engine's forward and row code."""

    def __init__(self, model: str, fingerprint: str, device: str, meta: IndexMeta, threads: int) -> None:
        import torch

        if device == "cpu":
            torch.set_num_threads(max(threads, 1))
        self.runner = ModelRunner.load(model, device=device)
        if self.runner.fingerprint() != fingerprint:
            raise IndexMismatchError(
                f"a Ray worker loaded model {model!r} with fingerprint {self.runner.fingerprint()}, "
                f"the driver's is {fingerprint}: every node needs the same weights"
            )
        self.meta = meta

    def pid(self) -> int:
        return os.getpid()

    def run(self, work: list[tuple[SentenceKey, Sentence]], lengths: list[int], batch_size: int) -> _PoolResult:
        """The local engine's ``_run_pool`` model part: identical texts once, the same batches,
        the same alignment and row code; items in the order the local engine adds them."""
        with single_threaded_blas():
            return self._run(work, lengths, batch_size)

    def _run(self, work: list[tuple[SentenceKey, Sentence]], lengths: list[int], batch_size: int) -> _PoolResult:
        buffer = RowBuffer(self.meta)
        items: list[tuple[int, HeadStats | None, int, str]] = []
        distinct = distinct_texts(work, lengths)
        for batch in self.runner.run_batches(
            distinct.texts, batch_size=batch_size, contexts=True, max_tokens=BATCH_TOKENS
        ):
            for index, acts in batch:
                indices = distinct.copies[index]
                results = copy_results(acts, [work[i] for i in indices])
                for at, (key, sentence, result) in zip(indices, results, strict=True):
                    if isinstance(result, InvalidInputError):
                        items.append((at, None, 0, str(result)))
                        continue
                    buffer.add(key, sentence, acts, result[0])
                    items.append((at, result[1], len(acts.tokens), ""))
            buffer.seal()  # where the local run seals: the same rows bit for bit
        tokens, sentences = buffer.take() if len(buffer) else (None, None)
        return _PoolResult(tokens, sentences, items)


# ----------------------------------------------------------------- the driver


class _RayRun(_Run):
    """The local run with annotation and the model on Ray; flushes, marks and progress reused."""

    def __init__(self, *args: Any, options: RayOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        self.actors: list[Any] = []
        self.pool_jobs: Any = None
        self.in_flight: deque[tuple[list[tuple[SentenceKey, Sentence]], list[str]]] = deque()
        self.tables: list[tuple[pa.Table, pa.Table]] = []
        self.table_tokens = 0

    def index(self, sources: list[Source], known: dict[str, DocState]) -> None:
        import ray
        from ray.util import ActorPool

        gpus = self.options.gpus
        if gpus is None:
            gpus = 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
        workers = self.options.workers or (int(ray.cluster_resources().get("GPU", 0)) if gpus else 0) or 1
        actor = ray.remote(_ModelWorker).options(
            num_cpus=0 if gpus else self.options.worker_cpus,
            num_gpus=gpus,
            max_restarts=ACTOR_RESTARTS,
            max_task_retries=ACTOR_RESTARTS,  # a pool is a pure function: retrying gives the same rows
        )
        device = "cuda" if gpus else "cpu"
        threads = self.options.torch_threads or self.options.worker_cpus
        fingerprint = self.runner.fingerprint()
        self.actors = [
            actor.remote(self.runner.info.name, fingerprint, device, self.db.meta, threads) for _ in range(workers)
        ]
        self.pool_jobs = ActorPool(self.actors)
        try:
            super().index(sources, known)
        finally:
            for handle in self.actors:
                ray.kill(handle)
            self.actors, self.pool_jobs = [], None

    # ---------------------------------------------------------- annotation

    def _annotated(self, docs: list[_Doc]) -> Iterator[tuple[_Doc, list[Sentence]]]:
        """Each document with its sentences, in document order (Ray Data, one task each)."""
        import ray

        # the driver reads each file whole for its task (the local engine streams it): a Ray
        # worker may not see the driver's files, and a task's input must be a value
        items = [{"index": k, "kind": d.source.kind, "text": "".join(iter_text(d.source))} for k, d in enumerate(docs)]
        annotate = functools.partial(
            _annotate_row,
            spacy_model=self.annotator.model_name if self.annotator else "",
            spacy_version=self.annotator.version if self.annotator else "",
            chunk_chars=self.config.chunk_chars,
        )
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map(annotate, num_cpus=1)
        for row in dataset.iter_rows():
            yield docs[int(row["index"])], pickle.loads(row["sentences"])

    def _process(self, docs: list[_Doc]) -> None:
        """The local engine's pools, formed on the driver, run by the actors."""
        pooled = pools = 0
        for d, sentences in self._annotated(docs):
            if self.cancel.is_set():
                return
            self.current = d.source.doc
            for sentence in sentences:
                self.pool.append((d.source.doc, d.hash, sentence))
                pooled += len(sentence.text)
                if len(self.pool) >= self.config.pool_limit(pools) or pooled >= POOL_CHARS:
                    pooled, pools = 0, pools + 1
                    self._submit_pool()
                    if self.cancel.is_set():
                        return
            self.pool_ends.append(d.source.doc)
        self._submit_pool()
        while self.in_flight and not self.cancel.is_set():
            self._collect()

    def _submit_pool(self) -> None:
        """Number and window the pool exactly as ``_Run._run_pool`` does, then send it."""
        pool, self.pool = self.pool, []
        ends, self.pool_ends = self.pool_ends, []
        work, lengths = windowed_work(pool, self.runner, self.next_number)
        batch_size = self.config.batch_size
        # bounded: at most two pools per actor wait on the driver
        while len(self.in_flight) >= 2 * len(self.actors) and not self.cancel.is_set():
            self._collect()
        if self.cancel.is_set():
            return
        self.pool_jobs.submit(lambda a, job: a.run.remote(*job), (work, lengths, batch_size))
        self.in_flight.append((work, ends))

    def _collect(self) -> None:
        """Take the oldest pool's result (submission order) and account for it as the local
        engine does per sentence; polls so Ctrl-C is seen while an actor works."""
        while True:
            try:
                result: _PoolResult = self.pool_jobs.get_next(timeout=POLL_S)
                break
            except TimeoutError:
                if self.cancel.is_set():
                    return  # the pools in flight are abandoned: none of their documents is marked
        work, ends = self.in_flight.popleft()
        for index, stats, count, error in result.items:
            key, sentence = work[index]
            if stats is None:
                self.report.dropped.append((key.doc, f"sentence {key.number}: {error}"))
                continue
            previous = self.stats.get(key.doc)
            self.stats[key.doc] = stats if previous is None else previous + stats
            totals = self.totals.setdefault(key.doc, [0, 0])
            totals[0] += 1
            totals[1] += count
            self.report.sentences += 1
            self.report.tokens += count
            self.partial[key.doc] = self.partial.get(key.doc, 0.0) + len(sentence.text) * self.bytes_per_char[key.doc]
        if result.tokens is not None and result.sentences is not None:
            self.tables.append((result.tokens, result.sentences))
            self.table_tokens += result.tokens.num_rows
        for doc in ends:
            self.finished.append(doc)
            self.partial.pop(doc, None)
            self._file_done(self.sizes.get(doc, 0))
        if self.table_tokens >= self.config.flush_tokens:
            self._flush()
        self._report()

    def _flush(self) -> None:
        """Append the actors' rows first, then let the local flush mark finished documents."""
        if self.tables:
            tables, self.tables, self.table_tokens = self.tables, [], 0
            self.db.tokens.add(pa.concat_tables([t for t, _s in tables]))
            self.db.sentences.add(pa.concat_tables([s for _t, s in tables]))
        super()._flush()
