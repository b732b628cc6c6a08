"""The object-store writer lease against a real S3 server (weed): conditional puts decide."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

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
    time.sleep(3.2)  # looks expired by the wall clock: each contender watches it for a ttl, then races
    inside: list[float] = []
    refused: list[WriterBusyError] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        barrier.wait()
        try:
            with writer_lock(s3_uri):
                inside.append(time.monotonic())
                time.sleep(1.5)  # held while the losers' conditional puts fail
        except WriterBusyError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inside) == 1 and len(refused) == 3, (inside, refused)


def test_a_writer_whose_lease_was_taken_over_learns_it_at_its_next_renewal(s3_uri: str, s3_options) -> None:
    got = lease.try_take(s3_uri, _store(s3_uri), 2.0)
    assert isinstance(got, lease.Lease)
    # another writer overwrites the lease (as after a stall longer than the ttl)
    _, etag, _ = lease.read_lease(_store(s3_uri))
    other = json.dumps({"pid": 1, "host": "elsewhere", "released": False, "ttl_s": 2.0}).encode()
    obstore.put(_store(s3_uri), lease.LEASE_NAME, other, mode={"e_tag": etag})
    deadline = time.monotonic() + 30  # generous: a renewal runs every 0.67 s
    while not got.lost and time.monotonic() < deadline:
        time.sleep(0.05)
    assert got.lost  # found by the renewal thread, with no write or check() asking
    with pytest.raises(lease.LeaseLostError, match="lost the writer lease of .* to pid 1 on elsewhere"):
        got.check()
    with pytest.raises(WriterBusyError, match="pid 1 on elsewhere"):
        got.release()
    record, _, _ = lease.read_lease(_store(s3_uri))
    assert record["pid"] == 1  # release did not touch the new holder's lease


def _skew_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """This process's wall clock off by ``seconds`` (the store's is not)."""
    real = lease._wall_now
    monkeypatch.setattr(lease, "_wall_now", lambda: real() + timedelta(seconds=seconds))


def test_a_clock_far_ahead_never_takes_over_a_live_lease(s3_uri: str, s3_options, monkeypatch) -> None:
    """By a wall clock an hour ahead the live holder's Last-Modified is an hour old; comparing
    the two (the old rule) took its lease over. The contender watches it instead and sees it
    renewed."""
    monkeypatch.setenv("EXBERT_LEASE_TTL_S", "4")  # a loaded machine still renews well within it
    with writer_lock(s3_uri) as held:
        assert isinstance(held, lease.Lease)
        _skew_clock(monkeypatch, 3600)
        with pytest.raises(WriterBusyError, match=r"is being written by pid \d+"), writer_lock(s3_uri):
            pass
        waiter = threading.Thread(target=lambda: _take_with_wait(s3_uri), daemon=True)
        waiter.start()
        waiter.join(6.0)  # 1.5 ttl: renewed every 1.3 s, so never unchanged for a whole ttl
        assert waiter.is_alive(), "a contender took over a live lease"
        held.check()  # still ours
        record, _, _ = lease.read_lease(_store(s3_uri))
        assert record["token"] == held.token
    waiter.join(60)  # released: now it gets in
    assert not waiter.is_alive()


def _take_with_wait(uri: str) -> None:
    with writer_lock(uri, wait=True):
        pass


def test_a_clock_far_behind_still_takes_over_a_dead_lease(s3_uri: str, s3_options, monkeypatch) -> None:
    """An hour behind, a dead holder's lease looks fresh for an hour: a plain run is refused at
    once, but --wait takes it over once it stayed unchanged for a ttl by its own clock."""
    _abandon(s3_uri)
    _skew_clock(monkeypatch, -3600)
    with pytest.raises(WriterBusyError):
        probe(s3_uri)
    with pytest.raises(WriterBusyError), writer_lock(s3_uri):
        pass
    thread = threading.Thread(target=lambda: _take_with_wait(s3_uri), daemon=True)
    thread.start()
    thread.join(60)  # generous: it needs one ttl (2 s) of watching
    assert not thread.is_alive(), "--wait never took over a dead lease"
    record, _, _ = lease.read_lease(_store(s3_uri))
    assert record["released"] is True


def test_takeover_needs_the_lease_unchanged_for_a_whole_ttl(s3_uri: str, s3_options, monkeypatch) -> None:
    _abandon(s3_uri)  # just written, so its holder may be alive
    _skew_clock(monkeypatch, 3600)  # however old it looks by the wall clock
    began = time.monotonic()
    with writer_lock(s3_uri):
        watched = time.monotonic() - began
    assert watched >= 2.0  # the ttl, on this process's monotonic clock


def test_a_holder_whose_renewal_hangs_stops_before_a_taker_gets_in(s3_uri: str, s3_options) -> None:
    """The holder's renewal put hangs (a frozen connection) while it keeps working; a contender
    takes over after a ttl. At that moment the holder's check() already refuses: it counts its
    lease from the last put it sent, the contender from when it first saw that put."""
    held = lease.take_lease(s3_uri)
    unblock = threading.Event()
    real_put = held._put

    def hanging_put(body: bytes) -> None:
        if threading.current_thread().name == "exbert-lease":
            unblock.wait()
        real_put(body)

    held._put = hanging_put  # type: ignore[method-assign]
    held.check()  # fresh: fine
    at_takeover: list[BaseException | None] = []

    def take_over() -> None:
        with writer_lock(s3_uri, wait=True):
            try:
                held.check()
                at_takeover.append(None)
            except BaseException as exc:
                at_takeover.append(exc)

    thread = threading.Thread(target=take_over)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert len(at_takeover) == 1 and isinstance(at_takeover[0], lease.LeaseLostError), at_takeover
    with pytest.raises(lease.LeaseLostError):  # and it stays stopped
        held.check()
    unblock.set()
    with pytest.raises(lease.LeaseLostError, match=r"lost the writer lease of .* to pid \d+ on "):
        held.release()


def test_a_stall_nobody_took_advantage_of_costs_nothing(s3_uri: str, s3_options) -> None:
    """Renewals stop for longer than the ttl but no contender came: check() renews from the
    caller's thread and the run goes on."""
    held = lease.take_lease(s3_uri)
    held._stop.set()
    held._thread.join()  # no more background renewals
    time.sleep(2.5)
    assert held.remaining() < 0
    held.check()
    assert held.remaining() > 1.0
    held.release()
    record, _, _ = lease.read_lease(_store(s3_uri))
    assert record["released"] is True


def test_a_renewal_whose_answer_was_lost_is_adopted_not_taken_for_a_takeover(s3_uri: str, s3_options) -> None:
    held = lease.take_lease(s3_uri)
    held._stop.set()
    held._thread.join()  # renewals by hand
    # a renewal that reached the store but whose answer never came back: our ETag is now stale
    body = lease._record(held.ttl, held.token, held.started)
    obstore.put(held.store, lease.LEASE_NAME, body, mode={"e_tag": held._etag})
    held._renew()  # 412, yet the lease object is still ours
    held.check()
    assert not held.lost
    held.release()
    record, _, _ = lease.read_lease(_store(s3_uri))
    assert record["released"] is True and record["token"] == held.token


def test_bad_ttl_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXBERT_LEASE_TTL_S", "soon")
    with pytest.raises(Exception, match="EXBERT_LEASE_TTL_S must be a number"):
        lease.lease_ttl()
