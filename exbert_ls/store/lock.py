"""One writer at a time: the writer lock of a corpus database (docs/index.md, "Writer lock").

Local databases: an OS lock (``fcntl.flock``) on ``<db>/.writer.lock``. The kernel releases it
when its holder dies (kill -9 included), so a lock that can be taken means the previous writer
is gone and its ``pending`` documents may be recovered. Beside the lock a JSON holder record
(host, pid, start time, command) names the holder in the refusal message; it is informative
only, the flock decides.

Object stores (``s3://``, ``gs://``, ``az://``...) have no OS lock: there the writer holds a
lease object in the bucket, taken and renewed with conditional puts (store/lease.py), refused
with the same WriterBusyError.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from exbert_ls.errors import UnwritablePathError, WriterBusyError
from exbert_ls.inputs import os_error_message

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


@contextmanager
def writer_lock(uri: str, *, wait: bool = False, record: bool = True) -> Iterator[None]:
    """Hold the database's writer lock for the ``with`` body.

    Raises :class:`WriterBusyError` naming the holder if another writer holds it, unless
    ``wait`` (then blocks until it is free). The lock is per open file, so a second writer in
    the same process (a second Index Workspace) is refused too.
    """
    if not is_local(uri):
        from exbert_ls.store.lease import lease_lock

        with lease_lock(uri, wait=wait):
            yield
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
        yield
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
