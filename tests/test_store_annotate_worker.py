"""spaCy in a forked child ahead of the model: the same rows, errors and cancel like inline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.annotate_worker import (
    DocEnd,
    DocFailed,
    annotated_in_child,
    child_processes_available,
    document_events,
)
from exbert_ls.store.sources import Source
from exbert_ls.store.verify import verify

pytestmark = pytest.mark.skipif(not child_processes_available(), reason="needs a platform that forks")


def _sources(paths: list[Path]) -> list[tuple[Source, str]]:
    return [(Source(str(p), p, "text"), f"hash{i}") for i, p in enumerate(paths)]


def test_the_child_sends_the_events_the_inline_path_makes(tmp_path: Path, annotator) -> None:
    docs = _sources(write_corpus(tmp_path / "c", docs=3))
    inline = list(document_events(docs, lambda: annotator.nlp, 20_000))
    with annotated_in_child(docs, lambda: annotator.nlp, 20_000) as child:
        got = list(child)
    assert got == inline
    assert [e.doc for e in got if isinstance(e, DocEnd)] == [s.doc for s, _ in docs]


def test_a_file_that_vanished_is_a_failure_event_not_a_crash(tmp_path: Path, annotator) -> None:
    docs = _sources(write_corpus(tmp_path / "c", docs=2))
    docs[0][0].path.unlink()
    with annotated_in_child(docs, lambda: annotator.nlp, 20_000) as child:
        got = list(child)
    assert isinstance(got[0], DocFailed) and got[0].doc == docs[0][0].doc
    assert got[1] == DocEnd(docs[0][0].doc) and any(isinstance(e, tuple) for e in got[2:])


def test_an_error_in_the_child_is_raised_in_the_parent(tmp_path: Path) -> None:
    docs = _sources(write_corpus(tmp_path / "c", docs=1))

    def broken() -> object:
        raise RuntimeError("the pipeline is broken")

    with annotated_in_child(docs, broken, 20_000) as child, pytest.raises(RuntimeError, match="pipeline is broken"):
        list(child)


def test_indexing_with_the_child_gives_the_rows_of_an_inline_run(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    write_corpus(tmp_path / "c", docs=4)
    child, inline = str(tmp_path / "child"), str(tmp_path / "inline")
    bert = tiny_runners["bert"]
    index_paths([tmp_path / "c"], child, bert, annotator=annotator, config=IndexConfig(spacy_process=True))
    index_paths([tmp_path / "c"], inline, bert, annotator=annotator, config=IndexConfig(spacy_process=False))
    assert_same_rows(snapshot(child), snapshot(inline))


def test_cancel_kills_the_child_and_leaves_the_database_consistent(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch
) -> None:
    from exbert_ls.store import annotate_worker

    write_corpus(tmp_path / "c", docs=6, per_doc=12)
    cancel = threading.Event()
    children: list[annotate_worker.annotated_in_child] = []
    real_init = annotate_worker.annotated_in_child.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_init(self, *args, **kwargs)
        children.append(self)
        cancel.set()  # cancelled while the child annotates

    monkeypatch.setattr(annotate_worker.annotated_in_child, "__init__", init)
    uri = str(tmp_path / "db")
    config = IndexConfig(spacy_process=True)
    report = index_paths([tmp_path / "c"], uri, tiny_runners["bert"], annotator=annotator, cancel=cancel, config=config)
    assert report.cancelled and children
    assert not children[0]._process.is_alive()
    assert verify(CorpusDB.open(uri)) == []


def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    """A parent killed by SIGKILL takes the child with it: the writer lock's descriptor the child
    inherited is released, and no orphan keeps annotating."""
    corpus = tmp_path / "c"
    write_corpus(corpus, docs=40, per_doc=30)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from exbert_ls.annotate.words import SpacyAnnotator
        from exbert_ls.store.annotate_worker import annotated_in_child
        from exbert_ls.store.sources import Source
        annotator = SpacyAnnotator()
        annotator.nlp
        paths = sorted(Path({str(corpus)!r}).glob("*.txt")) * 50
        child = annotated_in_child([(Source(str(p), p, "text"), "h") for p in paths], lambda: annotator.nlp, 20000)
        print(child._process.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(child_pid):
            time.sleep(0.1)
        assert not _alive(child_pid)
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie (not yet reaped) is dead


def test_the_child_starts_while_another_thread_reads_stdin(tmp_path: Path) -> None:
    """The language server reads the protocol from stdin in a thread. multiprocessing's child
    start closes stdin, which waits on the buffer lock that thread held at the fork: without the
    at-fork detach the child hung before annotating anything (the server's index jobs never
    reported progress)."""
    corpus = tmp_path / "c"
    write_corpus(corpus, docs=2)
    script = textwrap.dedent(
        f"""
        import sys, threading
        from pathlib import Path
        from exbert_ls.annotate.words import SpacyAnnotator
        from exbert_ls.store.annotate_worker import DocEnd, annotated_in_child
        from exbert_ls.store.sources import Source
        annotator = SpacyAnnotator()
        annotator.nlp
        reader = threading.Thread(target=sys.stdin.buffer.read, daemon=True)  # blocks: stdin stays open
        reader.start()
        paths = sorted(Path({str(corpus)!r}).glob("*.txt"))
        with annotated_in_child([(Source(str(p), p, "text"), "h") for p in paths], lambda: annotator.nlp, 20000) as child:
            ends = [e for e in child if isinstance(e, DocEnd)]
        print(len(ends), flush=True)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        line = _readline_within(parent, 120)
        assert line.strip() == "2"
    finally:
        parent.kill()
        parent.wait()


def _readline_within(process: subprocess.Popen[str], seconds: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(seconds)
    assert result, f"the child produced nothing within {seconds} s (hung at its start?)"
    return result[0]
