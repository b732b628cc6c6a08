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
    table = corpus_db.sentences.search().select(["sentence", "text"]).limit(None).to_arrow()
    texts = dict(zip(table["sentence"].to_pylist(), table["text"].to_pylist(), strict=True))
    for row in _stored_sentences(corpus_db, 5, seed=layer):
        query = minilm.run(row["text"], contexts=True)
        token = len(query.tokens) // 2
        result = search(corpus_db, minilm, query, token, layer, by=by, heads=heads, k=50, exact=True)
        # its own context: this token of this text. Identical contexts (copies of a line) collapse
        # into their best-ranked match, which may be another copy: copies run in different pools
        # differ in their last bits (search/matches.py distinct_hits)
        own = [m for m in result["matches"] if (texts[m["sentence"]], m["token"]["position"]) == (row["text"], token)]
        assert own and own[0]["similarity"] == pytest.approx(1.0, abs=3e-3)  # int8 codes x row scale
        if layer == 0:
            # embeddings: the same word at the same position elsewhere has the very same vector
            assert result["matches"][0]["similarity"] - own[0]["similarity"] <= 1e-3
        else:
            assert own[0]["rank"] == 0


# The ANN recall test went with the float16 layout: LanceDB builds no index on int8 columns, so
# every search of a layout-2 index is the exact block scan; recall@50 of the int8 rows against
# float32 exact search is measured by bench/bench_storage.py (docs/benchmarks.md).
