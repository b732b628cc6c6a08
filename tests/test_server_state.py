"""Shared server state: one model load under concurrent first requests, reloads on change."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from exbert_ls.errors import CorpusNotFoundError
from exbert_ls.model.runner import ModelRunner
from exbert_ls.server.config import Settings
from exbert_ls.server.state import ServerState


@pytest.fixture
def counted_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    loads: list[str] = []
    original = ModelRunner.load.__func__  # type: ignore[attr-defined]

    def load(cls, name: str, **kwargs):
        loads.append(name)
        return original(cls, name, **kwargs)

    monkeypatch.setattr(ModelRunner, "load", classmethod(load))
    return loads


def test_concurrent_first_requests_load_the_model_once(tiny_model_dirs: dict[str, Path], counted_loads):
    state = ServerState()
    state.configure(Settings(model=str(tiny_model_dirs["bert"])))
    runners: list[ModelRunner] = []
    threads = [threading.Thread(target=lambda: runners.append(state.runner())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counted_loads == [str(tiny_model_dirs["bert"])]
    assert len({id(r) for r in runners}) == 1 and state.loaded_runner() is runners[0]


def test_model_change_reloads_and_overrides_are_bounded(tiny_model_dirs: dict[str, Path], counted_loads):
    bert, gpt2, llama, distil = (str(tiny_model_dirs[k]) for k in ("bert", "gpt2", "llama", "distilbert"))
    state = ServerState()
    state.configure(Settings(model=bert))
    first = state.runner()
    assert state.runner(gpt2).info.model_type == "gpt2"
    assert state.runner(llama).info.model_type == "llama"  # gpt2 evicted: one override kept
    assert state.runner() is first and state.runner(llama) is state.runner(llama)
    state.runner(gpt2)
    assert counted_loads == [bert, gpt2, llama, gpt2]
    assert state.configure(Settings(model=distil)) == ["model"]
    assert state.loaded_runner() is None
    assert state.runner().info.model_type == "distilbert"
    assert state.configure(Settings(model=distil)) == []


def test_database_location_and_absence(tmp_path: Path):
    state = ServerState()
    assert state.database_uri() is None
    with pytest.raises(CorpusNotFoundError, match="open a workspace folder or set exbert.databasePath"):
        state.db()
    state.set_folders([tmp_path])
    assert state.database_uri() == str(tmp_path / ".exbert" / "index")
