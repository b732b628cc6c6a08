"""Stored vector precision (store/quantize.py) and the engine's scan over it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from exbert_ls.errors import IndexMismatchError, InvalidInputError
from exbert_ls.model.vectors import normalized_hidden
from exbert_ls.search import engine
from exbert_ls.search.api import search
from exbert_ls.search.engine import ColumnMatrix, column_matrix, exact_top_k, token_frame
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.quantize import (
    BLOCK_ROWS,
    CODE_MAX,
    PARALLEL_MIN_ROWS,
    block_scores,
    decode_weights,
    dequantize,
    encode_weights,
    quantize,
    rotation,
    scale_column,
    slice_scores,
)
from exbert_ls.store.schema import (
    DERIVED_COLUMNS,
    META,
    SCHEMA_VERSION,
    stored_vector_columns,
    tokens_schema,
    vector_columns,
)


def unit_rows(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    x[:, 3] *= 8  # an outlier dimension, as real hidden states have
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_codes_follow_the_layout_s_formula_exactly():
    """codes = clip(rint(x @ R / scale)) with scale = float16(max|x @ R| / 127): the stored
    layout's definition (module docstring), whatever in-place steps compute it."""
    x = unit_rows(300, 384, seed=3)
    turned = x @ rotation(384)
    scale = (np.abs(turned).max(axis=1) / CODE_MAX).astype(np.float16)
    expected = np.clip(np.rint(turned / scale.astype(np.float32)[:, None]), -CODE_MAX, CODE_MAX).astype(np.int8)
    codes, got_scale = quantize(x)
    assert np.array_equal(got_scale, scale) and np.array_equal(codes, expected)
    assert np.array_equal(x, unit_rows(300, 384, seed=3))  # the input is not written to


def test_codes_are_within_half_a_step_of_the_vectors():
    x = unit_rows(500, 64)
    x[7] = 0.0
    codes, scale = quantize(x)
    assert codes.dtype == np.int8 and scale.dtype == np.float16
    assert np.abs(codes).max() <= CODE_MAX
    assert scale[7] == 0 and not codes[7].any()
    # each turned coordinate is within half a step; the turn keeps L2 lengths
    error = np.linalg.norm(dequantize(codes, scale) - x, axis=1)
    assert np.all(error <= np.sqrt(64) * scale.astype(np.float32) / 2 + 1e-6)
    assert error.mean() < 0.35 * np.sqrt(64) * scale.astype(np.float32).mean()  # uniform rounding: 0.29
    assert np.array_equal(quantize(-x)[0], -codes)  # symmetric codes


def test_the_turn_is_orthogonal_and_spreads_an_outlier_dimension():
    for width in (32, 384, 768, 12):
        turn = rotation(width)
        np.testing.assert_allclose(turn @ turn.T, np.eye(width), atol=1e-6)
    spike = np.zeros((1, 384), dtype=np.float32)
    spike[0, 3] = 1.0
    assert np.abs(spike @ rotation(384)).max() == pytest.approx(1 / np.sqrt(128))


@pytest.mark.parametrize("stored", ["int8", "float16"])
def test_block_scores_equal_a_full_matmul_across_block_boundaries(stored):
    x = unit_rows(int(2.5 * BLOCK_ROWS), 48, seed=1)
    q = unit_rows(1, 48, seed=2)[0]
    codes, scale = quantize(x) if stored == "int8" else (x.astype(np.float16), None)
    want = dequantize(codes, scale).astype(np.float64) @ q.astype(np.float64)
    np.testing.assert_allclose(block_scores(codes, scale, q), want, rtol=0, atol=1e-5)


@pytest.mark.parametrize("threads", [2, 3])
def test_a_scan_split_over_threads_gives_the_one_thread_scores_bit_for_bit(monkeypatch, threads):
    x = unit_rows(PARALLEL_MIN_ROWS + 3 * BLOCK_ROWS + 77, 24, seed=7)  # a ragged last block
    q = unit_rows(1, 24, seed=8)[0]
    codes, scale = quantize(x)
    monkeypatch.setenv("EXBERT_SCAN_THREADS", "1")
    alone = block_scores(codes, scale, q)
    monkeypatch.setenv("EXBERT_SCAN_THREADS", str(threads))
    split = block_scores(codes, scale, q)
    assert np.array_equal(split, alone)
    want = dequantize(codes, scale).astype(np.float64) @ q.astype(np.float64)
    np.testing.assert_allclose(split, want, rtol=0, atol=1e-5)
    # slices (an IVF's probed partitions) score as separate scans would, in slice order
    slices = [(5000, 5001), (len(x) - 2 * BLOCK_ROWS - 3, len(x)), (0, PARALLEL_MIN_ROWS + 9)]
    parts = np.concatenate([block_scores(codes[a:b], scale[a:b], q) for a, b in slices])
    assert np.array_equal(slice_scores(codes, scale, q, slices), parts)


def test_exact_top_k_breaks_ties_by_row_order_and_tracks_float32():
    x = unit_rows(3000, 32, seed=3)
    x[[2900, 5, 1500]] = x[10]  # exact duplicates of row 10, on both sides of block boundaries
    codes, scale = quantize(x)
    matrix = ColumnMatrix(codes, scale, np.arange(len(x), dtype=np.int64) * 2)
    hits = exact_top_k(matrix, x[10], 4)
    assert list(hits.offsets) == [10, 20, 3000, 5800]  # the four tied rows, lowest offset first
    assert hits.similarity == pytest.approx([hits.similarity[0]] * 4)
    # on random data the int8 top-50 is the float32 top-50, up to rows within quantisation noise
    q = unit_rows(1, 32, seed=4)[0]
    truth = exact_top_k(ColumnMatrix(x, None, matrix.offsets), q, 50)
    got = exact_top_k(matrix, q, 50)
    assert len(np.intersect1d(truth.offsets, got.offsets)) >= 47
    assert np.all(np.abs(got.similarity - x[got.offsets // 2] @ q) < 5e-3)


def test_the_tokens_schema_stores_int8_codes_and_a_float16_scale_per_column(tiny_runners):
    from exbert_ls.store.schema import IndexMeta

    meta = IndexMeta.for_runner(tiny_runners["bert"], "test")
    schema = tokens_schema(meta)
    assert meta.schema_version == SCHEMA_VERSION == 4
    assert schema.field("mean_att").type == pa.list_(pa.int16(), meta.num_layers)
    assert DERIVED_COLUMNS == ("hs0",) and stored_vector_columns(meta.num_layers) == vector_columns(meta.num_layers)[1:]
    for column in stored_vector_columns(meta.num_layers):
        assert schema.field(column).type.value_type == pa.int8()
        assert schema.field(scale_column(column)).type == pa.float16()
    assert "hs0" not in schema.names and scale_column("hs0") not in schema.names
    assert schema.field("token_id").type == pa.int32()
    assert schema.field("max_att_w").type.value_type == pa.uint8()


def test_attention_weights_are_stored_within_half_a_uint8_step():
    weights = np.random.default_rng(6).random((40, 72)).astype(np.float32)
    weights[0, :3] = [0.0, 1.0, 0.5]
    codes = encode_weights(weights)
    assert codes.dtype == np.uint8 and list(codes[0, :3]) == [0, 255, 128]
    assert np.abs(decode_weights(codes) - weights).max() <= 0.5 / 255 + 1e-7
    # python ints (a row read with to_pylist) decode as codes; float16 rows of layouts 1-2 as they are
    assert decode_weights(np.asarray(codes.tolist())) == pytest.approx(decode_weights(codes))
    assert decode_weights(weights.astype(np.float16)) == pytest.approx(weights, abs=1e-3)


TEXTS = [
    "The lion roared at the gate.",
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry.",
    "Toto!",
    "A URL like https://example.com/path?q=1 appears here, with more words than the others.",
]


@pytest.mark.parametrize("family", ["bert", "distilbert", "gpt2", "llama", "minilm"])
def test_derived_hs0_is_the_forward_s_hidden_state_0_bit_for_bit(family, tiny_runners, request):
    runner = request.getfixturevalue("minilm") if family == "minilm" else tiny_runners[family]
    acts = [runner.run(text, contexts=False) for text in TEXTS]
    ids = np.concatenate([[t.id for t in a.tokens] for a in acts])
    positions = np.concatenate([np.arange(len(a.tokens)) for a in acts])
    want = np.concatenate([a.hidden[0] for a in acts])
    for batch_tokens in (1, 40, 1 << 15):  # one sentence a batch; padded batches; one batch
        got = runner.embed(ids, positions, batch_tokens=batch_tokens)
        assert got.dtype == np.float32 and np.array_equal(got, want), batch_tokens
    with pytest.raises(InvalidInputError, match="whole sentences"):
        runner.embed(ids[1:], positions[1:])


def test_hs0_is_derived_from_token_ids_and_scanned_like_a_stored_column(tmp_path, tiny_runners, annotator):
    runner = tiny_runners["bert"]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("\n\n".join(TEXTS) + "\n", encoding="utf-8")
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, runner, annotator=annotator, config=IndexConfig(ann="never"))
    db = CorpusDB.open(uri, runner=runner)
    assert "hs0" not in db.tokens.schema.names
    engine.clear_caches()
    with pytest.raises(InvalidInputError, match="derived from the token ids"):
        column_matrix(db, "hs0")
    matrix = column_matrix(db, "hs0", embedder=runner)
    frame = token_frame(db)
    assert list(matrix.offsets) == list(np.flatnonzero(frame.searchable))
    sentences = db.sentences.search().select(["sentence", "text"]).limit(None).to_arrow().to_pylist()
    assert len(sentences) >= 2  # short paragraphs may share a window
    for row in sentences:  # the codes a stored column would hold for the forward's hidden_states[0]
        acts = runner.run(row["text"], contexts=False)
        codes, scale = quantize(normalized_hidden(acts.hidden[0]))
        offsets = frame.offsets(np.full(len(acts.tokens), row["sentence"]), np.arange(len(acts.tokens)))
        where = np.searchsorted(matrix.offsets, offsets[~acts.special_mask])
        assert np.array_equal(matrix.codes[where], codes[~acts.special_mask])
        assert np.array_equal(matrix.scale[where], scale[~acts.special_mask])
    query = runner.run(TEXTS[1], contexts=True)
    result = search(db, runner, query, 3, 0, k=5, exact=True)
    assert result.query.column == "hs0" and TEXTS[1] in result.matches[0].text
    assert result.matches[0].token.position == 3 and result.matches[0].similarity == pytest.approx(1.0, abs=5e-3)
    engine.clear_caches()


def test_an_index_in_the_float16_layout_asks_for_a_re_index(tmp_path, tiny_runners, annotator):
    runner = tiny_runners["bert"]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("The lion roared at the gate.\n", encoding="utf-8")
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, runner, annotator=annotator, config=IndexConfig(ann="never"))
    CorpusDB.open(uri).table(META).update(values={"schema_version": 1})
    with pytest.raises(IndexMismatchError, match=r"storage layout 1; .* re-index it") as caught:
        CorpusDB.open(uri, runner=runner)
    assert "\n" not in str(caught.value)


@dataclass
class _OldLayoutDB:
    """Just what the engine reads, holding a layout-1 tokens table (float16 rows, no scales)."""

    uri: str
    conn: Any
    _tables: dict[str, Any] = field(default_factory=dict)

    def _open(self, name: str) -> Any:
        return self._tables.setdefault(name, self.conn.open_table(name))

    tokens = property(lambda self: self._open("tokens"))
    documents = property(lambda self: self._open("documents"))
    sentences = property(lambda self: self._open("sentences"))

    def version(self) -> int:
        return int(self.tokens.version)


def test_float16_rows_of_the_old_layout_are_scanned_as_stored(tmp_path: Path):
    x = unit_rows(200, 16, seed=5)
    conn = lancedb.connect(str(tmp_path))
    rows = np.arange(len(x))
    conn.create_table(
        "tokens",
        pa.table(
            {
                "sentence": pa.array(rows // 10, pa.int64()),
                "position": pa.array(rows % 10, pa.int32()),
                "special": pa.array(rows % 10 == 0),
                "word": pa.array(rows % 10 - 1, pa.int32()),
                "hs1": pa.FixedSizeListArray.from_arrays(pa.array(x.astype(np.float16).ravel()), 16),
            }
        ),
    )
    conn.create_table("sentences", pa.table({"sentence": np.arange(20), "doc": ["d"] * 20, "doc_hash": ["h"] * 20}))
    conn.create_table("documents", pa.table({"doc": ["d"], "hash": ["h"], "status": ["indexed"]}))
    db = _OldLayoutDB(str(tmp_path), conn)
    engine.clear_caches()
    matrix = column_matrix(db, "hs1")
    assert matrix.codes.dtype == np.float16 and matrix.scale is None
    assert list(matrix.offsets) == [r for r in rows if r % 10]  # special tokens left out
    hits = exact_top_k(matrix, x[13], 1)
    assert hits.offsets[0] == 13 and hits.similarity[0] == pytest.approx(1.0, abs=1e-3)
    engine.clear_caches()
