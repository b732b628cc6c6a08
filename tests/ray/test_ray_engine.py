"""The Ray engine (``index_paths(..., engine="ray")``) on a local Ray cluster, with MiniLM.

Its rows must equal the local engine's bit for bit (same pools and batches, same row code),
and it keeps the local engine's guarantees: incremental re-runs, a killed worker or driver
re-runs to a clean run's rows, one writer, cancellation leaves the table consistent.

No ``__init__.py`` here: a package named ``ray`` would shadow Ray itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray.data", reason="Ray is not installed (pip install 'exbert-ls[ray]')")

import lancedb
import pyarrow as pa
import ray
import torch
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.errors import WriterBusyError
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, IndexProgress, index_paths
from exbert_ls.store.lock import writer_lock
from exbert_ls.store.ray_engine import RayOptions
from exbert_ls.store.verify import verify

ROOT = Path(__file__).resolve().parents[2]
# small pools and flushes: several pools per document, several appends per run
CONFIG = IndexConfig(batch_size=4, pool_sentences=6, flush_tokens=120)
# bit-identical floats need the local run's torch thread count (reductions split by thread)
THREADS = torch.get_num_threads()
SAME = RayOptions(torch_threads=THREADS)
SORT_KEYS = {
    "tokens": ["sentence", "position"],
    "sentences": ["sentence"],
    "head_stats": ["doc"],
    "documents": ["doc"],
}


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    # 3 logical CPUs: two model actors and the annotation tasks (GUIDE §8: leave CPUs for tasks)
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ray") / "corpus"
    write_corpus(root, docs=4, per_doc=8)
    return root


@pytest.fixture(scope="module")
def local_uri(corpus: Path, minilm: ModelRunner, annotator, tmp_path_factory: pytest.TempPathFactory) -> str:
    uri = str(tmp_path_factory.mktemp("local") / "db")
    index_paths([corpus], uri, minilm, annotator=annotator, config=CONFIG)
    return uri


def tables(uri: str) -> dict[str, object]:
    """Every data table, sorted by its key (row order is not part of the contract)."""
    conn = lancedb.connect(uri)
    return {
        name: conn.open_table(name).to_arrow().sort_by([(k, "ascending") for k in keys])
        for name, keys in SORT_KEYS.items()
    }


def vector_checksum(uri: str) -> str:
    tokens = tables(uri)["tokens"]
    digest = hashlib.sha256()
    for field in tokens.schema:  # type: ignore[attr-defined]
        if pa.types.is_fixed_size_list(field.type):  # hidden, context, max_att and max_att_w
            digest.update(tokens[field.name].combine_chunks().flatten().to_numpy().tobytes())  # type: ignore[index]
    return digest.hexdigest()


def assert_identical(got: str, want: str) -> None:
    a, b = tables(got), tables(want)
    for name in SORT_KEYS:
        assert a[name].num_rows == b[name].num_rows > 0, name  # type: ignore[attr-defined]
        assert a[name].equals(b[name]), f"table {name} differs"  # type: ignore[attr-defined]
    assert vector_checksum(got) == vector_checksum(want)


def test_rows_identical_to_the_local_engine(
    corpus: Path, local_uri: str, minilm: ModelRunner, annotator, tmp_path: Path
) -> None:
    uri = str(tmp_path / "db")
    seen: list[IndexProgress] = []
    report = index_paths(
        [corpus],
        uri,
        minilm,
        annotator=annotator,
        config=CONFIG,
        engine="ray",
        ray=RayOptions(workers=2, torch_threads=THREADS),
        progress=seen.append,
    )
    assert len(report.indexed) == 4 and report.sentences > CONFIG.pool_sentences
    assert seen and seen[-1].fraction == pytest.approx(1.0) and seen[-1].files_done == 4
    assert verify(CorpusDB.open(uri, runner=minilm)) == []
    assert_identical(uri, local_uri)

    # incremental: a second run reads only what changed
    again = index_paths([corpus], uri, minilm, annotator=annotator, config=CONFIG, engine="ray", ray=SAME)
    assert sorted(again.unchanged) == sorted(report.indexed) and again.indexed == [] and again.sentences == 0
    changed = sorted(corpus.iterdir())[1]
    original = changed.read_text(encoding="utf-8")
    try:
        changed.write_text("The Scarecrow asked the Wizard for a brain.\n\n" + original, encoding="utf-8")
        edit = index_paths([corpus], uri, minilm, annotator=annotator, config=CONFIG, engine="ray", ray=SAME)
        assert edit.indexed == [str(changed)] and len(edit.unchanged) == 3
        # the local engine through the same two runs (an edit's pools hold only that document)
        local = str(tmp_path / "local-edited")
        shutil.copytree(local_uri, local)
        index_paths([corpus], local, minilm, annotator=annotator, config=CONFIG)
        assert_identical(uri, local)
    finally:
        changed.write_text(original, encoding="utf-8")


def _actor_pids() -> list[int]:
    """Processes of the model actors (Ray titles them ``ray::_ModelWorker...``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if b"ray::_ModelWorker" in handle.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def test_a_killed_worker_is_restarted_and_the_rows_equal_a_clean_run(
    corpus: Path, local_uri: str, minilm: ModelRunner, annotator, tmp_path: Path
) -> None:
    killed: list[int] = []

    def kill_an_actor(p: IndexProgress) -> None:
        if not killed and p.sentences > 0:  # the first pool came back: others are in flight
            pids = _actor_pids()  # this run's actor (and any of an earlier run still exiting)
            assert pids, "no model actor process found"
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            killed.extend(pids)

    uri = str(tmp_path / "db")
    report = index_paths(
        [corpus],
        uri,
        minilm,
        annotator=annotator,
        config=CONFIG,
        engine="ray",
        ray=RayOptions(workers=1, torch_threads=THREADS),
        progress=kill_an_actor,
    )
    assert killed and len(report.indexed) == 4
    assert verify(CorpusDB.open(uri)) == []
    assert_identical(uri, local_uri)


def test_cancel_leaves_a_consistent_table_and_a_rerun_completes_it(
    corpus: Path, local_uri: str, minilm: ModelRunner, annotator, tmp_path: Path
) -> None:
    cancel = threading.Event()

    def stop_after_first_document(p: IndexProgress) -> None:
        if p.files_done >= 1:
            cancel.set()

    uri = str(tmp_path / "db")
    report = index_paths(
        [corpus],
        uri,
        minilm,
        annotator=annotator,
        config=CONFIG,
        engine="ray",
        cancel=cancel,
        progress=stop_after_first_document,
    )
    assert report.cancelled and 0 < len(report.indexed) < 4
    db = CorpusDB.open(uri)
    assert verify(db) == []  # no pending document, rows exactly those of the indexed ones
    rerun = index_paths([corpus], uri, minilm, annotator=annotator, config=CONFIG, engine="ray", ray=SAME)
    assert sorted(rerun.unchanged) == sorted(report.indexed) and len(rerun.indexed) == 4 - len(report.indexed)
    assert verify(CorpusDB.open(uri)) == []
    # the re-run pools only the documents left, so its batches differ from a clean run's: equal
    # up to float16's last bit (the local engine's crash test allows the same)
    assert_same_rows(snapshot(uri), snapshot(local_uri))


def test_a_second_writer_is_refused(corpus: Path, minilm: ModelRunner, annotator, tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    with writer_lock(uri), pytest.raises(WriterBusyError, match="being written by"):
        index_paths([corpus], uri, minilm, annotator=annotator, config=CONFIG, engine="ray", ray=SAME)


def _count(uri: str, table: str, where: str | None = None) -> int:
    try:
        return int(lancedb.connect(uri).open_table(table).count_rows(where))
    except (ValueError, FileNotFoundError, RuntimeError, OSError):
        return 0


def test_a_killed_driver_reruns_to_a_clean_runs_rows(corpus: Path, local_uri: str, tmp_path: Path) -> None:
    """SIGKILL the CLI driver (connected to this module's cluster) once rows exist; re-run."""
    uri = str(tmp_path / "db")
    command = [
        sys.executable, "-m", "exbert_ls", "index", str(corpus), "--db", uri, "--quiet",
        "--engine", "ray", "--address", ray.get_runtime_context().gcs_address,
        "--batch-size", str(CONFIG.batch_size), "--pool-sentences", str(CONFIG.pool_sentences),
        "--flush-tokens", str(CONFIG.flush_tokens),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and process.poll() is None and _count(uri, "tokens") == 0:
            time.sleep(0.02)
        assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read()!r}"  # type: ignore[union-attr]
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert _count(uri, "documents", "status = 'pending'") > 0, "killed mid-run: documents were still pending"

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert "done: indexed" in rerun.stdout
    assert verify(CorpusDB.open(uri)) == []
    # the CLI's actors run 1 torch thread (--workers' default CPU), the local run 2: equal rows up
    # to float16's last bit, as the local engine's own crash test allows
    assert_same_rows(snapshot(uri), snapshot(local_uri))
