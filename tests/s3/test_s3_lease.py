"""The object-store writer lease against a real S3 server (weed): conditional puts decide."""

from __future__ import annotations

import json
import threading
import time

import obstore
import pytest

from exbert_ls.errors import WriterBusyError
from exbert_ls.store import lease
from exbert_ls.store.lock import probe, writer_lock


def _store(uri: str):
    return lease._store(uri)


def test_weed_honours_if_none_match_and_if_match(s3_uri: str, s3_options) -> None:
    """What the lease relies on, measured on this server: create-only and replace-if-unchanged."""
    store = _store(s3_uri)
    first = obstore.put(store, "probe", b"1", mode="create")
    with pytest.raises(obstore.exceptions.AlreadyExistsError):
        obstore.put(store, "probe", b"2", mode="create")
    second = obstore.put(store, "probe", b"3", mode={"e_tag": first["e_tag"]})
    with pytest.raises(obstore.exceptions.PreconditionError):
        obstore.put(store, "probe", b"4", mode={"e_tag": first["e_tag"]})  # stale ETag
    assert bytes(obstore.get(store, "probe").bytes()) == b"3" and second["e_tag"] != first["e_tag"]


def test_second_writer_is_refused_naming_the_holder(s3_uri: str, s3_options) -> None:
    with writer_lock(s3_uri):
        with pytest.raises(WriterBusyError, match=r"is being written by pid \d+ on .*command:"), writer_lock(s3_uri):
            pass
        with pytest.raises(WriterBusyError, match="exbert index --wait"):
            probe(s3_uri)
        record, _, _ = lease.read_lease(_store(s3_uri))
        assert record["released"] is False and record["ttl_s"] == 2.0
    probe(s3_uri)  # released: nothing to refuse
    with writer_lock(s3_uri):  # and taken again at once
        pass
    record, _, _ = lease.read_lease(_store(s3_uri))
    assert record["released"] is True


def test_lease_is_renewed_while_held(s3_uri: str, s3_options) -> None:
    with writer_lock(s3_uri):
        _, etag, modified = lease.read_lease(_store(s3_uri))
        time.sleep(2.5)  # ttl 2 s: renewed every ~0.67 s
        _, etag_later, modified_later = lease.read_lease(_store(s3_uri))
        assert etag_later != etag and modified_later >= modified
        with pytest.raises(WriterBusyError):  # still live after longer than its ttl
            probe(s3_uri)


def _abandon(s3_uri: str) -> None:
    """A writer that dies without releasing (what kill -9 leaves): its renewals stop."""
    got = lease.try_take(s3_uri, _store(s3_uri), 2.0)
    assert isinstance(got, lease.Lease)
    got._stop.set()
    got._thread.join()


def test_stale_lease_is_taken_over_after_its_ttl(s3_uri: str, s3_options) -> None:
    _abandon(s3_uri)
    with pytest.raises(WriterBusyError):
        probe(s3_uri)
    time.sleep(3.2)  # > ttl, and Last-Modified has whole-second resolution
    with writer_lock(s3_uri):
        record, _, _ = lease.read_lease(_store(s3_uri))
        assert record["released"] is False


def test_wait_blocks_until_the_stale_lease_expires(s3_uri: str, s3_options) -> None:
    _abandon(s3_uri)
    began = time.monotonic()
    with writer_lock(s3_uri, wait=True):
        waited = time.monotonic() - began
    assert waited > 0.5  # it did wait for the expiry rather than taking a live lease


def test_two_takers_of_one_stale_lease_exactly_one_wins(s3_uri: str, s3_options) -> None:
    _abandon(s3_uri)
    time.sleep(3.2)
    store = _store(s3_uri)
    results: list[object] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        barrier.wait()
        results.append(lease.try_take(s3_uri, store, 2.0))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if isinstance(r, lease.Lease)]
    assert len(winners) == 1, results
    winners[0].release()


def test_a_writer_whose_lease_was_taken_over_fails_at_release(s3_uri: str, s3_options) -> None:
    got = lease.try_take(s3_uri, _store(s3_uri), 2.0)
    assert isinstance(got, lease.Lease)
    # another writer overwrites the lease (as after a stall longer than the ttl)
    _, etag, _ = lease.read_lease(_store(s3_uri))
    other = json.dumps({"pid": 1, "host": "elsewhere", "released": False, "ttl_s": 2.0}).encode()
    obstore.put(_store(s3_uri), lease.LEASE_NAME, other, mode={"e_tag": etag})
    time.sleep(1.0)  # a renewal runs and finds the ETag changed
    with pytest.raises(WriterBusyError, match="pid 1 on elsewhere"):
        got.release()


def test_bad_ttl_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXBERT_LEASE_TTL_S", "soon")
    with pytest.raises(Exception, match="EXBERT_LEASE_TTL_S must be a number"):
        lease.lease_ttl()
