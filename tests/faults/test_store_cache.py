"""The search cache keeps within its byte budget, dropping the least recently used column."""

from __future__ import annotations

import numpy as np
import pytest

from exbert_ls.errors import InvalidInputError
from exbert_ls.search import engine
from exbert_ls.search.cache import ByteLRU
from exbert_ls.server.config import settings_from
from exbert_ls.server.state import ServerState


def test_lru_evicts_least_recently_used_within_budget_and_on_resize() -> None:
    cache: ByteLRU[np.ndarray] = ByteLRU(3000, lambda a: a.nbytes)
    for name in "abc":
        cache.get(name, lambda: np.zeros(1000, dtype=np.uint8))
    cache.get("a", lambda: pytest.fail("a is cached"))  # a is now the most recent
    cache.get("d", lambda: np.zeros(1000, dtype=np.uint8))  # b goes
    loaded: list[str] = []
    cache.get("b", lambda: loaded.append("b") or np.zeros(1000, dtype=np.uint8))
    assert loaded == ["b"] and cache.nbytes <= 3000
    cache.resize(1000)
    assert len(cache) == 1 and cache.nbytes == 1000


def test_budget_from_environment_and_server_setting(monkeypatch) -> None:
    monkeypatch.setenv("EXBERT_CACHE_MB", "64")
    assert engine.cache_budget_mb() == 64
    monkeypatch.setenv("EXBERT_CACHE_MB", "lots")
    with pytest.raises(InvalidInputError, match="EXBERT_CACHE_MB"):
        engine.cache_budget_mb()
    monkeypatch.delenv("EXBERT_CACHE_MB")
    state = ServerState()
    try:
        state.configure(settings_from({"cacheMb": 7}))
        assert engine._matrices.budget == 7 << 20
    finally:
        engine.set_cache_budget(None)
    assert engine._matrices.budget == engine.DEFAULT_CACHE_MB << 20
