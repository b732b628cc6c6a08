"""A small thread-safe LRU cache with a byte budget, for arrays loaded from an index.

Keys include the database's ``version()``, so a re-indexed corpus is never served
stale data: old entries simply age out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

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
