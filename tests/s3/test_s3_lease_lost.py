"""A writer that loses its lease mid-run stops writing at once; the new holder ends with exactly a
clean run's rows (issue 10: one writer at a time on an object store).

Two ways to lose it, both against the real S3 server: the holder's heartbeat hangs while its run
goes on (it must stop by itself before anyone can take over), and the whole holder freezes
(SIGSTOP) between two writes while another writer takes over (on waking it must not write
again: the CLI exits 2 with one line naming the new holder).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import lancedb.table
import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus
from test_s3_cli import ROOT, _env, _option_args

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, index_paths, lease
from exbert_ls.store.verify import verify

CONFIG = IndexConfig(batch_size=4, pool_sentences=8, flush_tokens=100)
WRITES = ("add", "delete", "update", "merge_insert")


def _clean_rows(corpus: Path, tmp_path: Path, runner: ModelRunner, annotator: Any) -> dict:
    clean = str(tmp_path / "clean")
    index_paths([corpus], clean, runner, annotator=annotator, config=CONFIG)
    return snapshot(clean)


def test_a_writer_whose_heartbeat_hangs_stops_before_the_taker_and_the_taker_ends_clean(
    s3_uri: str, s3_options, tmp_path: Path, tiny_runners, annotator, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=12, per_doc=8)
    runner = tiny_runners["bert"]
    leases: list[lease.Lease] = []
    real_init = lease.Lease.__init__

    def init(self: lease.Lease, *args: Any) -> None:
        real_init(self, *args)
        leases.append(self)

    hang, unhang = threading.Event(), threading.Event()
    real_put = lease.Lease._put

    def put(self: lease.Lease, body: bytes) -> None:
        if self is leases[0] and hang.is_set() and threading.current_thread().name == "exbert-lease":
            unhang.wait()  # the first writer's renewal hangs (a frozen connection)
        real_put(self, body)

    monkeypatch.setattr(lease.Lease, "__init__", init)
    monkeypatch.setattr(lease.Lease, "_put", put)

    # every write the first writer makes: was its lease still surely its own, and the store's?
    writes: list[tuple[str, str, float, bool]] = []
    for name in WRITES:
        real = getattr(lancedb.table.LanceTable, name)

        def wrapped(table: Any, *args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            if threading.current_thread().name == "w1":
                found = lease.read_lease(leases[0].store)
                ours = found is not None and found[0].get("token") == leases[0].token
                writes.append((_name, table.name, leases[0].remaining(), ours))
            result = _real(table, *args, **kwargs)
            if _name == "add" and table.name == "tokens" and threading.current_thread().name == "w1":
                hang.set()
            return result

        monkeypatch.setattr(lancedb.table.LanceTable, name, wrapped)

    outcome: list[BaseException | None] = []

    def slow_progress(_progress: Any) -> None:
        time.sleep(0.3)  # the run goes on well past the lease's ttl (2 s) after the hang

    def first() -> None:
        try:
            index_paths([corpus], s3_uri, runner, annotator=annotator, config=CONFIG, progress=slow_progress)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    w1 = threading.Thread(target=first, name="w1")
    w1.start()
    assert hang.wait(240), "the first writer never appended a row"
    report = index_paths([corpus], s3_uri, runner, annotator=annotator, config=CONFIG, wait=True)
    unhang.set()
    w1.join(120)
    assert not w1.is_alive()

    assert len(outcome) == 1 and isinstance(outcome[0], lease.LeaseLostError), outcome
    assert "stopped writing" in str(outcome[0])
    assert writes and all(remaining > 0 and ours for _n, _t, remaining, ours in writes), writes
    assert report.recovered, "the first writer left no pending document behind"
    assert verify(CorpusDB.open(s3_uri)) == []
    assert_same_rows(snapshot(s3_uri), _clean_rows(corpus, tmp_path, runner, annotator))


# The CLI, frozen by SIGSTOP right after its first append of token rows; every write it starts
# after SIGCONT is logged to argv[1].
_FROZEN_CLI = textwrap.dedent(
    """
    import os, signal, sys
    import lancedb.table as t

    log, resumed, frozen = open(sys.argv[1], "a"), [False], [False]
    signal.signal(signal.SIGCONT, lambda *_: resumed.__setitem__(0, True))
    for name in ("add", "delete", "update", "merge_insert"):
        def wrapped(self, *a, _real=getattr(t.LanceTable, name), _name=name, **k):
            if resumed[0]:
                log.write(f"{_name} {self.name}\\n")
                log.flush()
            out = _real(self, *a, **k)
            if _name == "add" and self.name == "tokens" and not frozen[0]:
                frozen[0] = True
                os.kill(os.getpid(), signal.SIGSTOP)
            return out
        setattr(t.LanceTable, name, wrapped)
    from exbert_ls.cli import main
    sys.argv = ["exbert", *sys.argv[2:]]
    sys.exit(main())
    """
)


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


def test_a_frozen_cli_writer_wakes_writes_nothing_and_exits_2_naming_the_new_holder(
    weed, s3_uri: str, s3_options, tmp_path: Path, tiny_model_dirs, tiny_runners, annotator
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=12, per_doc=8)
    runner = tiny_runners["bert"]
    log = tmp_path / "writes-after-waking.log"
    command = ["index", str(corpus), "--db", s3_uri, "--quiet", "--model", str(tiny_model_dirs["bert"])]
    command += ["--batch-size", "4", "--pool-sentences", "8", "--flush-tokens", "100", *_option_args(weed)]
    process = subprocess.Popen(
        [sys.executable, "-c", _FROZEN_CLI, str(log), *command],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    taker: threading.Thread | None = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None and _state(process.pid) != "T":
            time.sleep(0.05)
        assert process.poll() is None, f"the writer ended before it froze: {process.communicate()[1]}"
        assert _state(process.pid) == "T"

        reports: list[Any] = []

        def take_over() -> None:
            reports.append(index_paths([corpus], s3_uri, runner, annotator=annotator, config=CONFIG, wait=True))

        taker = threading.Thread(target=take_over)
        taker.start()
        store = lease._store(s3_uri)
        while time.monotonic() < deadline:  # wake the frozen writer once the new holder is in
            found = lease.read_lease(store)
            if found is not None and found[0].get("pid") == os.getpid() and not found[0].get("released"):
                break
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGCONT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.communicate()
        if taker is not None:
            taker.join(240)
    assert process.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("exbert: error: lost the writer lease of ")
    assert f"to pid {os.getpid()} on " in lines[0] and "left its unfinished documents pending" in lines[0]
    assert not log.exists() or log.read_text() == "", log.read_text()  # nothing written after waking
    assert reports and reports[0].recovered
    assert verify(CorpusDB.open(s3_uri)) == []
    assert_same_rows(snapshot(s3_uri), _clean_rows(corpus, tmp_path, runner, annotator))
