"""The background-thread iterator the indexer can annotate with."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import IndexConfig, index_paths
from exbert_ls.store.prefetch import prefetch


def test_same_items_in_the_same_order() -> None:
    assert list(prefetch(iter(range(1000)), size=3)) == list(range(1000))


def test_producer_errors_reach_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("spaCy fell over")

    stream = prefetch(failing())
    with pytest.raises(RuntimeError, match="spaCy fell over"):
        list(stream)


def test_close_stops_the_producer_early() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    with prefetch(endless(), size=2) as stream:
        assert next(iter(stream)) == 0
    assert len(produced) < 10
    assert not any(t.name == "exbert-prefetch" and t.is_alive() for t in threading.enumerate())


def test_indexing_with_the_spacy_thread_gives_the_same_rows(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    write_corpus(tmp_path / "c", docs=3)
    threaded, plain = str(tmp_path / "threaded"), str(tmp_path / "plain")
    index_paths([tmp_path / "c"], threaded, tiny_runners["bert"], annotator=annotator, config=IndexConfig(overlap=True))
    index_paths([tmp_path / "c"], plain, tiny_runners["bert"], annotator=annotator, config=IndexConfig(overlap=False))
    assert_same_rows(snapshot(threaded), snapshot(plain))
