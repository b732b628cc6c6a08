"""Neighbour search: self-match, per-head cosine means, ANN vs exact, bad inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from exbert_ls.annotate.align import align
from exbert_ls.annotate.words import Word
from exbert_ls.errors import EmptyIndexError, IndexMismatchError, InvalidInputError
from exbert_ls.model.names import context_column, hidden_column
from exbert_ls.model.vectors import normalized_contexts, normalized_hidden
from exbert_ls.search import clear_caches, search
from exbert_ls.search.engine import token_frame

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Dorothy lived in the midst of the great Kansas prairies.",
    "Uncle Henry was a farmer and Aunt Em was his wife.",
    "Their house was small, for the lumber had to be carried by wagon many miles.",
    "There were four walls, a floor and a roof, which made one room.",
    "The sun had baked the plowed land into a gray mass, with little cracks running through it.",
]


@dataclass
class FakeDB:
    """The CorpusDB surface search needs, over tables written by :func:`build_index`."""

    uri: str
    meta: Any
    conn: Any
    tables: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name in ("tokens", "sentences", "documents", "head_stats"):
            return self.conn.open_table(name)
        raise AttributeError(name)

    def version(self) -> int:
        return sum(self.conn.open_table(n).version for n in ("tokens", "sentences"))

    def num_tokens(self) -> int:
        return self.tokens.count_rows()


def _words(text: str) -> list[Word]:
    import re

    out = []
    for i, m in enumerate(re.finditer(r"\w+|[^\w\s]", text)):
        w = m.group()
        out.append(Word(i, w, m.start(), m.end(), pos="PUNCT" if not w.isalnum() else ("NOUN" if i % 2 else "DET"),
                        dep="punct" if not w.isalnum() else "dep", head=max(i - 1, -1), is_punct=not w.isalnum()))
    return out


def build_index(uri: Path, runner, texts: list[str]) -> FakeDB:
    """Rows exactly as the contract (docs/contracts.md) describes, from ``runner.run``."""
    info = runner.info
    rows, sentences = [], []
    for s, text in enumerate(texts):
        acts = runner.run(text, contexts=True)
        words = _words(text)
        al = align(acts.tokens, words, len(text))
        hidden = normalized_hidden(acts.hidden).astype(np.float16)
        ctx = normalized_contexts(acts.contexts, info.num_heads).astype(np.float16)
        flat = acts.attention.reshape(-1, *acts.attention.shape[2:])  # [L*H, T, T]
        max_att, max_w = flat.argmax(-1).T, flat.max(-1).T  # [T, L*H]
        sentences.append({"doc": "d.txt", "doc_hash": "h", "sentence": s, "text": text,
                          "words_json": json.dumps([w.__dict__ for w in words]), "num_tokens": len(acts.tokens)})
        for tok in acts.tokens:
            w = int(al.token_to_word[tok.index])
            word = words[w] if w >= 0 else None
            row = {"doc": "d.txt", "sentence": s, "position": tok.index, "start": tok.start, "end": tok.end,
                   "token": tok.text, "special": tok.special, "word": w, "piece": int(al.piece_index[tok.index]),
                   "pos": word.pos if word else "", "dep": word.dep if word else "", "ent_type": "",
                   "max_att": max_att[tok.index].astype(np.int16).tolist(),
                   "max_att_w": max_w[tok.index].astype(np.float16).tolist()}
            for layer in range(info.num_layers + 1):
                row[hidden_column(layer)] = hidden[layer, tok.index].tolist()
            for layer in range(1, info.num_layers + 1):
                row[context_column(layer)] = ctx[layer - 1, tok.index].tolist()
            rows.append(row)
    conn = lancedb.connect(str(uri))
    fields = [("doc", pa.string()), ("sentence", pa.int64()), ("position", pa.int32()), ("start", pa.int32()),
              ("end", pa.int32()), ("token", pa.string()), ("special", pa.bool_()), ("word", pa.int32()),
              ("piece", pa.int32()), ("pos", pa.string()), ("dep", pa.string()), ("ent_type", pa.string()),
              ("max_att", pa.list_(pa.int16(), info.num_layers * info.num_heads)),
              ("max_att_w", pa.list_(pa.float16(), info.num_layers * info.num_heads))]
    fields += [(hidden_column(l), pa.list_(pa.float16(), info.d_model)) for l in range(info.num_layers + 1)]
    fields += [(context_column(l), pa.list_(pa.float16(), info.num_heads * info.d_head))
               for l in range(1, info.num_layers + 1)]
    conn.create_table("tokens", pa.Table.from_pylist(rows, schema=pa.schema(fields)))
    conn.create_table("sentences", pa.Table.from_pylist(sentences))
    meta = SimpleNamespace(model=info.name, model_fingerprint=runner.fingerprint(), num_layers=info.num_layers,
                           num_heads=info.num_heads, d_head=info.d_head, d_model=info.d_model, causal=info.causal)
    return FakeDB(str(uri), meta, conn)


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(scope="module")
def bert_db(tmp_path_factory, tiny_runners):
    return build_index(tmp_path_factory.mktemp("bert-index"), tiny_runners["bert"], TEXTS)


@pytest.fixture(scope="module")
def gpt2_db(tmp_path_factory, tiny_runners):
    return build_index(tmp_path_factory.mktemp("gpt2-index"), tiny_runners["gpt2"], TEXTS[:3])


@pytest.mark.parametrize("by,layer", [("embedding", 0), ("embedding", 2), ("context", 1), ("context", 2)])
def test_stored_token_finds_itself_first(bert_db, tiny_runners, by, layer):
    runner = tiny_runners["bert"]
    text = TEXTS[1]
    query = runner.run(text, contexts=True)
    token = 4
    result = search(bert_db, runner, query, token, layer, by=by, k=40, exact=True)
    # a random tiny model attends almost uniformly, so its contexts tie across a sentence
    # within float16 precision; the stored token itself must be among them at 1.0
    # (test_search_minilm.py checks that it comes first with a real model)
    me = next(m for m in result["matches"] if (m["sentence"], m["token"]["position"]) == (1, token))
    assert me["similarity"] == pytest.approx(1.0, abs=1e-3)
    assert result["matches"][0]["similarity"] <= me["similarity"] + 1e-3
    assert me["text"] == text
    assert me["token"]["text"] == query.tokens[token].text
    sims = [m["similarity"] for m in result["matches"]]
    assert sims == sorted(sims, reverse=True)
    assert result["query"]["method"] == "exact"


def test_context_search_is_the_mean_of_per_head_cosines(bert_db, tiny_runners):
    runner = tiny_runners["bert"]
    info = runner.info
    query = runner.run("A farmer carried the wagon.", contexts=True)
    heads, layer, token = [0, 3], 2, 2
    result = search(bert_db, runner, query, token, layer, by="context", heads=heads, k=15, exact=True)
    q = query.contexts[layer - 1, token].reshape(info.num_heads, info.d_head)
    for m in result["matches"]:
        stored = runner.run(m["text"], contexts=True).contexts[layer - 1, m["token"]["position"]]
        stored = stored.reshape(info.num_heads, info.d_head)
        cosines = [q[h] @ stored[h] / (np.linalg.norm(q[h]) * np.linalg.norm(stored[h])) for h in heads]
        assert m["similarity"] == pytest.approx(np.mean(cosines), abs=3e-3)
    # and no other row scores higher than the last match (exhaustive)
    all_rows = bert_db.tokens.search().select(["special", context_column(layer)]).limit(None).to_arrow()
    vecs = np.array(all_rows.column(context_column(layer)).to_pylist(), dtype=np.float32)
    vecs = vecs.reshape(len(vecs), info.num_heads, info.d_head)[:, heads]
    qn = q[heads] / np.linalg.norm(q[heads], axis=-1, keepdims=True)
    scores = np.einsum("nhd,hd->n", vecs, qn) / len(heads)
    scores = scores[~np.array(all_rows.column("special").to_pylist())]
    assert np.sort(scores)[::-1][14] == pytest.approx(result["matches"][-1]["similarity"], abs=2e-3)


def test_matches_carry_context_and_summary(bert_db, tiny_runners):
    runner = tiny_runners["bert"]
    query = runner.run(TEXTS[0], contexts=True)
    result = search(bert_db, runner, query, 3, 1, by="context", heads=[1], k=20, exact=True)
    assert result["schema"] == "exbert.search/1"
    assert not any(m["token"]["text"] in ("[CLS]", "[SEP]") for m in result["matches"])
    frame = token_frame(bert_db)
    for m in result["matches"]:
        words = json.loads(bert_db.sentences.search().where(f"sentence = {m['sentence']}")
                           .limit(1).to_arrow().column("words_json")[0].as_py())
        start, end = m["token"]["start"], m["token"]["end"]
        assert m["text"][start:end] in m["word"]["text"]
        w = next(i for i, word in enumerate(words) if word["start"] <= start < word["end"])
        assert m["word"]["pos"] == words[w]["pos"]
        assert m["left"] == (None if w == 0 else {k: words[w - 1][k] for k in ("text", "pos", "dep", "ent_type")})
        assert m["right"] == (None if w + 1 == len(words) else
                              {k: words[w + 1][k] for k in ("text", "pos", "dep", "ent_type")})
        ma = m["max_attended"]
        # head 1 of layer 1 is the only head chosen: its own argmax over the sentence's attention
        att = runner.run(m["text"], contexts=False).attention[0, 1, m["token"]["position"]]
        assert ma["position"] == int(att.argmax()) and ma["head"] == 1
        assert ma["offset"] == ma["position"] - m["token"]["position"]
        assert ma["weight"] == pytest.approx(float(att.max()), abs=2e-3)
        assert m["next_token"] is None
    summary = result["summary"]
    assert summary["count"] == 20
    assert sum(summary["pos"].values()) == 20
    assert sum(summary["max_attended"]["offset"].values()) == 20
    offsets = [str(m["max_attended"]["offset"]) for m in result["matches"]]
    assert summary["max_attended"]["offset"] == {o: offsets.count(o) for o in set(offsets)}
    assert len(frame.sentence) == bert_db.num_tokens()


def test_causal_models_report_the_next_token(gpt2_db, tiny_runners):
    runner = tiny_runners["gpt2"]
    query = runner.run(TEXTS[2], contexts=True)
    result = search(gpt2_db, runner, query, 2, 2, k=5, exact=True)
    top = result["matches"][0]
    assert top["next_token"] == {"position": 3, "text": query.tokens[3].text}


def test_bad_inputs_are_clear_errors(bert_db, tiny_runners, tmp_path):
    runner = tiny_runners["bert"]
    query = runner.run(TEXTS[0], contexts=True)
    with pytest.raises(InvalidInputError, match="layer 3 is out of range.*0..2"):
        search(bert_db, runner, query, 1, 3)
    with pytest.raises(InvalidInputError, match="layer 0 is out of range.*1..2"):
        search(bert_db, runner, query, 1, 0, by="context")
    with pytest.raises(InvalidInputError, match="head 4 is out of range.*0..3"):
        search(bert_db, runner, query, 1, 1, by="context", heads=[0, 4])
    with pytest.raises(InvalidInputError, match="token 99 is out of range"):
        search(bert_db, runner, query, 99, 1)
    with pytest.raises(InvalidInputError, match="special token"):
        search(bert_db, runner, query, 0, 1)
    with pytest.raises(InvalidInputError, match="contexts=True"):
        search(bert_db, runner, runner.run(TEXTS[0], contexts=False), 1, 1, by="context")
    with pytest.raises(IndexMismatchError, match="built by"):
        search(bert_db, tiny_runners["distilbert"], tiny_runners["distilbert"].run(TEXTS[0]), 1, 1)
    empty = build_index(tmp_path / "empty", runner, TEXTS[:1])
    empty.tokens.delete("true")
    with pytest.raises(EmptyIndexError, match="no tokens"):
        search(empty, runner, query, 1, 1)
