"""The writer lock of an object-store database (``s3://``, ``gs://``, ``az://``): a lease object.

An object store has no OS lock, so the writer holds a *lease*: the object ``<db>/.writer.lease``
(JSON: host, pid, start, command, ttl, a random token), written only with conditional puts:

- take: ``PUT If-None-Match: *`` (create only if absent); where a lease object exists and is
  released or expired, ``PUT If-Match: <its ETag>`` replaces it, so of two writers taking over
  the same stale lease exactly one wins (the other gets 412 and is refused);
- renew: a background thread rewrites it every ``ttl / 3`` with ``If-Match`` on the ETag of its
  own last write; a 412 means another writer took the lease over (this one stalled past the
  ttl) and the run ends with WriterBusyError instead of reporting success;
- release: ``If-Match`` rewrite marked ``released`` (never a plain DELETE, which S3 cannot make
  conditional: deleting could remove a lease another writer had just taken).

A lease is stale when released, or when the store's ``Last-Modified`` of the object is more than
its ttl old by this machine's clock: a writer killed with -9 stops renewing and its lease is
taken over after at most ttl (+ clock skew between this machine and the store). The ttl is
``$EXBERT_LEASE_TTL_S`` (default 60 s; tests use 2-3 s). Checked against SeaweedFS 4.48, which
honours both conditions (tests/s3); AWS S3 has supported them since 2024.

The puts go through ``obstore`` (Rust ``object_store``, the library LanceDB itself uses, so the
same ``storage_options`` keys and AWS variables apply); it is the ``s3`` extra.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from exbert_ls.errors import InvalidInputError, WriterBusyError
from exbert_ls.store.storage import storage_options, unreachable

LEASE_NAME = ".writer.lease"
TTL_ENV = "EXBERT_LEASE_TTL_S"
DEFAULT_TTL_S = 60.0
WAIT_POLL_S = 0.5
# object_store takes these as client options, not as store configuration
_CLIENT_KEYS = {
    "allow_http",
    "allow_invalid_certificates",
    "connect_timeout",
    "timeout",
    "pool_idle_timeout",
    "proxy_url",
    "user_agent",
    "http1_only",
    "http2_only",
}


class LeaseUnavailableError(InvalidInputError):
    """The object store cannot hold a lease (obstore missing, or an option it refuses)."""


def lease_ttl() -> float:
    raw = os.environ.get(TTL_ENV)
    if not raw:
        return DEFAULT_TTL_S
    try:
        ttl = float(raw)
    except ValueError:
        raise InvalidInputError(f"${TTL_ENV} must be a number of seconds, got {raw!r}") from None
    if ttl <= 0:
        raise InvalidInputError(f"${TTL_ENV} must be > 0, got {raw!r}")
    return ttl


def _store(uri: str) -> Any:
    try:
        from obstore.store import from_url
    except ImportError:
        raise LeaseUnavailableError(
            f"writing {uri} needs the object-store writer lease: pip install 'exbert-ls[s3]' (obstore)"
        ) from None
    # s3+ddb:// commits its tables through DynamoDB; the lease object still lives in the bucket
    url = "s3://" + uri[len("s3+ddb://") :] if uri.startswith("s3+ddb://") else uri
    options = storage_options(uri)
    client = {k: v for k, v in options.items() if k in _CLIENT_KEYS}
    config = {k: v for k, v in options.items() if k not in _CLIENT_KEYS and not k.startswith("ddb")}
    make: Any = from_url  # its overloads want TypedDicts per scheme; these are plain str -> str
    try:
        return make(url.rstrip("/"), config=config or None, client_options=client or None)
    except Exception as exc:  # obstore's own error types: an unknown key, a bad URL
        raise LeaseUnavailableError(f"cannot reach {uri} for the writer lease: {exc}") from exc


def _record(ttl: float, token: str, started: str, *, released: bool = False) -> bytes:
    return json.dumps(
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": started,
            "command": " ".join(sys.argv)[:500],
            "ttl_s": ttl,
            "token": token,
            # changes the content, hence the ETag (an MD5 of it), at every renewal
            "renewed": datetime.now(UTC).isoformat(timespec="microseconds"),
            "released": released,
        }
    ).encode()


def read_lease(store: Any, uri: str = "the object store") -> tuple[dict[str, Any], str | None, datetime] | None:
    """``(record, etag, last_modified)`` of the lease object, None when there is none."""
    import obstore

    try:
        got = obstore.get(store, LEASE_NAME)
    except FileNotFoundError:
        return None
    except Exception as exc:  # obstore's errors for no endpoint, credentials or server
        raise unreachable(uri, exc) from exc
    meta = got.meta
    try:
        record = json.loads(bytes(got.bytes()))
    except ValueError:
        record = {}
    return (record if isinstance(record, dict) else {}), meta.get("e_tag"), meta["last_modified"]


def is_stale(record: Mapping[str, Any], modified: datetime, ttl: float) -> bool:
    if record.get("released"):
        return True
    held_for = record.get("ttl_s")
    limit = float(held_for) if isinstance(held_for, (int, float)) else ttl
    return (datetime.now(UTC) - modified).total_seconds() > limit


def busy_error(uri: str, record: Mapping[str, Any] | None) -> WriterBusyError:
    from exbert_ls.store.lock import describe

    return WriterBusyError(
        f"the database {uri!r} is being written by {describe(dict(record) if record else None)}; "
        "wait for it to finish (or `exbert index --wait`)"
    )


class Lease:
    """A lease held on one database; renewed by a daemon thread until :meth:`release`."""

    def __init__(self, uri: str, store: Any, etag: str, ttl: float, token: str, started: str) -> None:
        self.uri, self.store, self.ttl, self.token, self.started = uri, store, ttl, token, started
        self._etag = etag
        self._lost: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name="exbert-lease", daemon=True)
        self._thread.start()

    def _put(self, body: bytes) -> None:
        import obstore

        result = obstore.put(self.store, LEASE_NAME, body, mode={"e_tag": self._etag})
        self._etag = str(result["e_tag"])

    def _renew_loop(self) -> None:
        from obstore.exceptions import PreconditionError

        while not self._stop.wait(self.ttl / 3):
            try:
                self._put(_record(self.ttl, self.token, self.started))
            except PreconditionError:
                found = read_lease(self.store, self.uri)
                self._lost = found[0] if found else {}
                print(f"exbert: error: lost the writer lease of {self.uri} to another writer", file=sys.stderr)
                return
            except Exception as exc:  # a network blip: keep trying until the ttl runs out
                print(f"exbert: warning: renewing the writer lease of {self.uri} failed: {exc}", file=sys.stderr)

    def release(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._lost is not None:
            from exbert_ls.store.lock import describe

            raise WriterBusyError(
                f"the writer lease of {self.uri!r} was taken over by {describe(self._lost or None)} while this "
                f"run wrote (it stalled past the lease's {self.ttl:g} s); check with `exbert verify --db {self.uri}`"
            )
        from obstore.exceptions import PreconditionError

        try:
            self._put(_record(self.ttl, self.token, self.started, released=True))
        except PreconditionError:
            found = read_lease(self.store, self.uri)
            raise busy_error(self.uri, found[0] if found else None) from None


def try_take(uri: str, store: Any, ttl: float) -> Lease | dict[str, Any]:
    """The lease, or the live holder's record when another writer holds it."""
    import obstore
    from obstore.exceptions import AlreadyExistsError, PreconditionError

    token = uuid.uuid4().hex
    started = datetime.now(UTC).isoformat(timespec="seconds")
    body = _record(ttl, token, started)
    try:
        result = obstore.put(store, LEASE_NAME, body, mode="create")
    except AlreadyExistsError:
        pass
    else:
        _check_conditions_honoured(uri, store, body)
        return Lease(uri, store, str(result["e_tag"]), ttl, token, started)
    found = read_lease(store, uri)
    if found is None:  # released and gone between the two calls: try again
        return try_take(uri, store, ttl)
    record, etag, modified = found
    if not is_stale(record, modified, ttl) or etag is None:
        return record
    try:
        result = obstore.put(store, LEASE_NAME, body, mode={"e_tag": etag})
    except PreconditionError:  # another writer took the stale lease first
        again = read_lease(store, uri)
        return again[0] if again else {}
    return Lease(uri, store, str(result["e_tag"]), ttl, token, started)


def _check_conditions_honoured(uri: str, store: Any, body: bytes) -> None:
    """A store that ignores ``If-None-Match`` would let every writer in: one more create-only
    put of the lease just created must fail, or the write does not start."""
    import obstore
    from obstore.exceptions import AlreadyExistsError, PreconditionError

    try:
        obstore.put(store, LEASE_NAME, body, mode="create")
    except (AlreadyExistsError, PreconditionError):
        return
    raise LeaseUnavailableError(
        f"the object store of {uri} ignores conditional puts (If-None-Match), so the writer lease "
        "cannot keep a second writer out; use a store that honours them (AWS S3, SeaweedFS >= 4.48)"
    )


@contextmanager
def lease_lock(uri: str, *, wait: bool = False) -> Iterator[None]:
    """Hold the object-store writer lease for the ``with`` body (see the module docstring)."""
    ttl = lease_ttl()
    store = _store(uri)
    while True:
        got = try_take(uri, store, ttl)
        if isinstance(got, Lease):
            break
        if not wait:
            raise busy_error(uri, got)
        time.sleep(WAIT_POLL_S)
    try:
        yield
    except BaseException:
        try:
            got.release()
        except WriterBusyError:
            pass  # the body's own error is the one to report
        raise
    got.release()


def probe_lease(uri: str) -> None:
    """Refuse at once if a live lease is held on ``uri``; takes nothing."""
    store = _store(uri)
    found = read_lease(store, uri)
    if found is not None and not is_stale(found[0], found[2], lease_ttl()):
        raise busy_error(uri, found[0])
