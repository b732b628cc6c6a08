"""Identical sentences run through the model once, yet every copy gets its own rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_index_incremental import snapshot

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import index_paths
from exbert_ls.store.pool import distinct_texts
from exbert_ls.store.rows import SentenceKey
from exbert_ls.store.segment import Sentence


def test_distinct_texts_group_copies_in_order_of_first_appearance() -> None:
    work = [(SentenceKey("d", "h", i), Sentence(t, ())) for i, t in enumerate(["a", "b", "a", "c", "a"])]
    got = distinct_texts(work, [3, 4, 3, 5, 3])
    assert got.texts == ["a", "b", "c"] and got.copies == [[0, 2, 4], [1], [3]] and got.lengths == [3, 4, 5]


def test_repeated_sentences_are_run_once_and_stored_for_every_copy(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch
) -> None:
    bert = tiny_runners["bert"]
    corpus = tmp_path / "c"
    corpus.mkdir()
    line = "The Lion was a coward at heart."
    (corpus / "a.txt").write_text(f"{line}\n\nDorothy went home.\n\n{line}\n\n{line}\n", encoding="utf-8")
    (corpus / "b.txt").write_text(f"{line}\n", encoding="utf-8")
    seen: list[str] = []
    real = bert.run_batches

    def run_batches(texts, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        yield from real(texts, **kwargs)

    monkeypatch.setattr(bert, "run_batches", run_batches)
    report = index_paths([corpus], str(tmp_path / "db"), bert, annotator=annotator)
    assert sorted(seen) == sorted([line, "Dorothy went home."])  # 5 sentences, 2 forwards
    assert report.sentences == 5
    rows = snapshot(str(tmp_path / "db"))

    def sentence_rows(doc: str, number: int) -> list[np.ndarray]:
        return [vectors for (d, n, _pos), (_token, vectors) in sorted(rows.items()) if (d, n) == (doc, number)]

    a, b = str(corpus / "a.txt"), str(corpus / "b.txt")
    want = sentence_rows(a, 0)
    assert want and sentence_rows(a, 1) != [] and len(sentence_rows(a, 1)) != len(want)
    for doc, number in [(a, 2), (a, 3), (b, 0)]:  # every copy has its own rows, the same vectors
        got = sentence_rows(doc, number)
        # the same activations, quantised in one product per batch: a row's place in that product
        # moves BLAS's last bits, which can move a code by one step (measured with MiniLM: 1 code
        # of 46,080 in one of 3 copies), as assert_same_rows allows
        assert len(got) == len(want)
        assert all(np.abs(x - y).max() < 1.5 / 127 for x, y in zip(got, want, strict=True))
