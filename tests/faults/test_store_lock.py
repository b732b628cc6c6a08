"""One writer at a time: a second writer is refused naming the holder; a dead holder's lock is free."""

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
from test_index_crash import _count, _index_command
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.errors import WriterBusyError
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.lock import holder, writer_lock
from exbert_ls.store.verify import verify

_HOLD = textwrap.dedent(
    """
    import sys, time
    from exbert_ls.store.lock import writer_lock
    with writer_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _holder_process(uri: str, seconds: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, uri, str(seconds)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_second_writer_is_refused_naming_the_holder_then_a_killed_holder_frees_it(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=3, per_doc=4)
    uri = str(tmp_path / "db")
    process = _holder_process(uri, 600)
    try:
        with pytest.raises(WriterBusyError, match=f"pid {process.pid} on "):
            index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)
        assert not (Path(uri) / "tokens.lance").exists()  # refused before touching anything
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        process.kill()
    report = index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)
    assert len(report.indexed) == 3
    record = holder(uri)
    assert record is not None and record["pid"] == os.getpid()


def test_a_second_writer_in_the_same_process_is_refused(tmp_path: Path, tiny_runners, annotator) -> None:
    """The server's second Index Workspace: the lock is per open file, not per process."""
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=1, per_doc=2)
    uri = str(tmp_path / "db")
    with writer_lock(uri), pytest.raises(WriterBusyError, match="being written by pid"):
        index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)


def test_wait_waits_for_the_holder(tmp_path: Path, tiny_runners, annotator) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=1, per_doc=2)
    uri = str(tmp_path / "db")
    process = _holder_process(uri, 1.0)
    try:
        report = index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator, wait=True)
        assert process.poll() is not None  # it could only start once the holder was gone
        assert len(report.indexed) == 1
    finally:
        process.kill()
        process.wait()


def test_cli_writer_refused_while_a_cli_writer_runs_then_rows_equal_a_clean_run(
    tmp_path: Path, tiny_model_dirs: dict[str, Path], tiny_runners, annotator
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=60, per_doc=10)
    uri = str(tmp_path / "db")
    command = _index_command(corpus, uri, tiny_model_dirs["bert"])
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while first.poll() is None and _count(uri, "tokens") == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.poll() is None, "the first run ended before the second could start"
        second = subprocess.run(command, capture_output=True, text=True, timeout=300)
        still_running = first.poll() is None
        _out, err = first.communicate(timeout=600)
    finally:
        first.kill()
    assert still_running
    assert second.returncode == 2
    assert second.stderr.count("\n") == 1 and f"pid {first.pid}" in second.stderr, second.stderr
    assert first.returncode == 0, err
    assert verify(CorpusDB.open(uri)) == []
    clean = str(tmp_path / "clean")
    index_paths([corpus], clean, tiny_runners["bert"], annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))


def test_readers_work_during_a_write_and_never_see_pending_rows(tmp_path: Path, tiny_runners, annotator) -> None:
    from exbert_ls.search.engine import token_frame
    from exbert_ls.store.db import sql_list
    from exbert_ls.store.schema import INDEXED

    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=6, per_doc=6)
    uri = str(tmp_path / "db")
    bert = tiny_runners["bert"]
    index_paths([corpus / "doc00.txt"], uri, bert, annotator=annotator)
    checks: list[tuple[int, int, int]] = []

    def progress(_p: object) -> None:  # runs inside the writer: lock held, rows pending
        db = CorpusDB.open(uri)
        live = [d for d, s in db.document_states().items() if s.status == INDEXED]
        want = db.tokens.count_rows(f"special = false AND doc IN {sql_list(live)}")
        checks.append((int(token_frame(db).searchable.sum()), want, db.num_tokens()))

    config = IndexConfig(flush_tokens=50, pool_sentences=4, batch_size=2)
    index_paths([corpus], uri, bert, annotator=annotator, progress=progress, config=config)
    assert all(got == want for got, want, _ in checks), checks
    assert any(total > want for _, want, total in checks)  # some rows were pending when read


def test_server_index_workspace_is_refused_while_another_process_writes(
    tmp_path: Path, tiny_model_dirs: dict[str, Path]
) -> None:
    """CLI + server: the server's Index Workspace meets the same lock as the CLI."""
    from exbert_ls.server.config import settings_from
    from exbert_ls.server.handlers import index_workspace
    from exbert_ls.server.protocol import IndexArgs
    from exbert_ls.server.state import ServerState

    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=1, per_doc=2)
    uri = str(tmp_path / "db")
    state = ServerState()
    state.set_folders([tmp_path])
    state.configure(settings_from({"model": str(tiny_model_dirs["bert"]), "databasePath": uri}))
    process = _holder_process(uri, 600)
    try:
        with pytest.raises(WriterBusyError, match=f"pid {process.pid} on "):
            index_workspace(state, IndexArgs(paths=[str(corpus)]), threading.Event(), lambda _p: None)
        assert not state.indexing.is_set()
    finally:
        process.kill()
        process.wait()
    result = index_workspace(state, IndexArgs(paths=[str(corpus)]), threading.Event(), lambda _p: None)
    assert len(result.indexed) == 1
