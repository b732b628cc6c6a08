"""Kill -9 an indexing subprocess mid-run; a re-run must end with exactly a clean run's rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lancedb
import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.verify import verify


def _count(uri: str, table: str, where: str | None = None) -> int:
    try:
        return int(lancedb.connect(uri).open_table(table).count_rows(where))
    except (ValueError, FileNotFoundError, RuntimeError, OSError):
        return 0  # not created yet


def _index_command(corpus: Path, uri: str, model: Path) -> list[str]:
    return [
        sys.executable, "-m", "exbert_ls", "index", str(corpus), "--db", uri, "--model", str(model),
        "--quiet", "--batch-size", "4", "--pool-sentences", "8", "--flush-tokens", "100",
    ]


@pytest.mark.parametrize("kill_when", ["first token rows", "some documents indexed"])
def test_sigkill_then_rerun_equals_clean_run(
    tmp_path: Path, tiny_model_dirs: dict[str, Path], tiny_runners: dict[str, ModelRunner], annotator, kill_when: str
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=30, per_doc=10)
    uri = str(tmp_path / "killed")
    command = _index_command(corpus, uri, tiny_model_dirs["bert"])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if kill_when == "first token rows":
                ready = _count(uri, "tokens") > 0
            else:
                ready = _count(uri, "documents", "status = 'indexed'") > 0
            if ready:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the run finished before it could be killed: enlarge the corpus"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    indexed_before = _count(uri, "documents", "status = 'indexed'")
    assert indexed_before < 30
    assert _count(uri, "documents", "status = 'pending'") > 0  # rows were being written

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"unchanged {indexed_before}" in rerun.stdout
    assert "half-written documents from an interrupted run" in rerun.stdout
    db = CorpusDB.open(uri)
    assert verify(db) == []

    clean = str(tmp_path / "clean")  # same model files, loaded in this process
    index_paths([corpus], clean, tiny_runners["bert"], annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))
