"""A document's annotated sentences, inline or from a child process ahead of the model.

:func:`document_events` is the one definition of what an indexing run reads: each document's
sentences in order (spaCy for text, gold annotations for CoNLL-U), then its end marker, or a
failure marker if the file vanished or became unreadable while streamed.

:class:`annotated_in_child` runs it in a forked child (``IndexConfig.spacy_process``): spaCy and
the model's forward are both CPU-bound, and in a thread spaCy's Python parts wait for the GIL
the model's Python parts hold. The fork shares the parent's loaded spaCy pipeline (nothing is
loaded again); the child reads each file itself and sends sentences in batches through a bounded
queue (memory bounded whatever the file). Closing it (the run ended, was cancelled or failed)
kills the child at once, and the child dies with its parent (``PR_SET_PDEATHSIG``): the writer
lock's file descriptor it inherited never outlives the writer.

The language server reads the protocol from stdin in a thread, so at the fork that thread holds
stdin's buffer lock; multiprocessing's child start closes ``sys.stdin`` and flushes
``sys.stdout``, which would wait on that lock forever (or write the parent's unflushed protocol
bytes a second time). :func:`_detach_std_streams` runs in the child right after the fork, before
that start, and points both at ``/dev/null``.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from exbert_ls.errors import UnreadableInputError
from exbert_ls.store.conllu import conllu_sentences
from exbert_ls.store.segment import Sentence, blank_line_pieces, spacy_sentences, stream_chunks
from exbert_ls.store.sources import Source, iter_text


@dataclass(frozen=True)
class DocEnd:
    doc: str


@dataclass(frozen=True)
class DocFailed:
    """The document's file failed while streamed: its sentences so far are to be dropped."""

    doc: str
    reason: str


Event = tuple[str, str, Sentence] | DocEnd | DocFailed
"""``(doc, hash, sentence)``, a document's end, or its failure (then its end)."""


def document_events(docs: Sequence[tuple[Source, str]], nlp: Callable[[], Any], chunk_chars: int) -> Iterator[Event]:
    """Annotated sentences of each ``(source, hash)`` in order, then its end marker. The text
    is streamed from the file block by block. ``nlp`` gives the spaCy pipeline (asked for only
    when a text document comes)."""
    for source, digest in docs:
        blocks = iter_text(source)
        if source.kind == "conllu":
            sentences: Iterator[Sentence] = (
                sentence for piece in blank_line_pieces(blocks) for sentence in conllu_sentences(piece)
            )
        else:
            sentences = spacy_sentences(nlp(), stream_chunks(blocks, chunk_chars))
        try:
            for sentence in sentences:
                yield source.doc, digest, sentence
        except UnreadableInputError as exc:  # vanished or unreadable since it was scanned
            yield DocFailed(source.doc, str(exc))
        yield DocEnd(source.doc)


def child_processes_available() -> bool:
    """Forking is how the child shares the loaded pipeline: Linux (and other fork platforms)."""
    return "fork" in multiprocessing.get_all_start_methods() and hasattr(os, "fork")


SEND_EVENTS = 64
"""Events per message: one pickle and one pipe write per 64 sentences, not per sentence."""
QUEUE_MESSAGES = 8
"""Messages in flight: the child runs at most ~512 sentences ahead of the model."""


class annotated_in_child:
    """``for event in annotated_in_child(docs, nlp, chunk_chars)``: the events of
    :func:`document_events`, computed in a forked child; errors re-raised here.

    ``close()`` (or leaving a ``with`` block) kills the child if it is still running.
    ``stopped``: asked while waiting for the child; once true the events end early (the run
    was cancelled while spaCy worked on a long piece)."""

    def __init__(
        self,
        docs: Sequence[tuple[Source, str]],
        nlp: Callable[[], Any],
        chunk_chars: int,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self._stopped = stopped
        context = multiprocessing.get_context("fork")
        self._queue: Any = context.Queue(maxsize=QUEUE_MESSAGES)
        self._process = context.Process(
            target=_child_main,
            args=(self._queue, os.getpid(), list(docs), nlp, chunk_chars),
            name="exbert-spacy",
            daemon=True,
        )
        with _FORKING, warnings.catch_warnings():
            # lancedb warns that its runtime in a forked child may deadlock: the child never
            # touches lancedb (it reads files and runs spaCy), so users need not see it
            warnings.filterwarnings("ignore", message="lancedb fork support", category=RuntimeWarning)
            _FORKING.active = True
            try:
                self._process.start()
            finally:
                _FORKING.active = False

    def __iter__(self) -> Iterator[Event]:
        while True:
            try:
                kind, payload = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._stopped():
                    return
                if not self._process.is_alive():
                    raise RuntimeError(
                        f"the annotation process exited unexpectedly (exit code {self._process.exitcode})"
                    ) from None
                continue
            if kind == "events":
                yield from payload
            elif kind == "error":
                raise payload
            else:
                return

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._queue.close()
        self._queue.join_thread()

    def __enter__(self) -> annotated_in_child:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _child_main(
    out: Any, parent: int, docs: list[tuple[Source, str]], nlp: Callable[[], Any], chunk_chars: int
) -> None:
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it kills us)
    batch: list[Event] = []
    try:
        for event in document_events(docs, nlp, chunk_chars):
            batch.append(event)
            if len(batch) >= SEND_EVENTS or isinstance(event, DocEnd):
                out.put(("events", batch))
                batch = []
        if batch:
            out.put(("events", batch))
        out.put(("done", None))
    except BaseException as exc:  # handed to the parent, which re-raises it
        try:
            out.put(("error", exc))
        except Exception:  # an exception that does not pickle
            out.put(("error", RuntimeError(f"annotation failed: {exc!r}")))
    finally:
        out.close()
        out.join_thread()


class _ForkFlag:
    """Set (under its lock, so one start at a time) while this module forks its child: the
    at-fork hook then knows the new process is ours. The child inherits the flag set."""

    def __init__(self) -> None:
        self.active = False
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()


_FORKING = _ForkFlag()
_DETACHED: list[object] = []
"""The parent's std streams, kept referenced in the child: their finaliser would take the
buffer lock another parent thread held at the fork."""


def _detach_std_streams() -> None:
    if not _FORKING.active:
        return
    _die_with_parent()  # first: nothing after the fork may outlive a parent that dies now
    _DETACHED.extend((sys.stdin, sys.stdout))
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - the child's stdin until it exits
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_detach_std_streams)


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's close() still kills us
        pass
