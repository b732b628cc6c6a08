"""The model one batch ahead of the rows (``IndexConfig.forward_ahead``): same rows, bounded
look-ahead, errors and cancel as without it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.prefetch import one_ahead
from exbert_ls.store.verify import verify


def test_one_ahead_makes_at_most_one_item_beyond_the_callers() -> None:
    made: list[int] = []
    handled: list[int] = []

    def source() -> Iterator[int]:
        for i in range(6):
            assert len(made) - len(handled) <= 1  # the caller's item, then this one
            made.append(i)
            yield i

    for item in one_ahead(source()):
        handled.append(item)
    assert handled == list(range(6))


def test_one_ahead_raises_the_sources_error_and_stops_when_closed() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise RuntimeError("the forward failed")

    with pytest.raises(RuntimeError, match="forward failed"):
        list(one_ahead(broken()))

    made: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    items = one_ahead(endless())
    assert next(items) == 0
    items.close()  # type: ignore[attr-defined]
    assert len(made) == 2  # the one in the making finished, no further one started


def test_indexing_with_the_model_ahead_gives_the_same_rows(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    write_corpus(tmp_path / "c", docs=4)
    ahead, plain = str(tmp_path / "ahead"), str(tmp_path / "plain")
    bert = tiny_runners["bert"]
    small = dict(batch_size=2, spacy_process=False)  # several batches a pool
    index_paths([tmp_path / "c"], ahead, bert, annotator=annotator, config=IndexConfig(forward_ahead=True, **small))
    index_paths([tmp_path / "c"], plain, bert, annotator=annotator, config=IndexConfig(**small))
    assert_same_rows(snapshot(ahead), snapshot(plain))


def test_a_cancel_with_the_model_ahead_leaves_the_database_consistent(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    write_corpus(tmp_path / "c", docs=6, per_doc=12)
    runner = tiny_runners["bert"]
    cancel = threading.Event()
    real = runner.run_batches
    forwards: list[int] = []

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        for batch in real(*args, **kwargs):
            forwards.append(len(batch))
            if len(forwards) == 2:
                cancel.set()  # cancelled while the rows of an earlier batch are built
            yield batch

    runner.run_batches = counting  # type: ignore[method-assign]
    try:
        uri = str(tmp_path / "db")
        config = IndexConfig(forward_ahead=True, batch_size=2, spacy_process=False)
        report = index_paths([tmp_path / "c"], uri, runner, annotator=annotator, cancel=cancel, config=config)
    finally:
        del runner.run_batches
    assert report.cancelled and len(forwards) <= 3  # at most the forward in flight ran on
    assert verify(CorpusDB.open(uri)) == []


def test_a_group_s_first_pools_are_one_batch_then_double(tmp_path: Path, tiny_runners, annotator, monkeypatch) -> None:
    """The model starts after one batch's sentences, not a whole pool's (IndexConfig.pool_limit);
    the rows are those of a run in full pools."""
    from exbert_ls.store import indexer

    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=2, per_doc=20)
    bert: ModelRunner = tiny_runners["bert"]
    real = indexer._Run._run_pool
    pools: list[int] = []

    def run_pool(self):  # type: ignore[no-untyped-def]
        if self.pool:
            pools.append(len(self.pool))
        real(self)

    monkeypatch.setattr(indexer._Run, "_run_pool", run_pool)
    config = IndexConfig(batch_size=2, pool_sentences=8, spacy_process=False)
    assert [config.pool_limit(k) for k in range(5)] == [2, 4, 8, 8, 8]
    index_paths([corpus], str(tmp_path / "ramp"), bert, annotator=annotator, config=config)
    assert sum(pools) >= 30 and pools[:4] == [2, 4, 8, 8] and all(n <= 8 for n in pools)
    pools.clear()
    monkeypatch.setattr(IndexConfig, "pool_limit", lambda self, _k: self.pool_sentences)
    index_paths([corpus], str(tmp_path / "flat"), bert, annotator=annotator, config=config)
    assert pools[:2] == [8, 8]
    assert_same_rows(snapshot(str(tmp_path / "ramp")), snapshot(str(tmp_path / "flat")))
