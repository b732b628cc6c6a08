"""Every bad input is counted in the report with its reason; nothing crashes, nothing is lost."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest
from test_index_incremental import snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, IndexConfig, IndexProgress, index_paths
from exbert_ls.store import sources as sources_module
from exbert_ls.store.verify import verify


def test_bad_inputs_are_skipped_with_reasons_and_good_rows_survive(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = tiny_runners["bert"]
    corpus = tmp_path / "c"
    good = write_corpus(corpus, docs=2)
    uri = str(tmp_path / "db")
    index_paths([corpus], uri, runner, annotator=annotator)
    before = snapshot(uri)

    (corpus / "binary.txt").write_bytes(b"GIF89a\x00\x01\x02 not text")
    (corpus / "latin1.txt").write_bytes("Caf\u00e9 cr\u00e8me".encode("latin-1"))
    (corpus / "empty.md").write_bytes(b"")
    with open(corpus / "huge_line.txt", "wb") as handle:  # a single 50 MB line
        handle.write(b"word " * (10 * 2**20))
    locked = corpus / "locked.txt"
    locked.write_text("A file nobody may read.\n", encoding="utf-8")
    locked.chmod(0)
    real_open = sources_module.open_binary

    def open_binary(path: Path) -> BinaryIO:
        if Path(path) == locked:  # root ignores file modes: make the denial explicit
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path)

    monkeypatch.setattr(sources_module, "open_binary", open_binary)
    os.symlink(corpus, corpus / "loop")
    os.symlink(corpus / "self.txt", corpus / "self.txt")
    doomed = corpus / "zz_doomed.txt"
    doomed.write_text("This file disappears before it is read.\n", encoding="utf-8")

    def delete_doomed(_p: IndexProgress) -> None:
        if doomed.exists():
            doomed.unlink()

    config = IndexConfig(group_bytes=1)  # each file is its own group: the deletion lands mid-run
    report = index_paths([corpus], uri, runner, annotator=annotator, progress=delete_doomed, config=config)

    reasons = {os.path.basename(doc): reason for doc, reason in report.skipped}
    assert reasons == {
        "binary.txt": "binary file (NUL bytes)",
        "latin1.txt": "not UTF-8 (byte 0xe9 at offset 3)",
        "empty.md": "empty",
        "huge_line.txt": "too large: 50.0 MiB > 32 MiB limit (--max-file-mb)",
        "locked.txt": "unreadable: permission denied",
        "loop": "symlink loop (folder already visited)",
        "self.txt": "symlink loop",
        "zz_doomed.txt": "deleted during the run",
    }
    assert sorted(report.unchanged) == sorted(str(p) for p in good)
    assert report.indexed == [] and report.removed == []
    summary = report.describe()
    assert "skipped 8" in summary and "skipped 1 × binary file (NUL bytes)" in summary
    db = CorpusDB.open(uri)
    assert verify(db) == []
    assert snapshot(uri).keys() == before.keys()  # nothing already written was lost


def test_a_long_line_reaches_spacy_in_bounded_chunks(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = " ".join(f"Sentence number {i} is about the Wizard." for i in range(150))  # no newline
    (tmp_path / "line.txt").write_text(line, encoding="utf-8")
    longest: list[int] = []
    nlp = annotator.nlp
    real_pipe = nlp.pipe

    def pipe(texts, **kwargs):
        def recorded():
            for text in texts:
                longest.append(len(text))
                yield text

        return real_pipe(recorded(), **kwargs)

    monkeypatch.setattr(nlp, "pipe", pipe)
    config = IndexConfig(chunk_chars=1000)
    report = index_paths(
        [tmp_path / "line.txt"], str(tmp_path / "db"), tiny_runners["bert"], annotator=annotator, config=config
    )
    assert len(report.indexed) == 1
    assert len(longest) > 1 and max(longest) <= 1000
    assert report.sentences >= 150
