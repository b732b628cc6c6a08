"""Cancel takes effect inside a pool (within one model batch) and leaves a consistent database."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.verify import verify


@pytest.mark.parametrize("ahead", [True, False])
def test_cancel_in_the_middle_of_a_pool_stops_there_and_rerun_equals_clean(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch, ahead: bool
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=6, per_doc=6)
    uri = str(tmp_path / "db")
    bert = tiny_runners["bert"]
    cancel = threading.Event()
    real = bert.run_batches
    yielded: list[int] = []

    def run_batches(texts, **kwargs):  # type: ignore[no-untyped-def]
        for batch in real(texts, **kwargs):
            yielded.append(len(batch))
            if len(yielded) == 3:  # mid-pool: the pool holds every document's sentences
                cancel.set()
            yield batch

    monkeypatch.setattr(bert, "run_batches", run_batches)
    config = IndexConfig(pool_sentences=10_000, batch_size=2, flush_tokens=10, forward_ahead=ahead)
    report = index_paths([corpus], uri, bert, annotator=annotator, cancel=cancel, config=config)
    assert report.cancelled and report.indexed == []
    # the batch loop stopped at the batch it was cancelled on, not the pool end (the model one
    # batch ahead has usually started the next forward, which ends; none starts after it)
    assert len(yielded) == 3 or (ahead and len(yielded) == 4)
    assert verify(CorpusDB.open(uri)) == []
    monkeypatch.undo()
    index_paths([corpus], uri, bert, annotator=annotator)
    clean = str(tmp_path / "clean")
    index_paths([corpus], clean, bert, annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))


def test_cancel_with_no_document_complete_writes_no_rows_only_to_drop_them(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch
) -> None:
    from exbert_ls.store.rows import RowBuffer

    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=2, per_doc=6)
    bert = tiny_runners["bert"]
    cancel = threading.Event()
    real, real_take = bert.run_batches, RowBuffer.take
    taken: list[int] = []

    batches = itertools.count()

    def run_batches(texts, **kwargs):  # type: ignore[no-untyped-def]
        # counted over every pool: the first pools of a group are one batch, then two, ...
        for batch in real(texts, **kwargs):
            if next(batches) == 2:
                cancel.set()
            yield batch

    def take(self):  # type: ignore[no-untyped-def]
        taken.append(len(self))
        return real_take(self)

    monkeypatch.setattr(bert, "run_batches", run_batches)
    monkeypatch.setattr(RowBuffer, "take", take)
    config = IndexConfig(pool_sentences=10_000, batch_size=2, flush_tokens=10**6)
    report = index_paths([corpus], str(tmp_path / "db"), bert, annotator=annotator, cancel=cancel, config=config)
    assert report.cancelled and report.indexed == []
    assert taken == []  # two batches (four sentences) were buffered, none appended
    db = CorpusDB.open(str(tmp_path / "db"))
    assert db.tokens.count_rows() == 0 and verify(db) == []
