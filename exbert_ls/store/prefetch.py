"""Run an iterator in a background thread, a bounded queue ahead of its consumer.

The indexer annotates with spaCy in this thread while the model runs in the caller's:
torch releases the GIL during a forward pass, so the two overlap. :func:`one_ahead` is the
other direction: the model one batch ahead in a thread while the caller builds rows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


class prefetch(Generic[T]):
    """``for item in prefetch(it, size=64)``: same items, same order; errors re-raised here.

    ``close()`` (or leaving a ``with`` block) stops the producer at its next item.
    """

    def __init__(self, source: Iterator[T], size: int = 64) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(size, 1))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._produce, args=(source,), name="exbert-prefetch", daemon=True)
        self._thread.start()

    def _produce(self, source: Iterator[T]) -> None:
        try:
            for item in source:
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._error = exc
        finally:
            self._put_done()

    def _put_done(self) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(_DONE, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                if self._error is not None:
                    raise self._error
                return
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> prefetch[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def one_ahead(source: Iterator[T]) -> Iterator[T]:
    """The items of ``source``, each next one computed in a worker thread while the caller
    handles the current one: at most two items exist at once (the caller's and the one being
    made), unlike a queue, whose producer runs a further item ahead. The model's forward for
    the next batch runs while the indexer builds the rows of this one (torch and numpy release
    the GIL). Closing the generator waits for the item in the making (one forward), then stops."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="exbert-ahead") as worker:
        pending = worker.submit(next, source, _DONE)
        while True:
            item = pending.result()
            if item is _DONE:
                return
            pending = worker.submit(next, source, _DONE)
            yield item  # type: ignore[misc]
