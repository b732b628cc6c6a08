"""Search with the real MiniLM on a real corpus sample (the embedded default corpus's first
topics): a stored token finds itself first; the ANN path's recall@50 against exact >= 0.98."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from exbert_ls.corpus import default_corpus_paths
from exbert_ls.payloads.codec import to_wire
from exbert_ls.search import clear_caches
from exbert_ls.search import search as typed_search
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.ann import index_config

pytestmark = pytest.mark.slow

SAMPLE_BYTES = 30_000


def search(*args, **kwargs):
    """The wire form of a search (what the CLI's --json and the server send)."""
    return to_wire(typed_search(*args, **kwargs))


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory, minilm, annotator):
    """A few thousand MiniLM token rows from the default corpus (first topics by name)."""
    root = tmp_path_factory.mktemp("minilm")
    sample = root / "corpus"
    sample.mkdir()
    size = 0
    for path in sorted(default_corpus_paths()[0].glob("*.txt")):
        if size >= SAMPLE_BYTES:
            break
        shutil.copy(path, sample / path.name)
        size += path.stat().st_size
    uri = str(root / "index")
    index_paths([sample], uri, minilm, annotator=annotator)
    clear_caches()
    return CorpusDB.open(uri, runner=minilm)


def _stored_sentences(db, count, seed=0):
    rows = db.sentences.search().select(["sentence", "text", "num_tokens"]).limit(None).to_arrow().to_pylist()
    rows = [r for r in rows if 8 <= r["num_tokens"] <= 60]
    rng = np.random.default_rng(seed)
    return [rows[i] for i in rng.choice(len(rows), size=count, replace=False)]


@pytest.mark.parametrize(
    "by,layer,heads",
    [("embedding", 0, None), ("embedding", 6, None), ("context", 3, None), ("context", 6, [1, 4, 7])],
)
def test_stored_token_returns_itself_first(corpus_db, minilm, by, layer, heads):
    assert corpus_db.num_tokens() > 3000
    for row in _stored_sentences(corpus_db, 5, seed=layer):
        query = minilm.run(row["text"], contexts=True)
        token = len(query.tokens) // 2
        result = search(corpus_db, minilm, query, token, layer, by=by, heads=heads, k=50, exact=True)
        own = [m for m in result["matches"] if (m["sentence"], m["token"]["position"]) == (row["sentence"], token)]
        assert own and own[0]["similarity"] == pytest.approx(1.0, abs=1e-3)
        if layer == 0:
            # embeddings: the same word at the same position elsewhere has the very same vector
            assert result["matches"][0]["similarity"] - own[0]["similarity"] <= 1e-3
        else:
            assert own[0]["rank"] == 0


def test_ann_recall_at_50_against_exact(corpus_db, minilm):
    rows = corpus_db.num_tokens()
    for column in ("hs4", "ctx4"):
        corpus_db.tokens.create_index(column, config=index_config(rows), replace=True)
    clear_caches()
    recalls = {}
    for by, heads in (("embedding", None), ("context", None), ("context", [0, 5, 9])):
        found = []
        for row in _stored_sentences(corpus_db, 12, seed=7):
            query = minilm.run(row["text"], contexts=True)
            for token in (1, len(query.tokens) // 2, len(query.tokens) - 2):
                ann = search(corpus_db, minilm, query, token, 4, by=by, heads=heads, k=50)
                exact = search(corpus_db, minilm, query, token, 4, by=by, heads=heads, k=50, exact=True)
                assert ann["query"]["method"] == "ann"
                key = lambda m: (m["text"], m["token"]["position"])  # noqa: E731  (distinct contexts)
                found.append(len({key(m) for m in ann["matches"]} & {key(m) for m in exact["matches"]}) / 50)
        recalls[(by, heads and tuple(heads))] = float(np.mean(found))
    print("recall@50 ANN vs exact:", recalls)
    assert min(recalls.values()) >= 0.98, recalls
