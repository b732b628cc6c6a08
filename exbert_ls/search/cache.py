"""A small thread-safe LRU cache with a byte budget, for arrays loaded from an index.

Keys include the database's ``version()``, so a re-indexed corpus is never served
stale data: old entries simply age out.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import cache
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ByteLRU(Generic[T]):
    """Keeps the most recently used values while their total size fits ``budget`` bytes
    (the newest value is always kept, even when alone it exceeds the budget)."""

    def __init__(self, budget: int, size_of: Callable[[T], int]) -> None:
        self.budget = budget
        self._size_of = size_of
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value for ``key``, loading it once (concurrent callers wait)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._items[key][0]
            value = load()
            with self._lock:
                self._items[key] = (value, self._size_of(value))
                self._loading.pop(key, None)
                self._evict()
            return value

    def peek(self, key: Hashable) -> T | None:
        """The cached value for ``key`` (now the most recently used), None when absent."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: Hashable, value: T) -> None:
        """Keep ``value`` for ``key`` (least recently used values go when over budget)."""
        with self._lock:
            self._items[key] = (value, self._size_of(value))
            self._items.move_to_end(key)
            self._evict()

    def _evict(self) -> None:
        total = sum(size for _, size in self._items.values())
        while total > self.budget and len(self._items) > 1:
            _, (_, size) = self._items.popitem(last=False)
            total -= size

    def resize(self, budget: int) -> None:
        """A new byte budget; least recently used values go at once if they no longer fit."""
        with self._lock:
            self.budget = budget
            self._evict()

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._items.values())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, None elsewhere (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None


def release_freed_memory() -> None:
    """Hand memory freed by large transient arrays back to the OS.

    Loading a column leaves freed Arrow buffers in Arrow's pool and freed numpy arrays in
    glibc's heap (its mmap threshold rises to 32 MB after the first large free, so later arrays
    of that size come from the heap, whose freed pages stay resident until trimmed): without
    this the server's RSS grew by ~0.6 GB over the 13 columns of a 100 k-token index beyond the
    cached matrices themselves (docs/benchmarks.md, "Server memory"). Called after each load,
    not per search (a trim walks the heap)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
