"""The real model and spaCy: a few paragraphs, the default corpus definition, a Wizard of Oz slice."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from support import shared_path

from exbert_ls.corpus import default_corpus_paths, pydoc_topics
from exbert_ls.model.runner import ModelRunner
from exbert_ls.model.vectors import normalized_hidden
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.quantize import dequantize
from exbert_ls.store.verify import verify

PARAGRAPHS = """\
The Wizard of Oz gave the Scarecrow a brain, but he was wise already. Dorothy didn't mind.

In 1900, L. Frank Baum published the book in Chicago; it became well-known across America.
"""


@pytest.mark.slow
def test_minilm_rows_search_back_to_themselves(tmp_path: Path, minilm: ModelRunner, annotator) -> None:
    (tmp_path / "oz.md").write_text(PARAGRAPHS, encoding="utf-8")
    uri = str(tmp_path / "db")
    report = index_paths([tmp_path / "oz.md"], uri, minilm, annotator=annotator)
    assert report.sentences == 3
    db = CorpusDB.open(uri, runner=minilm)
    assert verify(db) == []
    assert db.meta.num_layers == 6 and db.meta.num_heads == 12 and db.meta.spacy_model.startswith("en_core_web_sm")
    columns = ["sentence", "position", "token", "ent_type", "pos", "hs6", "hs6_scale"]
    rows = db.tokens.search().select(columns).limit(None).to_arrow()
    ents = {r["token"]: r["ent_type"] for r in rows.select(["token", "ent_type"]).to_pylist()}
    assert ents["chicago"] == "GPE" and ents["1900"] == "DATE"
    # a query computed exactly as the corpus was finds the stored token as its own best match
    sentences = {r["sentence"]: r["text"] for r in db.sentences.search().limit(None).to_arrow().to_pylist()}
    codes = rows["hs6"].combine_chunks().flatten().to_numpy().reshape(len(rows), -1)
    stored = dequantize(codes, rows["hs6_scale"].to_numpy())  # int8 codes x row scale
    row = rows["token"].to_pylist().index("brain")
    query = normalized_hidden(minilm.run(sentences[rows["sentence"][row].as_py()]).hidden)[6]
    similarity = stored @ query[rows["position"][row].as_py()]
    assert int(np.argmax(similarity)) == row and similarity[row] > 0.998


def test_default_corpus_keeps_prose_and_drops_code() -> None:
    documents = pydoc_topics.documents()
    assert len(documents) > 50
    text = "\n".join(documents.values())
    assert ">>>" not in text and "::=" not in text and "+-----" not in text
    assert not re.search(r"^\s*(def|class) \w+\(", text, re.M)  # no code samples
    assert 'The "for" statement is used to iterate over the elements of a sequence' in documents["for"].replace(
        "\n", " "
    )
    assert 150_000 < len(text) < 465_000


def test_default_corpus_files_are_written_once(tmp_path: Path) -> None:
    (folder,) = default_corpus_paths(tmp_path)
    files = sorted(folder.glob("*.txt"))
    assert len(files) == len(pydoc_topics.documents())
    stamps = [f.stat().st_mtime_ns for f in files]
    (folder / "stale_topic.txt").write_text("old\n", encoding="utf-8")
    default_corpus_paths(tmp_path)
    assert [f.stat().st_mtime_ns for f in sorted(folder.glob("*.txt"))] == stamps  # stale one removed, rest untouched


@pytest.mark.slow
@pytest.mark.shared
def test_wizard_of_oz_slice(tmp_path: Path, minilm: ModelRunner, annotator) -> None:
    book = shared_path("corpora/wizard_of_oz.txt").read_text(encoding="utf-8")
    (tmp_path / "oz.txt").write_text(book[20_000:26_000], encoding="utf-8")
    uri = str(tmp_path / "db")
    report = index_paths([tmp_path / "oz.txt"], uri, minilm, annotator=annotator)
    assert report.indexed and report.tokens > 1000
    db = CorpusDB.open(uri)
    assert verify(db) == []
    pos = db.tokens.search().select(["pos"]).limit(None).to_arrow()["pos"].to_pylist()
    assert {"NOUN", "VERB", "DET", "ADP", "PROPN"} <= set(pos)
