"""Neighbour search: self-match, per-head cosine means, ANN vs exact, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import numpy as np
import pytest
from payload_schema import validate

from exbert_ls.errors import EmptyIndexError, IndexMismatchError, InvalidInputError
from exbert_ls.model.names import context_column
from exbert_ls.payloads.codec import to_wire
from exbert_ls.search import clear_caches
from exbert_ls.search import search as typed_search
from exbert_ls.search.engine import token_frame
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.quantize import dequantize, scale_column

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Dorothy lived in the midst of the great Kansas prairies.",
    "Uncle Henry was a farmer and Aunt Em was his wife.",
    "Their house was small, for the lumber had to be carried by wagon many miles.",
    "There were four walls, a floor and a roof, which made one room.",
    "The sun had baked the plowed land into a gray mass, with little cracks running through it.",
]


def search(*args, **kwargs):
    """The wire form of a search (what the CLI's --json and the server send)."""
    return to_wire(typed_search(*args, **kwargs))


def build_index(root: Path, runner, texts: list[str], annotator, *, ann: str = "never") -> CorpusDB:
    """Index ``texts`` (one file, one sentence per paragraph) with the real indexer."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "doc.txt").write_text("\n\n".join(texts), encoding="utf-8")
    uri = str(root / "index")
    index_paths([corpus], uri, runner, annotator=annotator, config=IndexConfig(ann=ann))
    return CorpusDB.open(uri, runner=runner)


def _sentence_id(db: CorpusDB, text: str) -> int:
    rows = db.sentences.search().select(["sentence", "text"]).limit(None).to_arrow().to_pylist()
    return next(r["sentence"] for r in rows if r["text"] == text)


def _count_runs(runner, monkeypatch) -> list[str]:
    """The texts ``runner.run_batch`` is asked to run from now on (it still runs them)."""
    ran: list[str] = []
    real = runner.run_batch

    def counting(texts, **kwargs):
        ran.extend(texts)
        return real(texts, **kwargs)

    monkeypatch.setattr(runner, "run_batch", counting)
    return ran


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(scope="module")
def bert_db(tmp_path_factory, tiny_runners, annotator):
    return build_index(tmp_path_factory.mktemp("bert"), tiny_runners["bert"], TEXTS, annotator)


@pytest.fixture(scope="module")
def gpt2_db(tmp_path_factory, tiny_runners, annotator):
    return build_index(tmp_path_factory.mktemp("gpt2"), tiny_runners["gpt2"], TEXTS[:3], annotator)


@pytest.mark.parametrize("by,layer", [("embedding", 0), ("embedding", 2), ("context", 1), ("context", 2)])
def test_stored_token_finds_itself_first(bert_db, tiny_runners, by, layer):
    runner = tiny_runners["bert"]
    text = TEXTS[1]
    query = runner.run(text, contexts=True)
    token = 4
    result = search(bert_db, runner, query, token, layer, by=by, k=40, exact=True)
    # a random tiny model attends almost uniformly, so its contexts tie across a sentence
    # within int8 precision; the stored token itself must be among them at ~1.0 (int8 codes
    # with a row scale: |q.x' - 1| stays below 5e-3 with the tiny model's 8-wide heads);
    # test_search_minilm.py checks that it comes first with a real model
    me = next(
        m for m in result["matches"] if (m["sentence"], m["token"]["position"]) == (_sentence_id(bert_db, text), token)
    )
    assert me["similarity"] == pytest.approx(1.0, abs=5e-3)
    assert result["matches"][0]["similarity"] <= me["similarity"] + 5e-3
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
        # int8 codes with one scale per row: within 6e-3 of float32 for 8-wide heads
        assert m["similarity"] == pytest.approx(np.mean(cosines), abs=6e-3)
    # and no other row scores higher than the last match (exhaustive, on the stored values)
    column = context_column(layer)
    all_rows = bert_db.tokens.search().select(["special", column, scale_column(column)]).limit(None).to_arrow()
    codes = np.array(all_rows.column(column).to_pylist(), dtype=np.int8)
    vecs = dequantize(codes, all_rows.column(scale_column(column)).to_numpy())
    vecs = vecs.reshape(len(vecs), info.num_heads, info.d_head)[:, heads]
    qn = q[heads] / np.linalg.norm(q[heads], axis=-1, keepdims=True)
    scores = np.einsum("nhd,hd->n", vecs, qn) / len(heads)
    scores = scores[~np.array(all_rows.column("special").to_pylist())]
    assert np.sort(scores)[::-1][14] == pytest.approx(result["matches"][-1]["similarity"], abs=1e-3)


def test_matches_carry_context_and_summary(bert_db, tiny_runners):
    runner = tiny_runners["bert"]
    query = runner.run(TEXTS[0], contexts=True)
    result = search(bert_db, runner, query, 3, 1, by="context", heads=[1], k=20, exact=True)
    assert result["schema"] == "exbert.search/1"
    assert not any(m["token"]["text"] in ("[CLS]", "[SEP]") for m in result["matches"])
    frame = token_frame(bert_db)
    for m in result["matches"]:
        words = json.loads(
            bert_db.sentences.search()
            .where(f"sentence = {m['sentence']}")
            .limit(1)
            .to_arrow()
            .column("words_json")[0]
            .as_py()
        )
        start, end = m["token"]["start"], m["token"]["end"]
        assert m["text"][start:end] in m["word"]["text"]
        w = next(i for i, word in enumerate(words) if word["start"] <= start < word["end"])
        assert m["word"]["pos"] == words[w]["pos"]
        assert m["left"] == (None if w == 0 else {k: words[w - 1][k] for k in ("text", "pos", "dep", "ent_type")})
        assert m["right"] == (
            None if w + 1 == len(words) else {k: words[w + 1][k] for k in ("text", "pos", "dep", "ent_type")}
        )
        ma = m["max_attended"]
        # head 1 of layer 1 is the only head chosen: its own argmax over the sentence's
        # attention, special tokens and position 0 excluded (the defaults)
        acts = runner.run(m["text"], contexts=False)
        att = acts.attention[0, 1, m["token"]["position"]].copy()
        att[[t.index for t in acts.tokens if t.special] + [0]] = -1
        assert ma["position"] == int(att.argmax()) and ma["head"] == 1
        assert ma["offset"] == ma["position"] - m["token"]["position"]
        assert ma["weight"] == pytest.approx(float(att.max()), abs=2e-3)
        assert m["next_token"] is None
    summary = result["summary"]
    assert summary["count"] == 20
    assert sum(summary["pos"].values()) == 20
    assert sum(summary["max_attended"]["offset"].values()) == 20
    binned = lambda o: "<=-8" if o <= -8 else ">=+8" if o >= 8 else str(o)  # noqa: E731
    offsets = [binned(m["max_attended"]["offset"]) for m in result["matches"]]
    assert summary["max_attended"]["offset"] == {o: offsets.count(o) for o in set(offsets)}
    assert result["max_attended_rule"] == {
        "heads": [1],
        "exclude_special": True,
        "exclude_first": True,
        "method": "mean",
    }
    assert result["dedup"] == {"collapsed": 0, "counted_once": True}
    assert len(frame.sentence) == bert_db.num_tokens()


def test_mean_over_heads_and_switchable_exclusions(bert_db, tiny_runners):
    runner = tiny_runners["bert"]
    query = runner.run(TEXTS[0], contexts=True)
    both = search(bert_db, runner, query, 3, 1, by="context", heads=[0, 1], k=10, exact=True, exclude_first=False)
    for m in both["matches"]:
        acts = runner.run(m["text"], contexts=False)
        row = acts.attention[0, [0, 1], m["token"]["position"]].mean(axis=0)
        row[[t.index for t in acts.tokens if t.special]] = -1  # special excluded, position 0 allowed
        assert m["max_attended"]["position"] == int(row.argmax())
        assert m["max_attended"]["head"] is None  # a mean of two heads, not one head
    assert both["max_attended_rule"]["exclude_first"] is False


def test_agreeing_stored_argmaxes_are_the_argmax_of_the_heads_mean():
    from exbert_ls.search.matches import agreed_max_attended
    from exbert_ls.store.quantize import decode_weights, encode_weights

    rng = np.random.default_rng(5)
    rows, heads, keys, layers = 400, 4, 9, 2
    logits = rng.normal(size=(rows, layers * heads, keys))
    spike = rng.integers(0, keys, size=rows)
    even = np.arange(0, rows, 2)
    logits[even, :, spike[even]] += 4  # half the rows: one key stands out in every head
    attention = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    max_att, weight = attention.argmax(axis=-1), attention.max(axis=-1)
    chosen = [0, 2, 3]
    pos, w = agreed_max_attended(max_att, decode_weights(encode_weights(weight)), 2, chosen, heads)
    mean = attention[:, [heads + h for h in chosen]].mean(axis=1)
    agree = pos >= 0
    assert 0.2 < agree.mean() < 0.8  # both cases occur
    assert np.array_equal(pos[agree], mean[agree].argmax(axis=1))
    np.testing.assert_allclose(w[agree], mean[agree].max(axis=1), atol=0.5 / 255 + 1e-6)
    assert np.all(max_att[~agree][:, [heads + h for h in chosen]].std(axis=1) > 0)  # they do disagree


def test_sentences_met_before_are_not_run_again_and_answer_the_same(bert_db, tiny_runners, monkeypatch):
    runner = tiny_runners["bert"]
    query = runner.run(TEXTS[1], contexts=True)
    real = runner.run_batch
    ran = _count_runs(runner, monkeypatch)
    rule = dict(by="embedding", k=12, exact=True, exclude_special=False)  # a rule no other test uses
    first = search(bert_db, runner, query, 2, 2, **rule)
    assert ran  # the mean over every head needed the model
    ran.clear()
    again = search(bert_db, runner, query, 2, 2, **rule)
    assert ran == [] and again == first
    for m in again["matches"]:  # and the cached answer is the model's
        acts = real([m["text"]], contexts=False)
        row = next(acts)[1].attention[1, :, m["token"]["position"]].mean(axis=0)
        row[0] = -1  # position 0 excluded, special tokens allowed
        assert m["max_attended"]["position"] == int(row.argmax())
    search(bert_db, runner, query, 2, 2, **{**rule, "exclude_first": False})  # another rule: run again
    assert ran


def test_identical_contexts_collapse_and_count_once():
    from exbert_ls.payloads.search import MatchToken, MatchWord, MaxAttended, SearchMatch
    from exbert_ls.search.matches import first_distinct, summarize_matches

    def match(text: str, position: int, pos: str) -> SearchMatch:
        return SearchMatch(
            rank=0,
            similarity=1.0,
            doc="d",
            doc_path="d",
            sentence=0,
            text=text,
            token=MatchToken(position=position, text="w", start=0, end=1),
            word=MatchWord(text="w", pos=pos, dep="d", ent_type="", tag=""),
            left=None,
            right=None,
            next_token=None,
            max_attended=MaxAttended(
                position=position + 12,
                offset=12,
                text="x",
                pos=pos,
                dep="d",
                ent_type="",
                special=False,
                weight=0.5,
                head=None,
            ),
        )

    hits = [match("a b", 1, "X"), match("c d", 1, "Y"), match("a b", 1, "X"), match("a b", 2, "Z")]
    keep, counts, collapsed = first_distinct([(m.text, m.token.position) for m in hits], limit=3)
    assert collapsed == 1 and keep.tolist() == [0, 1, 3] and counts.tolist() == [2, 1, 1]
    rows = [attrs.evolve(hits[i], count=int(c)) for i, c in zip(keep, counts, strict=True)]
    # a limit stops before the next distinct context: its duplicates further down are not counted
    keep2, counts2, collapsed2 = first_distinct([("a", 1), ("a", 1), ("b", 1), ("a", 1)], limit=1)
    assert keep2.tolist() == [0] and counts2.tolist() == [2] and collapsed2 == 1
    assert summarize_matches(rows).pos == {"X": 1, "Y": 1, "Z": 1}
    assert summarize_matches(rows, count_duplicates=True).pos == {"X": 2, "Y": 1, "Z": 1}
    assert summarize_matches(rows).max_attended.offset == {">=+8": 3}


def test_causal_models_report_the_next_token(gpt2_db, tiny_runners):
    runner = tiny_runners["gpt2"]
    query = runner.run(TEXTS[2], contexts=True)
    result = search(gpt2_db, runner, query, 2, 2, k=5, exact=True)
    top = result["matches"][0]
    assert top["next_token"] == {"position": 3, "text": query.tokens[3].text}


def test_bad_inputs_are_clear_errors(bert_db, tiny_runners, tmp_path, annotator):
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
    with pytest.raises(IndexMismatchError, match="built by"):
        CorpusDB.open(bert_db.uri, runner=tiny_runners["gpt2"])
    (tmp_path / "nothing").mkdir()
    index_paths([tmp_path / "nothing"], str(tmp_path / "empty"), runner, annotator=annotator)
    with pytest.raises(EmptyIndexError, match="no tokens"):
        search(CorpusDB.open(str(tmp_path / "empty")), runner, query, 1, 1)


def test_int8_columns_get_no_ann_index_and_stay_exact(tmp_path, tiny_runners, annotator):
    # LanceDB indexes only float columns: ann="always" on an int8 table builds nothing, and
    # search() keeps the exact block scan (same answers as exact=True)
    runner = tiny_runners["bert"]
    db = build_index(tmp_path, runner, TEXTS, annotator, ann="always")
    assert db.tokens.list_indices() == []
    query = runner.run(TEXTS[3], contexts=True)
    for by, layer in (("embedding", 2), ("context", 2)):
        auto = search(db, runner, query, 5, layer, by=by, k=10)
        exact = search(db, runner, query, 5, layer, by=by, k=10, exact=True)
        assert auto["query"]["method"] == "exact"
        assert auto["matches"] == exact["matches"]


@pytest.mark.parametrize("ann", ["never", "always"])  # "always" builds nothing on int8 columns
def test_rows_of_a_pending_document_are_never_returned(tmp_path, tiny_runners, annotator, ann):
    """A document an index job is writing (or a killed job left pending) is not searchable."""
    runner = tiny_runners["bert"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n\n".join(TEXTS[:3]), encoding="utf-8")
    (corpus / "b.txt").write_text("\n\n".join(TEXTS[3:]), encoding="utf-8")
    uri = str(tmp_path / "index")
    index_paths([corpus], uri, runner, annotator=annotator, config=IndexConfig(ann=ann))
    db = CorpusDB.open(uri, runner=runner)
    query = runner.run(TEXTS[1], contexts=True)
    b_doc = str(corpus / "b.txt")
    docs_of = lambda result: {m["doc"] for m in result["matches"]}  # noqa: E731
    assert docs_of(search(db, runner, query, 4, 2, k=200)) == {str(corpus / "a.txt"), b_doc}

    db.documents.update(where=f"doc = '{b_doc}'", values={"status": "pending"})
    pending = search(db, runner, query, 4, 2, k=200)
    assert b_doc not in docs_of(pending) and pending["matches"]
    assert pending["query"]["method"] == "exact"


def test_head_summaries_follow_the_documents_indexed(tmp_path, tiny_runners, annotator):
    from exbert_ls.search import head_summaries

    runner = tiny_runners["bert"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n\n".join(TEXTS[:3]), encoding="utf-8")
    uri = str(tmp_path / "index")
    index_paths([corpus], uri, runner, annotator=annotator)
    db = CorpusDB.open(uri)
    first = to_wire(head_summaries(db, min_support=1))
    assert first["documents"] == 1 and first["complete"] is True and "current" not in first
    tokens = db.tokens.search().select(["special"]).limit(None).to_arrow().column("special").to_pylist()
    assert first["schema"] == "exbert.heads/1"
    assert first["sentences"] == db.sentences.count_rows()
    assert first["tokens"] == tokens.count(False)
    assert len(first["heads"]) == runner.info.num_layers * runner.info.num_heads
    assert all(h["description"].startswith(f"L{h['layer']} H{h['head']}") for h in first["heads"])

    (corpus / "b.txt").write_text("\n\n".join(TEXTS[3:]), encoding="utf-8")
    index_paths([corpus], uri, runner, annotator=annotator)
    both = to_wire(head_summaries(db, min_support=1))
    assert both["sentences"] == db.sentences.count_rows() > first["sentences"]
    assert both["documents"] == 2 and both["complete"] is True

    # a live document without its statistics: the summary says so (no constant "current")
    db.head_stats.delete(f"doc = '{corpus / 'b.txt'}'")
    partial = to_wire(head_summaries(db, min_support=1))
    assert partial["documents"] == 1 and partial["complete"] is False
    assert partial["sentences"] == first["sentences"]

    (corpus / "b.txt").unlink()
    index_paths([corpus], uri, runner, annotator=annotator)
    again = to_wire(head_summaries(db, min_support=1))
    assert again["sentences"] == first["sentences"]
    assert again["heads"] == first["heads"]


def test_rows_moved_by_a_concurrent_write_are_detected_and_the_search_retried(tmp_path, tiny_runners, annotator):
    from exbert_ls.errors import StaleIndexError
    from exbert_ls.search.engine import top_k
    from exbert_ls.search.matches import build_matches
    from exbert_ls.search.query import query_vector

    runner = tiny_runners["bert"]
    db = build_index(tmp_path, runner, TEXTS, annotator)
    query = runner.run(TEXTS[4], contexts=True)
    qv = query_vector(query, 3, 2, by="embedding", heads=None, num_layers=2, num_heads=4)
    version = db.version()
    hits = top_k(db, qv, 10, exact=True, version=version)
    frame = token_frame(db, version)
    first = int(frame.sentence[frame.order[0]])
    db.tokens.delete(f"sentence = {first}")  # every later row moves up
    with pytest.raises(StaleIndexError, match="changed during the search"):
        build_matches(db, frame, hits, qv, num_heads=4, causal=False)
    result = search(db, runner, query, 3, 2, k=10, exact=True)  # reads the new version
    assert all(m["sentence"] != first for m in result["matches"])


def test_cli_search_and_heads(bert_db, tiny_model_dirs, capsys):
    from exbert_ls.cli import main

    model = str(tiny_model_dirs["bert"])
    assert (
        main(
            [
                "search",
                TEXTS[1],
                "--db",
                bert_db.uri,
                "--token",
                "3",
                "--layer",
                "1",
                "--by",
                "context",
                "--heads",
                "0,2",
                "--k",
                "7",
                "--exact",
                "--json",
                "--model",
                model,
            ]
        )
        == 0
    )
    payload = validate("search", json.loads(capsys.readouterr().out))
    assert payload["schema"] == "exbert.search/1" and len(payload["matches"]) == 7
    assert payload["query"]["heads"] == [0, 2] and payload["query"]["by"] == "context"

    assert main(["search", TEXTS[1], "--db", bert_db.uri, "--token", "3", "--layer", "2", "--model", model]) == 0
    text = capsys.readouterr().out
    assert "matches (exact)" in text and "POS:" in text

    assert main(["search", TEXTS[1], "--db", bert_db.uri, "--token", "3", "--layer", "9", "--model", model]) == 2
    assert "layer 9 is out of range" in capsys.readouterr().err

    assert main(["heads", "--db", bert_db.uri, "--json", "--min-support", "1"]) == 0
    heads = validate("heads", json.loads(capsys.readouterr().out))
    assert heads["schema"] == "exbert.heads/1" and len(heads["heads"]) == 8
    assert main(["heads", "--db", bert_db.uri, "--markdown", "--min-support", "1"]) == 0
    assert capsys.readouterr().out.startswith("| relation | direction |")


def test_cli_search_and_heads_find_the_database_like_exbert_index(bert_db, tmp_path, monkeypatch, capsys):
    from exbert_ls.cli import main

    monkeypatch.setenv("EXBERT_DB", bert_db.uri)
    assert main(["heads", "--json", "--min-support", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "exbert.heads/1"
    monkeypatch.delenv("EXBERT_DB")
    monkeypatch.chdir(tmp_path)  # no .exbert/index here
    assert main(["heads"]) == 2
    assert "no corpus index at '.exbert/index'" in capsys.readouterr().err


def test_cli_output_into_a_closed_pipe_is_quiet(bert_db):
    """`exbert heads | head`: the reader is gone before the writer finishes; no traceback."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "exbert_ls", "heads", "--db", bert_db.uri, "--min-support", "1"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr


def test_max_attended_is_the_selected_head_with_the_largest_weight():
    from exbert_ls.search.matches import max_attended_choice

    num_heads = 3  # two layers of three heads: columns (l-1)*3 + h
    max_att = np.array([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    weights = np.array([[0.9, 0.1, 0.2, 0.3, 0.8, 0.5], [0.1, 0.2, 0.3, 0.7, 0.1, 0.6]])
    pos, w, head = max_attended_choice(max_att, weights, 2, None, num_heads)  # layer 2, all heads
    assert pos.tolist() == [4, 9] and head.tolist() == [1, 0]
    assert w.tolist() == pytest.approx([0.8, 0.7])
    pos, w, head = max_attended_choice(max_att, weights, 2, [2], num_heads)  # layer 2, head 2 only
    assert pos.tolist() == [5, 11] and head.tolist() == [2, 2]
    pos, _, head = max_attended_choice(max_att, weights, 1, [1, 2], num_heads)
    assert pos.tolist() == [2, 8] and head.tolist() == [2, 2]


def test_the_all_heads_max_attended_comes_from_the_index_as_a_re_run_would_give_it(bert_db, tiny_runners, monkeypatch):
    """The default search (all heads, special tokens and position 0 excluded) reads layout 4's
    ``mean_att``: no sentence runs again, and each answer is the argmax of the model's mean."""
    runner = tiny_runners["bert"]
    query = runner.run(TEXTS[2], contexts=True)
    real = runner.run_batch
    ran = _count_runs(runner, monkeypatch)
    for layer in (1, 2):
        result = search(bert_db, runner, query, 3, layer, by="embedding", k=15, exact=True)
        assert ran == [] and result["max_attended_rule"]["method"] == "mean"
        for m in result["matches"]:
            acts = next(real([m["text"]], contexts=False))[1]
            row = acts.attention[layer - 1, :, m["token"]["position"]].mean(axis=0)
            row[[t.index for t in acts.tokens if t.special] + [0]] = -1
            got = m["max_attended"]["position"]
            # the index's forward ran in another batch: a near-tie may flip, never by more than that
            assert got == int(row.argmax()) or row[got] >= row.max() - 1e-4
            assert m["max_attended"]["weight"] == pytest.approx(float(row[got]), abs=0.5 / 255 + 1e-4)
            assert m["max_attended"]["head"] is None
    one_head = search(bert_db, runner, query, 3, 1, by="context", heads=[1], k=5, exact=True)
    assert one_head["matches"] and ran == []  # one head: its own stored argmax decides (or a re-run)


def test_an_index_of_layout_3_is_still_searched_and_appended_to(tmp_path, tiny_runners, annotator, monkeypatch):
    """Layout 4 only adds ``mean_att``: a layout-3 index keeps its layout on new rows, and its
    all-heads max-attended tokens come from a re-run, the same as layout 4 stores them."""
    from exbert_ls.store import schema

    runner = tiny_runners["bert"]
    with monkeypatch.context() as old:
        old.setattr(schema, "SCHEMA_VERSION", 3)
        db3 = build_index(tmp_path / "v3", runner, TEXTS[:3], annotator)
    assert db3.meta.schema_version == 3 and "mean_att" not in db3.tokens.schema.names
    more = tmp_path / "v3" / "corpus" / "more.txt"
    more.write_text("\n\n".join(TEXTS[3:]), encoding="utf-8")
    report = index_paths([more.parent], db3.uri, runner, annotator=annotator, config=IndexConfig(ann="never"))
    assert len(report.indexed) == 1 and report.indexed[0].endswith("more.txt")
    db3 = CorpusDB.open(db3.uri, runner=runner)
    assert db3.meta.schema_version == 3 and "mean_att" not in db3.tokens.schema.names
    db4 = build_index(tmp_path / "v4", runner, TEXTS, annotator)
    assert db3.num_tokens() == db4.num_tokens() and "mean_att" in db4.tokens.schema.names
    query = runner.run(TEXTS[4], contexts=True)
    a = search(db3, runner, query, 2, 2, by="embedding", k=10, exact=True)
    b = search(db4, runner, query, 2, 2, by="embedding", k=10, exact=True)
    assert [m["text"] for m in a["matches"]] == [m["text"] for m in b["matches"]]
    for x, y in zip(a["matches"], b["matches"], strict=True):
        assert x["max_attended"]["position"] == y["max_attended"]["position"]
        assert x["max_attended"]["weight"] == pytest.approx(y["max_attended"]["weight"], abs=0.5 / 255 + 1e-4)
