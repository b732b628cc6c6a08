"""Kill -9 an indexing subprocess mid-run, twice; a re-run must end with exactly a clean run's rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lancedb
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.verify import verify

DOCS = 30


def _count(uri: str, table: str, where: str | None = None) -> int:
    try:
        return int(lancedb.connect(uri).open_table(table).count_rows(where))
    except (ValueError, FileNotFoundError, RuntimeError, OSError):
        return 0  # not created yet


def _indexed(uri: str) -> int:
    return _count(uri, "documents", "status = 'indexed'")


def _index_command(corpus: Path, uri: str, model: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "exbert_ls",
        "index",
        str(corpus),
        "--db",
        uri,
        "--model",
        str(model),
        "--quiet",
        "--batch-size",
        "4",
        "--pool-sentences",
        "8",
        "--flush-tokens",
        "100",
    ]


def _kill_when(command: list[str], ready: Callable[[], bool]) -> None:
    """Start ``command`` and SIGKILL it as soon as ``ready()`` holds (it must still be running)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and process.poll() is None and not ready():
            time.sleep(0.02)
        assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read()!r}"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL


def test_sigkill_twice_then_rerun_equals_clean_run(
    tmp_path: Path, tiny_model_dirs: dict[str, Path], tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=DOCS, per_doc=10)
    uri = str(tmp_path / "killed")
    command = _index_command(corpus, uri, tiny_model_dirs["bert"])

    # 1. killed while its first token rows exist: those documents are still pending
    _kill_when(command, lambda: _count(uri, "tokens") > 0)
    assert _count(uri, "documents", "status = 'pending'") > 0
    # 2. killed again after it recovered and completed more documents
    done = _indexed(uri)
    _kill_when(command, lambda: _indexed(uri) > done)
    indexed_before = _indexed(uri)
    assert done < indexed_before < DOCS

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"unchanged {indexed_before}" in rerun.stdout
    assert f"indexed {DOCS - indexed_before}," in rerun.stdout
    db = CorpusDB.open(uri)
    assert verify(db) == []

    clean = str(tmp_path / "clean")  # same model files, loaded in this process
    index_paths([corpus], clean, tiny_runners["bert"], annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))
