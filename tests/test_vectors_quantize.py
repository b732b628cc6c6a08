"""Stored vector precision (store/quantize.py) and the engine's scan over it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from exbert_ls.errors import IndexMismatchError
from exbert_ls.search import engine
from exbert_ls.search.engine import ColumnMatrix, column_matrix, exact_top_k
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.quantize import (
    BLOCK_ROWS,
    CODE_MAX,
    block_scores,
    dequantize,
    quantize,
    rotation,
    scale_column,
)
from exbert_ls.store.schema import META, SCHEMA_VERSION, tokens_schema, vector_columns


def unit_rows(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    x[:, 3] *= 8  # an outlier dimension, as real hidden states have
    return x / np.linalg.norm(x, axis=1, keepdims=True)


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
    assert meta.schema_version == SCHEMA_VERSION == 2
    for column in vector_columns(meta.num_layers):
        assert schema.field(column).type.value_type == pa.int8()
        assert schema.field(scale_column(column)).type == pa.float16()


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
