"""index_paths end to end with a tiny model: stored rows, incremental updates, identity, cancel."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import numpy as np
import pytest
from payload_schema import validate

from exbert_ls.errors import IndexMismatchError
from exbert_ls.model.runner import ModelRunner
from exbert_ls.model.vectors import normalized_contexts, normalized_hidden
from exbert_ls.store import CorpusDB, IndexConfig, IndexProgress, index_paths
from exbert_ls.store.quantize import decode_weights, dequantize, scale_column
from exbert_ls.store.schema import GOLD, stored_vector_columns
from exbert_ls.store.verify import verify
from exbert_ls.summarize.heads import HeadStats

SENTENCES = [
    "Dorothy lived in the midst of the great Kansas prairies.",
    "Uncle Henry was a farmer, and Aunt Em was his wife.",
    "Their house was small, for the lumber had to be carried by wagon many miles.",
    "The Scarecrow didn't know why the well-known road was paved with yellow brick.",
    "When the cyclone came, the house whirled around two or three times and rose slowly through the air.",
    "It was Toto that made Dorothy laugh.",
    "The Tin Woodman had asked the Wizard for a heart.",
]


def write_corpus(root: Path, docs: int, per_doc: int = 6, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(docs):
        paragraphs = [" ".join(rng.sample(SENTENCES, 2)) for _ in range(per_doc // 2)]
        path = root / f"doc{i:02d}.txt"
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def snapshot(uri: str) -> dict[tuple[str, int, int], tuple[str, np.ndarray]]:
    """``(doc, sentence number, position) -> (token, all vectors concatenated)``."""
    db = CorpusDB.open(uri)
    numbers = {
        r["sentence"]: r["number"]
        for r in db.sentences.search().select(["sentence", "number"]).limit(None).to_arrow().to_pylist()
    }
    columns = stored_vector_columns(db.meta.num_layers)
    scales = [scale_column(c) for c in columns]
    table = db.tokens.search().select(["doc", "sentence", "position", "token", *columns, *scales])
    table = table.limit(None).to_arrow()
    vectors = np.concatenate(
        [
            dequantize(table[c].combine_chunks().flatten().to_numpy().reshape(len(table), -1), table[s].to_numpy())
            for c, s in zip(columns, scales, strict=True)
        ],
        axis=1,
    )
    keys = zip(table["doc"].to_pylist(), table["sentence"].to_pylist(), table["position"].to_pylist())
    result = {}
    for row, (doc, sentence, position) in enumerate(keys):
        key = (doc, numbers[sentence], position)
        assert key not in result, f"duplicate row {key}"
        result[key] = (table["token"][row].as_py(), vectors[row].astype(np.float32))
    return result


def assert_same_rows(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    assert all(got[k][0] == want[k][0] for k in want)
    # int8 codes with a row scale (step = max|x| / 127 <= 1/127); batch composition may move the
    # float32 activations in the last bits, and so a code by one step
    diff = max(float(np.abs(got[k][1] - want[k][1]).max()) for k in want)
    assert diff < 1.5 / 127


@pytest.fixture()
def bert(tiny_runners: dict[str, ModelRunner]) -> ModelRunner:
    return tiny_runners["bert"]


def test_rows_are_what_a_direct_run_computes(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    write_corpus(tmp_path / "c", docs=2)
    uri = str(tmp_path / "db")
    report = index_paths([tmp_path / "c"], uri, bert, annotator=annotator)
    assert len(report.indexed) == 2 and report.tokens > 0
    db = CorpusDB.open(uri, runner=bert)
    assert verify(db) == []
    meta = db.meta
    sentences = db.sentences.search().limit(None).to_arrow().to_pylist()
    tokens = db.tokens.search().limit(None).to_arrow().to_pylist()
    by_sentence: dict[int, list[dict]] = {}
    for row in tokens:
        by_sentence.setdefault(row["sentence"], []).append(row)
    for sentence in sentences[:4]:
        rows = sorted(by_sentence[sentence["sentence"]], key=lambda r: r["position"])
        acts = bert.run(sentence["text"], contexts=True)
        assert [r["token"] for r in rows] == [t.text for t in acts.tokens]
        assert [r["token_id"] for r in rows] == [t.id for t in acts.tokens]  # what hs0 is derived from
        hidden = normalized_hidden(acts.hidden)
        contexts = normalized_contexts(acts.contexts, meta.num_heads)
        # int8 codes of the turned vector: each within half a step (scale / 2), so the L2 error
        # of the vector is at most sqrt(width) * scale / 2; hs0 is not stored
        want = [*hidden[1:], *contexts]
        assert "hs0" not in rows[0]
        for column, expected in zip(stored_vector_columns(meta.num_layers), want, strict=True):
            scale = np.array([r[scale_column(column)] for r in rows], dtype=np.float32)
            stored = dequantize(np.array([r[column] for r in rows], dtype=np.int8), scale)
            bound = np.sqrt(expected.shape[-1]) * scale * 0.5 + 1e-6
            assert np.all(np.linalg.norm(stored - expected, axis=-1) <= bound), column
        att = acts.attention.reshape(-1, len(rows), len(rows))  # [L*H, T, T]
        for position, r in enumerate(rows):
            picked = att[np.arange(att.shape[0]), position, r["max_att"]]
            np.testing.assert_allclose(picked, att[:, position].max(axis=-1), atol=1e-3)
            # uint8 codes of the weight: within half a step (0.5 / 255)
            np.testing.assert_allclose(decode_weights(np.array(r["max_att_w"])), picked, atol=0.5 / 255 + 1e-6)
        words = json.loads(sentence["words_json"])
        for r in rows:
            if r["special"]:
                assert (r["word"], r["piece"], r["pos"], r["head"]) == (-1, -1, "", -1)
            else:
                word = words[r["word"]]
                assert word["start"] <= r["start"] < r["end"] <= word["end"]
                assert (r["pos"], r["dep"], r["head"], r["lemma"]) == (
                    word["pos"],
                    word["dep"],
                    word["head"],
                    word["lemma"],
                )


def test_head_stats_row_per_document_sums_its_sentences(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    write_corpus(tmp_path / "c", docs=2)
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, bert, annotator=annotator)
    db = CorpusDB.open(uri)
    documents = {r["doc"]: r for r in db.documents.search().limit(None).to_arrow().to_pylist()}
    rows = db.head_stats.search().limit(None).to_arrow().to_pylist()
    assert sorted(r["doc"] for r in rows) == sorted(documents)
    for row in rows:
        stats = HeadStats.from_record(json.loads(row["stats_json"]))
        assert stats.shape == (bert.info.num_layers, bert.info.num_heads)
        assert stats.sentences == documents[row["doc"]]["sentences"]
        assert row["doc_hash"] == documents[row["doc"]]["hash"]


def test_unchanged_changed_added_removed(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    corpus = tmp_path / "c"
    paths = write_corpus(corpus, docs=3)
    uri = str(tmp_path / "db")
    first = index_paths([corpus], uri, bert, annotator=annotator)
    assert sorted(first.indexed) == sorted(str(p) for p in paths)
    db = CorpusDB.open(uri)
    version = db.version()

    again = index_paths([corpus], uri, bert, annotator=annotator)
    assert (again.indexed, again.removed, again.tokens) == ([], [], 0)
    assert sorted(again.unchanged) == sorted(str(p) for p in paths)
    assert db.version() == version  # nothing was written

    paths[1].write_text("The Wizard changed this document entirely.\n", encoding="utf-8")
    paths[2].unlink()
    (corpus / "new.md").write_text("A new file about the Emerald City.\n", encoding="utf-8")
    update = index_paths([corpus], uri, bert, annotator=annotator)
    assert sorted(update.indexed) == sorted([str(paths[1]), str(corpus / "new.md")])
    assert update.removed == [str(paths[2])]
    assert update.unchanged == [str(paths[0])]
    assert verify(db) == []
    texts = {r["text"] for r in db.sentences.search().select(["text"]).limit(None).to_arrow().to_pylist()}
    assert "The Wizard changed this document entirely." in texts

    clean = str(tmp_path / "clean")
    index_paths([corpus], clean, bert, annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))


def test_removal_is_limited_to_the_paths_given(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    a = write_corpus(tmp_path / "a", docs=1)
    b = write_corpus(tmp_path / "b", docs=1, seed=1)
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "a"], uri, bert, annotator=annotator)
    report = index_paths([tmp_path / "b"], uri, bert, annotator=annotator)
    assert report.removed == [] and report.indexed == [str(b[0])]
    docs = {r["doc"] for r in CorpusDB.open(uri).documents.search().limit(None).to_arrow().to_pylist()}
    assert docs == {str(a[0]), str(b[0])}


def test_another_model_is_refused_naming_the_builder(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], tiny_model_dirs: dict[str, Path], annotator
) -> None:
    write_corpus(tmp_path / "c", docs=1)
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, tiny_runners["bert"], annotator=annotator)
    with pytest.raises(IndexMismatchError, match=f"built by model '{tiny_model_dirs['bert']}'"):
        CorpusDB.open(uri, runner=tiny_runners["distilbert"])
    with pytest.raises(IndexMismatchError, match="fingerprint"):
        index_paths([tmp_path / "c"], uri, tiny_runners["gpt2"], annotator=annotator)
    assert CorpusDB.open(uri, runner=tiny_runners["bert"]).meta.model == str(tiny_model_dirs["bert"])


def test_cancel_leaves_a_consistent_database_and_a_rerun_completes_it(
    tmp_path: Path, bert: ModelRunner, annotator
) -> None:
    corpus = tmp_path / "c"
    write_corpus(corpus, docs=8)
    uri = str(tmp_path / "db")
    cancel = threading.Event()
    seen: list[IndexProgress] = []

    def on_progress(p: IndexProgress) -> None:
        seen.append(p)
        if p.files_done >= 2:  # mid-run: some documents finished, others not
            cancel.set()

    config = IndexConfig(pool_sentences=4, flush_tokens=64, group_bytes=1500)
    report = index_paths([corpus], uri, bert, annotator=annotator, progress=on_progress, cancel=cancel, config=config)
    assert report.cancelled
    assert 0 < len(report.indexed) < 8
    db = CorpusDB.open(uri)
    assert verify(db) == []
    assert all(0.0 <= p.fraction <= 1.0 and p.files_total == 8 for p in seen)

    rest = index_paths([corpus], uri, bert, annotator=annotator, config=config)
    assert not rest.cancelled and len(rest.indexed) + len(rest.unchanged) == 8
    clean = str(tmp_path / "clean")
    index_paths([corpus], clean, bert, annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))


def test_conllu_uses_gold_annotations(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    conllu = tmp_path / "c" / "tb.conllu"
    conllu.parent.mkdir()
    conllu.write_text(
        "# text = Toto barked loudly.\n1\tToto\tToto\tPROPN\tNNP\t_\t2\tnsubj\t_\t_\n"
        "2\tbarked\tbark\tVERB\tVBD\t_\t0\troot\t_\t_\n3\tloudly\tloudly\tADV\tRB\t_\t2\tadvmod\t_\tSpaceAfter=No\n"
        "4\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n\n",
        encoding="utf-8",
    )
    uri = str(tmp_path / "db")
    index_paths([conllu], uri, bert, annotator=annotator)
    db = CorpusDB.open(uri)
    assert db.meta.spacy_model == GOLD
    columns = ["start", "special", "piece", "pos", "tag", "dep", "head"]
    rows = db.tokens.search().select(columns).limit(None).to_arrow().to_pylist()
    by_start = {r["start"]: r for r in rows if not r["special"] and r["piece"] == 0}
    toto, barked = by_start[0], by_start[len("Toto ")]
    assert (barked["pos"], barked["tag"], barked["dep"], barked["head"]) == ("VERB", "VBD", "root", -1)
    assert (toto["pos"], toto["tag"], toto["head"]) == ("PROPN", "NNP", 1)

    write_corpus(tmp_path / "t", docs=1)
    index_paths([tmp_path / "t"], uri, bert, annotator=annotator)
    assert CorpusDB.open(uri).meta.spacy_model == f"{GOLD}+{annotator.version}"


def test_ann_always_builds_nothing_on_int8_columns(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    # LanceDB indexes only float vector columns; the int8 ones are always scanned exactly
    write_corpus(tmp_path / "c", docs=2)
    uri = str(tmp_path / "db")
    report = index_paths([tmp_path / "c"], uri, bert, annotator=annotator, config=IndexConfig(ann="always"))
    assert CorpusDB.open(uri).tokens.list_indices() == []
    assert report.ann.startswith("none (exact int8 scan") and report.ann_seconds == 0


def test_cli_index_reports_json(tmp_path: Path, tiny_model_dirs: dict[str, Path], monkeypatch, capsys) -> None:
    from exbert_ls.cli import main

    write_corpus(tmp_path / "c", docs=2)
    (tmp_path / "c" / "bin.txt").write_bytes(b"\x00\x01binary")
    monkeypatch.setenv("EXBERT_DB", str(tmp_path / "envdb"))
    code = main(["index", str(tmp_path / "c"), "--model", str(tiny_model_dirs["bert"]), "--quiet", "--json"])
    assert code == 0
    report = validate("index", json.loads(capsys.readouterr().out))
    assert report["database"] == str(tmp_path / "envdb")
    assert len(report["indexed"]) == 2
    assert report["skipped"] == [[str(tmp_path / "c" / "bin.txt"), "binary file (NUL bytes)"]]
    # the model defaults to the one that built the index
    assert main(["index", str(tmp_path / "c"), "--quiet"]) == 0
    assert "unchanged 2" in capsys.readouterr().out


def test_a_sentence_that_cannot_be_aligned_is_left_out_not_fatal(
    tmp_path: Path, bert: ModelRunner, annotator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exbert_ls.errors import InvalidInputError
    from exbert_ls.store import pool

    write_corpus(tmp_path / "c", docs=1)
    real_align = pool.align
    calls = []

    def flaky_align(tokens, words, length):
        calls.append(length)
        if len(calls) == 2:
            raise InvalidInputError("the text has tokens but no words to align them to")
        return real_align(tokens, words, length)

    monkeypatch.setattr(pool, "align", flaky_align)
    uri = str(tmp_path / "db")
    report = index_paths([tmp_path / "c"], uri, bert, annotator=annotator)
    assert len(report.indexed) == 1 and len(report.dropped) == 1
    assert "no words" in report.dropped[0][1] and "left out 1 sentences" in report.describe()
    db = CorpusDB.open(uri)
    assert verify(db) == []
    # 6 sentences, some repeated: each distinct text is aligned once (copies share the result)
    assert len(calls) < 6 and db.sentences.count_rows() == report.sentences == 6 - len(report.dropped)


def test_progress_moves_within_one_file_and_ends_at_one(tmp_path: Path, bert: ModelRunner, annotator) -> None:
    (path,) = write_corpus(tmp_path / "c", docs=1, per_doc=12)
    seen: list[IndexProgress] = []
    index_paths(
        [path],
        str(tmp_path / "db"),
        bert,
        annotator=annotator,
        progress=seen.append,
        config=IndexConfig(pool_sentences=2),
    )
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(0.0 < f < 1.0 for f in fractions)  # not stuck at 0 until the file is done
    assert seen[-1].files_done == seen[-1].files_total == 1 and seen[-1].tokens > 0
