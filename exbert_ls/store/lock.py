"""One writer at a time: the writer lock of a corpus database (docs/index.md, "Writer lock").

Local databases: an OS lock (``fcntl.flock``) on ``<db>/.writer.lock``. The kernel releases it
when its holder dies (kill -9 included), so a lock that can be taken means the previous writer
is gone and its ``pending`` documents may be recovered. Beside the lock a JSON holder record
(host, pid, start time, command) names the holder in the refusal message; it is informative
only, the flock decides.

Object stores (``s3://``, ``gs://``, ``az://``...) have no OS lock: there the writer holds a
lease object in the bucket, taken and renewed with conditional puts (store/lease.py), refused
with the same WriterBusyError. A lease can be lost while held (the writer froze past its ttl
and another took over), so :func:`writer_lock` yields a :class:`WriterHold` whose ``check()``
raises once this writer may no longer write; :func:`guard_cancel` and :func:`guard_db`
put that check in front of an index run's cancellation checks and of every table write.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from exbert_ls.errors import UnwritablePathError, WriterBusyError
from exbert_ls.inputs import os_error_message

if TYPE_CHECKING:
    from exbert_ls.store.db import CorpusDB

LOCK_NAME = ".writer.lock"
HOLDER_NAME = ".writer.json"
WAIT_POLL_S = 0.2


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def _local_path(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri


def holder(uri: str) -> dict[str, object] | None:
    """The holder record of the database's last (or current) writer, None if none was written."""
    try:
        with open(os.path.join(_local_path(uri), HOLDER_NAME), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def describe(record: dict[str, object] | None) -> str:
    if not record:
        return "an unknown process"
    return (
        f"pid {record.get('pid')} on {record.get('host')}, started {record.get('started')}, "
        f"command: {record.get('command')}"
    )


class WriterHold(Protocol):
    """The writer lock as held: ``check()`` raises (a WriterBusyError) once writing is no longer safe."""

    def check(self) -> None: ...


class _FlockHold:
    """The kernel keeps an flock until the holder closes it or dies: it is never lost."""

    def check(self) -> None:
        return None


@contextmanager
def writer_lock(uri: str, *, wait: bool = False, record: bool = True) -> Iterator[WriterHold]:
    """Hold the database's writer lock for the ``with`` body.

    Raises :class:`WriterBusyError` naming the holder if another writer holds it, unless
    ``wait`` (then blocks until it is free). The lock is per open file, so a second writer in
    the same process (a second Index Workspace) is refused too. A lease lost while held raises
    :class:`~exbert_ls.store.lease.LeaseLostError` from the hold's ``check()`` and at the end.
    """
    if not is_local(uri):
        from exbert_ls.store.lease import lease_lock

        with lease_lock(uri, wait=wait) as lease:
            yield lease
        return
    root = _local_path(uri)
    try:
        os.makedirs(root, exist_ok=True)
        fd = os.open(os.path.join(root, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UnwritablePathError(f"cannot open the database {uri!r} for writing: {os_error_message(exc)}") from exc
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise WriterBusyError(
                        f"the database {uri!r} is being written by {describe(holder(uri))}; "
                        "wait for it to finish (or `exbert index --wait`)"
                    ) from None
                time.sleep(WAIT_POLL_S)
        if record:
            _write_holder(root)
        yield _FlockHold()
    finally:
        os.close(fd)  # releases the flock


def probe(uri: str) -> None:
    """Refuse at once (before loading a model) if another writer holds ``uri``; takes nothing."""
    if not is_local(uri):
        from exbert_ls.store.lease import probe_lease

        probe_lease(uri)
        return
    if not os.path.exists(os.path.join(_local_path(uri), LOCK_NAME)):
        return
    with writer_lock(uri, record=False):
        pass


class _GuardedCancel(threading.Event):
    """``cancel`` whose ``is_set()`` first runs the hold's check: an index run checks it per
    sentence and per model batch, so a lost lease stops the run there, by an exception, before
    the cancel path's writes (flushing finished documents, dropping the rest) could run."""

    def __init__(self, inner: threading.Event, hold: WriterHold) -> None:
        super().__init__()
        self._inner, self._hold = inner, hold

    def is_set(self) -> bool:
        self._hold.check()
        return self._inner.is_set()

    def set(self) -> None:
        self._inner.set()

    def clear(self) -> None:
        self._inner.clear()

    def wait(self, timeout: float | None = None) -> bool:
        self._hold.check()
        return self._inner.wait(timeout)


def guard_cancel(cancel: threading.Event | None, hold: WriterHold) -> threading.Event:
    """The run's cancel event, raising the hold's error once the lock is lost (see above)."""
    return _GuardedCancel(cancel or threading.Event(), hold)


_WRITES = frozenset({"add", "delete", "update", "merge_insert", "create_index", "optimize", "restore"})


class _GuardedTable:
    """A LanceDB table whose write methods run the hold's check as they are looked up, i.e.
    immediately before each write."""

    def __init__(self, table: Any, hold: WriterHold) -> None:
        self._table, self._hold = table, hold

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            self._hold.check()
        return getattr(self._table, name)


def guard_db(db: CorpusDB, hold: WriterHold) -> CorpusDB:
    """``db`` (same connection, tables and meta) with every table write running the hold's
    check first: after a lost lease no commit starts, so nothing more is written and nothing
    is marked indexed."""
    guarded = _guarded_db_class().__new__(_guarded_db_class())
    guarded.__dict__.update(db.__dict__, _hold=hold)  # same connection and table cache
    return guarded


@functools.cache
def _guarded_db_class() -> type[CorpusDB]:
    from exbert_ls.store.db import CorpusDB  # lancedb loads only for a write, not for probe()

    class GuardedDB(CorpusDB):
        _hold: WriterHold

        def table(self, name: str) -> Any:
            return _GuardedTable(CorpusDB.table(self, name), self._hold)

    return GuardedDB


def _write_holder(root: str) -> None:
    record = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv)[:500],
    }
    tmp = os.path.join(root, HOLDER_NAME + f".{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(tmp, os.path.join(root, HOLDER_NAME))
