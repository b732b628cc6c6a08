"""The writer lock of an object-store database (``s3://``, ``gs://``, ``az://``): a lease object.

An object store has no OS lock, so the writer holds a *lease*: the object ``<db>/.writer.lease``
(JSON: host, pid, start, command, ttl, a random token), written only with conditional puts:

- take: ``PUT If-None-Match: *`` (create only if absent); where a lease object exists and is
  released or expired (below), ``PUT If-Match: <its ETag>`` replaces it, so of two writers
  taking over the same lease exactly one wins (the other gets 412 and is refused);
- renew: a background thread rewrites it every ``ttl / 3`` with ``If-Match`` on the ETag of its
  own last write; a 412 means another writer took the lease over;
- release: ``If-Match`` rewrite marked ``released`` (never a plain DELETE, which S3 cannot make
  conditional: deleting could remove a lease another writer had just taken).

**Expiry is judged by durations on each machine's own monotonic clock, never by comparing two
machines' wall clocks.** A taker takes a lease over only after it has watched the same lease
object (same ETag) for the holder's whole ttl by its own ``time.monotonic()``: the holder
renews every ttl/3, so a live holder always changes it first. The holder counts its lease
valid until ``ttl`` after it *sent* its last successful put (the taker's watch began after
that put was applied, hence later) and writes only while at least ``ttl/3`` of that is left
(:meth:`Lease.check`, run before every write of an index run); below that it renews
synchronously first, and a 412 or a failed renewal stops the run (:class:`LeaseLostError`).
So a holder stops writing before any taker can take over, whatever the clocks say; only a
write already in flight when the holder froze can land later (docs/index.md, "Writer lock").

The wall clock is a hint only, for how to refuse: a lease whose ``Last-Modified`` is within
its ttl by this machine's clock refuses at once; an older one is watched for one ttl (taken
over if unchanged, refused as soon as it changes). The ttl is ``$EXBERT_LEASE_TTL_S``
(default 60 s; tests use 2 s). Checked against SeaweedFS 4.48, which honours both conditions
(tests/s3); AWS S3 has supported them since 2024.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exbert_ls.errors import InvalidInputError, WriterBusyError
from exbert_ls.store.storage import storage_options, unreachable

LEASE_NAME = ".writer.lease"
TTL_ENV = "EXBERT_LEASE_TTL_S"
DEFAULT_TTL_S = 60.0
WAIT_POLL_S = 0.5
WRITE_MARGIN = 1 / 3
"""A holder writes only while more than this fraction of its ttl is left by its own clock."""
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


class LeaseLostError(WriterBusyError):
    """This writer no longer holds its lease (taken over, or not renewable): it stopped writing."""


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


def _wall_now() -> datetime:
    """This machine's wall clock: only ever a hint (tests skew it)."""
    return datetime.now(UTC)


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
            "renewed": _wall_now().isoformat(timespec="microseconds"),
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


def _held_ttl(record: Mapping[str, Any], ttl: float) -> float:
    held_for = record.get("ttl_s")
    return float(held_for) if isinstance(held_for, (int, float)) and held_for > 0 else ttl


def looks_expired(record: Mapping[str, Any], modified: datetime, ttl: float) -> bool:
    """The wall-clock *hint*: released, or last written more than its ttl ago by this machine's
    clock. Decides only whether a contender refuses at once or watches the lease; taking it over
    needs the watch (:class:`_Taker`)."""
    if record.get("released"):
        return True
    return (_wall_now() - modified).total_seconds() > _held_ttl(record, ttl)


def busy_error(uri: str, record: Mapping[str, Any] | None) -> WriterBusyError:
    from exbert_ls.store.lock import describe

    return WriterBusyError(
        f"the database {uri!r} is being written by {describe(dict(record) if record else None)}; "
        "wait for it to finish (or `exbert index --wait`)"
    )


class Lease:
    """A lease held on one database; renewed by a daemon thread until :meth:`release`."""

    def __init__(self, uri: str, store: Any, etag: str, ttl: float, token: str, started: str, sent: float) -> None:
        self.uri, self.store, self.ttl, self.token, self.started = uri, store, ttl, token, started
        self._etag = etag
        self._sent = sent
        """``time.monotonic()`` when the last successful put was sent: valid for ttl from then."""
        self._lost: str | None = None
        self._put_lock = threading.Lock()  # both threads renew: each put must use the latest ETag
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name="exbert-lease", daemon=True)
        self._thread.start()

    def remaining(self) -> float:
        """Seconds this lease is still surely ours, by this process's monotonic clock."""
        return self._sent + self.ttl - time.monotonic()

    @property
    def lost(self) -> bool:
        return self._lost is not None

    def check(self) -> None:
        """Raise :class:`LeaseLostError` unless this writer may write now: called before every write.

        With ttl/3 or less left (the process stalled, renewals failed) it renews first, from this
        thread: a stall nobody took advantage of costs nothing. A renewal already in flight is
        awaited only while the lease is surely ours; past that, this writer stops."""
        if self._lost is None and self.remaining() <= self.ttl * WRITE_MARGIN:
            if self._put_lock.acquire(timeout=max(self.remaining(), 0.0)):
                try:
                    if self.remaining() <= self.ttl * WRITE_MARGIN:
                        self._renew_locked()
                finally:
                    self._put_lock.release()
            else:
                self._lose(f"its renewal did not complete within the lease's {self.ttl:g} s")
        if self._lost is not None:
            raise LeaseLostError(self._lost)

    def _put(self, body: bytes) -> None:
        import obstore

        sent = time.monotonic()
        result = obstore.put(self.store, LEASE_NAME, body, mode={"e_tag": self._etag})
        self._etag, self._sent = str(result["e_tag"]), sent

    def _renew(self) -> None:
        with self._put_lock:
            self._renew_locked()

    def _renew_locked(self) -> None:
        from obstore.exceptions import PreconditionError

        if self._lost is not None:
            return
        try:
            try:
                self._put(_record(self.ttl, self.token, self.started))
            except PreconditionError:
                found = read_lease(self.store, self.uri)
                if found is None or found[0].get("token") != self.token or found[1] is None:
                    raise
                # our own earlier put landed although its answer was lost (a timeout): adopt it
                self._etag = found[1]
                self._put(_record(self.ttl, self.token, self.started))
        except PreconditionError:
            self._lose("another writer rewrote it")
        except Exception as exc:  # a network blip: keep trying while enough of the lease is left
            if self.remaining() <= self.ttl * WRITE_MARGIN:
                self._lose(f"it could not be renewed ({exc})")
            else:
                print(f"exbert: warning: renewing the writer lease of {self.uri} failed: {exc}", file=sys.stderr)

    def _lose(self, why: str) -> None:
        """Remember (once) why this writer stopped, naming the new holder if there is one."""
        if self._lost is not None:
            return
        from exbert_ls.store.lock import describe

        try:
            found = read_lease(self.store, self.uri)
        except Exception:  # naming the new holder is a courtesy
            found = None
        if found is not None and found[0].get("token") != self.token:
            self._lost = (
                f"lost the writer lease of {self.uri!r} to {describe(found[0] or None)} ({why}: this run "
                f"went unrenewed for its {self.ttl:g} s ttl); it stopped writing and left its unfinished "
                "documents pending for that writer's recovery"
            )
        else:
            self._lost = (
                f"the writer lease of {self.uri!r} could not be kept ({why}); this run stopped writing "
                "before another writer could take it over: run it again to finish"
            )

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self._renew()
            if self._lost is not None:
                return

    def release(self) -> None:
        """Mark the lease released; :class:`LeaseLostError` if it was lost while held."""
        from obstore.exceptions import PreconditionError

        self._stop.set()
        self._thread.join()
        with self._put_lock:
            if self._lost is None:
                try:
                    self._put(_record(self.ttl, self.token, self.started, released=True))
                except PreconditionError:
                    self._lose("another writer rewrote it")
        if self._lost is not None:
            raise LeaseLostError(self._lost)


@dataclass(frozen=True)
class Busy:
    """A lease another writer holds, as one contender saw it."""

    record: dict[str, Any]
    modified: datetime
    left: float
    """Seconds of watching it unchanged still needed before it may be taken over."""
    renewed: bool
    """It changed while this contender watched: its holder is alive."""


class _Taker:
    """One contender's view of the lease: the ETag it sees and since when (its monotonic clock).

    A lease is taken over only once the same ETag was seen for the holder's whole ttl."""

    def __init__(self, uri: str, store: Any, ttl: float) -> None:
        self.uri, self.store, self.ttl = uri, store, ttl
        self.etag: str | None = None
        self.since = 0.0
        self.renewed = False

    def attempt(self) -> Lease | Busy:
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        token = uuid.uuid4().hex
        started = _wall_now().isoformat(timespec="seconds")
        body = _record(self.ttl, token, started)
        sent = time.monotonic()
        try:
            result = obstore.put(self.store, LEASE_NAME, body, mode="create")
        except AlreadyExistsError:
            pass
        else:
            _check_conditions_honoured(self.uri, self.store, body)
            return Lease(self.uri, self.store, str(result["e_tag"]), self.ttl, token, started, sent)
        found = read_lease(self.store, self.uri)
        if found is None:  # released and gone between the two calls: try again
            return self.attempt()
        record, etag, modified = found
        now = time.monotonic()
        if etag != self.etag:  # first sight, or its holder renewed: the watch starts again
            self.renewed = self.etag is not None
            self.etag, self.since = etag, now
        left = 0.0 if record.get("released") else self.since + _held_ttl(record, self.ttl) - now
        if left > 0 or etag is None:
            return Busy(record, modified, max(left, 0.0), self.renewed)
        sent = time.monotonic()
        try:
            result = obstore.put(self.store, LEASE_NAME, body, mode={"e_tag": etag})
        except PreconditionError:  # another contender took it over first (or the holder renewed)
            again = read_lease(self.store, self.uri)
            return Busy(again[0] if again else record, modified, _held_ttl(record, self.ttl), True)
        return Lease(self.uri, self.store, str(result["e_tag"]), self.ttl, token, started, sent)


def try_take(uri: str, store: Any, ttl: float) -> Lease | Busy:
    """One attempt by a contender that has not watched the lease before: a lease not released
    is never taken over by this call (see :class:`_Taker`)."""
    return _Taker(uri, store, ttl).attempt()


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


def take_lease(uri: str, *, wait: bool = False) -> Lease:
    """Take the lease: at once if free or released; after watching it unchanged for its ttl if its
    holder stopped renewing. Without ``wait`` a holder that looks alive (renewed within its ttl
    by this machine's clock, or renewed while watched) is refused at once."""
    ttl = lease_ttl()
    store = _store(uri)
    taker = _Taker(uri, store, ttl)
    noted = False
    while True:
        got = taker.attempt()
        if isinstance(got, Lease):
            return got
        if not wait and (got.renewed or not looks_expired(got.record, got.modified, ttl)):
            raise busy_error(uri, got.record)
        if not wait and not noted:
            from exbert_ls.store.lock import describe

            print(
                f"exbert: the writer lease of {uri} held by {describe(got.record or None)} looks expired; "
                f"taking it over if it stays unrenewed for {got.left:.0f} s",
                file=sys.stderr,
            )
            noted = True
        time.sleep(min(WAIT_POLL_S, got.left) if got.left > 0 else WAIT_POLL_S)


@contextmanager
def lease_lock(uri: str, *, wait: bool = False) -> Iterator[Lease]:
    """Hold the object-store writer lease for the ``with`` body (see the module docstring)."""
    got = take_lease(uri, wait=wait)
    try:
        yield got
    except BaseException:
        try:
            got.release()
        except WriterBusyError:
            pass  # the body's own error is the one to report
        raise
    got.release()


def probe_lease(uri: str) -> None:
    """Refuse at once if a lease that looks live is held on ``uri``; takes nothing."""
    store = _store(uri)
    found = read_lease(store, uri)
    if found is not None and not looks_expired(found[0], found[2], lease_ttl()):
        raise busy_error(uri, found[0])
