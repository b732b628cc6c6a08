"""``index_paths``: files -> annotated sentences -> model rows in a LanceDB corpus database.

Crash safety (SIGKILL at any point, then a re-run, gives exactly a clean run's rows):

1. A run first drops every document left ``pending`` by an interrupted run (its rows, then
   its ``documents`` row), so it is indexed again from scratch.
2. Documents to (re)index are claimed in groups: one ``merge_insert`` marks them ``pending``
   with their new hash, then the old rows of changed documents are deleted.
3. Rows (tokens, sentences, head_stats) are appended in large batches across documents;
   after each append, the documents whose every row is written are marked ``indexed`` in one
   commit. LanceDB commits are atomic, and sentence ids are derived from (path, content hash,
   sentence number), so re-running reproduces identical rows.

Removed files are dropped the same way (pending, rows, row). Cancellation finishes the
append in progress, marks the documents it completed, and drops the rest of the group.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from exbert_ls.annotate.words import SpacyAnnotator
from exbert_ls.errors import InvalidInputError, UnreadableInputError, UnsupportedContentError
from exbert_ls.model.activations import Activations
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store.ann import refresh_vector_indexes
from exbert_ls.store.annotate_worker import (
    DocEnd,
    DocFailed,
    Event,
    annotated_in_child,
    child_processes_available,
    document_events,
)
from exbert_ls.store.blas import single_threaded_blas
from exbert_ls.store.db import CorpusDB, DocState
from exbert_ls.store.lock import WriterHold, guard_cancel, guard_db, writer_lock
from exbert_ls.store.pool import Distinct, copy_results, distinct_texts, windowed_work
from exbert_ls.store.prefetch import one_ahead, prefetch
from exbert_ls.store.repair import require_readable, trust_counts
from exbert_ls.store.report import IndexConfig, IndexProgress, IndexReport
from exbert_ls.store.rows import RowBuffer, SentenceKey
from exbert_ls.store.schema import GOLD, INDEXED, PENDING, SKIPPED, head_stats_schema
from exbert_ls.store.segment import Sentence
from exbert_ls.store.sources import Source, scan_source, walk
from exbert_ls.summarize.heads import HeadStats

if TYPE_CHECKING:
    from exbert_ls.store.ray_engine import RayOptions

ProgressCallback = Callable[[IndexProgress], None]
BATCH_TOKENS = 2048
"""A forward pass holds at most about this many tokens (fewer sentences per batch when long)."""
POOL_CHARS = 100_000
"""A pool runs once it holds this many characters, whatever its sentence count: progress moves
and memory stays bounded on inputs made of a few enormous sentences."""
CHILD_MIN_CHARS = 50_000
"""By default spaCy runs in a child process from this much text a group (below it the fork and
the pickling cost about what the overlap gains)."""


@dataclass(frozen=True)
class _Doc:
    """A document to (re)index: checked and hashed, its text streamed again when it is run."""

    source: Source
    hash: str
    chars: int


def index_paths(
    paths: Sequence[str | Path],
    uri: str,
    runner: ModelRunner,
    *,
    annotator: SpacyAnnotator | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    config: IndexConfig | None = None,
    wait: bool = False,
    engine: Literal["local", "ray"] = "local",
    ray: RayOptions | None = None,
) -> IndexReport:
    """Index files and folders into the corpus database at ``uri`` (created if absent).

    Unchanged files (same sha256) are skipped, changed ones replaced, files under ``paths``
    that disappeared are removed. Raises :class:`~exbert_ls.errors.IndexMismatchError` if
    the database was built by another model, :class:`~exbert_ls.errors.WriterBusyError` if
    another writer holds the database (``wait``: wait for it instead). ``engine="ray"`` runs
    annotation and the model on a Ray cluster (``ray``: where; docs/cluster.md), same rows.
    """
    with writer_lock(uri, wait=wait) as hold:  # the driver holds it: Ray workers never write
        # a lost lease (object stores) raises at the run's next cancel check and before any write
        cancel = guard_cancel(cancel, hold)
        if engine == "ray":
            from exbert_ls.store.ray_engine import index_with_ray  # Ray loads only when asked for

            return index_with_ray(paths, uri, runner, annotator, progress, cancel, config, ray, hold)
        return _index_locked(paths, uri, runner, annotator, progress, cancel, config, hold)


def _index_locked(
    paths: Sequence[str | Path],
    uri: str,
    runner: ModelRunner,
    annotator: SpacyAnnotator | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    config: IndexConfig | None,
    hold: WriterHold | None = None,
    *,
    make_run: Callable[..., _Run] | None = None,
) -> IndexReport:
    """:func:`index_paths` with the writer lock held: recovering ``pending`` documents is safe,
    their writer is dead. Every table write (recovery, rows, marks, ANN) first checks ``hold``."""
    config = config or IndexConfig()
    began = time.perf_counter()
    found = walk(paths)
    kinds = {source.kind for source in found.sources}
    if "text" in kinds and annotator is None:
        annotator = SpacyAnnotator()
    labels = ([GOLD] if "conllu" in kinds else []) + ([annotator.version] if "text" in kinds and annotator else [])
    db = CorpusDB.create_or_open(uri, runner, "+".join(labels) or GOLD)
    if hold is not None:
        db = guard_db(db, hold)
    require_readable(db)
    run = (make_run or _Run)(db, runner, annotator, config, progress, cancel or threading.Event(), began)
    run.report.skipped.extend((s.doc, s.reason) for s in found.skipped)
    run.report.recovered = db.recover()
    known = trust_counts(db, db.document_states())
    current = {source.doc for source in found.sources}
    gone = sorted(doc for doc in known if found.covers(doc) and doc not in current)
    db.drop_documents(gone)
    run.report.removed = [doc for doc in gone if known[doc].status == INDEXED]
    with single_threaded_blas():
        run.index(found.sources, known)
    if not run.report.cancelled:
        run.report.ann, run.report.ann_seconds = refresh_vector_indexes(db.tokens, db.meta.num_layers, config.ann)
    run.report.seconds = time.perf_counter() - began
    return run.report


class _Run:
    """The state of one indexing run (pool of sentences, row buffer, per-document totals)."""

    def __init__(
        self,
        db: CorpusDB,
        runner: ModelRunner,
        annotator: SpacyAnnotator | None,
        config: IndexConfig,
        progress: ProgressCallback | None,
        cancel: threading.Event,
        began: float,
    ) -> None:
        self.db, self.runner, self.annotator, self.config = db, runner, annotator, config
        self.progress, self.cancel, self.began = progress, cancel, began
        self.report = IndexReport()
        self.buffer = RowBuffer(db.meta)
        self.pool: list[tuple[str, str, Sentence]] = []
        self.pool_ends: list[str] = []
        self.finished: list[str] = []
        self.failed: dict[str, str] = {}
        """Documents whose file failed while streamed: dropped at their end, not marked indexed."""
        self.hashes: dict[str, str] = {}
        self.next_number: dict[str, int] = {}
        self.totals: dict[str, list[int]] = {}
        self.stats: dict[str, HeadStats] = {}
        self.files_done = 0
        self.files_total = 0
        self.bytes_done = 0
        self.partial: dict[str, float] = {}
        """Bytes of documents in progress, estimated from the characters of their sentences run."""
        self.bytes_per_char: dict[str, float] = {}
        self.bytes_total = 0
        self.current = ""
        self.sizes: dict[str, int] = {}

    # ------------------------------------------------------------------ driver

    def index(self, sources: list[Source], known: dict[str, DocState]) -> None:
        self.sizes = sizes = {s.doc: _size(s.path) for s in sources}
        self.files_total, self.bytes_total = len(sources), max(sum(sizes.values()), 1)
        for group in _groups(sources, sizes, self.config.group_bytes):
            docs = self._read_group(group, known, sizes)
            if not docs:
                continue
            claimed = [d.source.doc for d in docs]
            self.db.upsert_documents([_doc_row(d.source.doc, d.hash, PENDING) for d in docs])
            self.db.delete_rows([doc for doc in claimed if doc in known])
            for d in docs:
                self.hashes[d.source.doc] = d.hash
            self._process(docs)
            if self.cancel.is_set():
                self.pool, self.pool_ends = [], []
                if self.finished:
                    self._flush()  # rows of the documents that completed, then their marks
                else:
                    # every buffered row belongs to a document about to be dropped: appending
                    # them first (up to flush_tokens rows, ~80 MB with MiniLM) only slowed Ctrl-C
                    self.buffer = RowBuffer(self.db.meta)
                self.db.drop_documents(doc for doc in claimed if doc not in self.report.indexed)
                self.report.cancelled = True
                return
            self._flush()

    def _read_group(self, group: list[Source], known: dict[str, DocState], sizes: dict[str, int]) -> list[_Doc]:
        docs = []
        for source in group:
            self.current = source.doc
            try:
                scanned = scan_source(source, self.config.max_file_bytes)
            except UnreadableInputError as exc:
                self.report.skipped.append((source.doc, str(exc)))
                if isinstance(exc, UnsupportedContentError) and source.doc in known:
                    self.db.drop_documents([source.doc])  # its content changed into something unreadable
                self._file_done(sizes[source.doc])
                continue
            state = known.get(source.doc)
            if state is not None and state.hash == scanned.digest and state.status == INDEXED:
                self.report.unchanged.append(source.doc)
                self._file_done(sizes[source.doc])
            else:
                docs.append(_Doc(source, scanned.digest, scanned.chars))
                self.bytes_per_char[source.doc] = sizes[source.doc] / max(scanned.chars, 1)
        return docs

    def _process(self, docs: list[_Doc]) -> None:
        stream = self._events(docs)
        pooled = pools = 0
        try:
            for event in stream:
                if self.cancel.is_set():  # spaCy may take seconds per chunk: check per sentence
                    return
                if isinstance(event, DocEnd):
                    self.pool_ends.append(event.doc)
                    continue
                if isinstance(event, DocFailed):
                    self.failed[event.doc] = event.reason
                    continue
                self.pool.append(event)
                pooled += len(event[2].text)
                # by characters too: a few giant sentences (one 50 MB line) fill no pool of 512
                if len(self.pool) >= self.config.pool_limit(pools) or pooled >= POOL_CHARS:
                    pooled, pools = 0, pools + 1
                    self._run_pool()
                    if self.cancel.is_set():
                        return
            self._run_pool()
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def _events(self, docs: list[_Doc]) -> Iterable[Event]:
        """The documents' annotated sentences: in a child process when asked for (or, by
        default, when there is enough text to gain from one), else here or in a thread."""
        pairs = [(d.source, d.hash) for d in docs]
        annotator = self.annotator

        def nlp() -> Any:
            assert annotator is not None
            return annotator.nlp

        text_chars = sum(d.chars for d in docs if d.source.kind == "text")
        child = self.config.spacy_process
        if child is None:
            child = text_chars >= CHILD_MIN_CHARS
        if child and text_chars and child_processes_available():
            # loaded here, before the fork, so the child shares it; the child is handed the
            # pipeline itself, not the annotator, whose lock another thread may hold at the fork
            pipeline = nlp()
            return annotated_in_child(pairs, lambda: pipeline, self.config.chunk_chars, self.cancel.is_set)
        events = document_events(pairs, nlp, self.config.chunk_chars)
        return prefetch(events, size=4 * self.config.batch_size) if self.config.overlap else events

    # --------------------------------------------------------------- the model

    def _run_pool(self) -> None:
        """Run the model on the pooled sentences and buffer their rows."""
        pool, self.pool = self.pool, []
        ends, self.pool_ends = self.pool_ends, []
        work, work_lengths = windowed_work(pool, self.runner, self.next_number)
        distinct = distinct_texts(work, work_lengths)
        # a batch holds up to batch_size sentences and ~BATCH_TOKENS padded tokens: attention is
        # [L, H, T, T] per sentence (32 windows of 512 tokens held ~6 GB with MiniLM), yet short
        # sentences still run in full batches
        batches = self.runner.run_batches(
            distinct.texts, batch_size=self.config.batch_size, contexts=True, max_tokens=BATCH_TOKENS
        )
        if self.config.forward_ahead:
            batches = one_ahead(batches)
        try:
            self._rows_of(batches, work, distinct, ends)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:  # a cancelled pool: the forward in flight ends, no further one starts
                close()

    def _rows_of(
        self,
        batches: Iterable[list[tuple[int, Activations]]],
        work: Sequence[tuple[SentenceKey, Sentence]],
        distinct: Distinct,
        ends: list[str],
    ) -> None:
        """Buffer the rows of each batch; then the pool's ended documents are finished."""
        for batch in batches:
            if self.cancel.is_set():
                # Stop within one batch: no document of this pool is complete, so none is marked;
                # the caller drops them (and the rows already buffered for them).
                ends = []
                break
            for index, acts in batch:
                self._add_copies(acts, [work[i] for i in distinct.copies[index]])
            self.buffer.seal()
            if self.buffer.tokens >= self.config.flush_tokens:
                # Bounded memory: one giant sentence makes hundreds of windows, so a pool can hold
                # millions of token rows. Flushing mid-pool is safe: it marks only documents that
                # ended in earlier pools, whose rows are all buffered or written already.
                self._flush()
                self._report()
        for doc in ends:
            self.finished.append(doc)
            self.partial.pop(doc, None)
            self._file_done(self.sizes.get(doc, 0))
        if self.buffer.tokens >= self.config.flush_tokens:
            self._flush()
        self._report()

    def _add_copies(self, acts: Activations, copies: list[tuple[SentenceKey, Sentence]]) -> None:
        """Buffer the rows of every sentence that has this text; alignment and head statistics
        are computed once per distinct word list (copies usually share theirs)."""
        for key, sentence, result in copy_results(acts, copies):
            if isinstance(result, InvalidInputError):
                self.report.dropped.append((key.doc, f"sentence {key.number}: {result}"))
                continue
            alignment, stats = result
            self.buffer.add(key, sentence, acts, alignment)
            previous = self.stats.get(key.doc)
            self.stats[key.doc] = stats if previous is None else previous + stats
            totals = self.totals.setdefault(key.doc, [0, 0])
            totals[0] += 1
            totals[1] += len(acts.tokens)
            self.report.sentences += 1
            self.report.tokens += len(acts.tokens)
            self.partial[key.doc] = self.partial.get(key.doc, 0.0) + len(sentence.text) * self.bytes_per_char[key.doc]

    def _flush(self) -> None:
        """Append buffered rows, then mark the documents they complete (one commit each)."""
        if len(self.buffer):
            tokens, sentences = self.buffer.take()
            self.db.tokens.add(tokens)
            self.db.sentences.add(sentences)
        finished, self.finished = self.finished, []
        failed = [doc for doc in finished if doc in self.failed]
        if failed:  # partly read: drop what was written (rows, then the pending row)
            self.db.drop_documents(failed)
            for doc in failed:
                self.report.skipped.append((doc, self.failed.pop(doc)))
                self.stats.pop(doc, None)
                self.totals.pop(doc, None)
            finished = [doc for doc in finished if doc not in set(failed)]
        if not finished:
            return
        stats_rows = [
            {"doc": doc, "doc_hash": self.hashes[doc], "stats_json": json.dumps(self.stats.pop(doc).to_record())}
            for doc in finished
            if doc in self.stats
        ]
        if stats_rows:
            self.db.head_stats.add(pa.Table.from_pylist(stats_rows, schema=head_stats_schema()))
        rows = []
        for doc in finished:
            sentences_count, tokens_count = self.totals.pop(doc, [0, 0])
            if sentences_count:
                rows.append(_doc_row(doc, self.hashes[doc], INDEXED, sentences_count, tokens_count))
                self.report.indexed.append(doc)
            else:
                rows.append(_doc_row(doc, self.hashes[doc], SKIPPED, reason="no sentences"))
                self.report.skipped.append((doc, "no sentences"))
        self.db.upsert_documents(rows)

    # ---------------------------------------------------------------- progress

    def _file_done(self, size: int) -> None:
        self.files_done += 1
        self.bytes_done += size
        self._report()

    def _report(self) -> None:
        if self.progress is None:
            return
        elapsed = max(time.perf_counter() - self.began, 1e-9)
        self.progress(
            IndexProgress(
                files_done=self.files_done,
                files_total=self.files_total,
                sentences=self.report.sentences,
                tokens=self.report.tokens,
                tokens_per_s=self.report.tokens / elapsed,
                current=self.current,
                fraction=min((self.bytes_done + sum(self.partial.values())) / self.bytes_total, 1.0),
            )
        )


def _doc_row(doc: str, digest: str, status: str, sentences: int = 0, tokens: int = 0, reason: str = "") -> dict:
    return {"doc": doc, "hash": digest, "sentences": sentences, "tokens": tokens, "status": status, "reason": reason}


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _groups(sources: list[Source], sizes: dict[str, int], limit: int) -> Iterator[list[Source]]:
    group: list[Source] = []
    total = 0
    for source in sources:
        group.append(source)
        total += sizes[source.doc]
        if total >= limit:
            yield group
            group, total = [], 0
    if group:
        yield group
