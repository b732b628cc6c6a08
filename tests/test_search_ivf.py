"""The engine's in-memory IVF over int8 codes (search/ivf.py) and when top_k uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from exbert_ls.errors import InvalidInputError
from exbert_ls.search import engine
from exbert_ls.search.engine import ColumnMatrix, SearchConfig, exact_top_k, top_k
from exbert_ls.search.ivf import build_ivf, ivf_top_k
from exbert_ls.search.query import query_vector
from exbert_ls.store import CorpusDB, IndexConfig, index_paths
from exbert_ls.store.quantize import quantize


def clustered_rows(n: int, d: int, clusters: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, d)).astype(np.float32)
    x = centres[rng.integers(0, clusters, size=n)] + 0.4 * rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_ivf_partitions_every_row_once_and_scores_it_as_the_exact_scan():
    x = clustered_rows(6000, 32, 20)
    x[[100, 4000]] = x[7]  # exact duplicates: ties go to the lower offset on both paths
    codes, scale = quantize(x)
    offsets = np.arange(len(x), dtype=np.int64) * 3
    ivf = build_ivf(codes, scale, offsets, partitions=16)
    assert ivf.partitions == 16 and ivf.bounds[0] == 0 and ivf.bounds[-1] == len(x)
    assert np.array_equal(np.sort(ivf.offsets), offsets)
    member = np.repeat(np.arange(16), np.diff(ivf.bounds))
    for p in range(16):  # each partition is sorted by offset (stable) and is one slice
        part = ivf.offsets[member == p]
        assert np.all(np.diff(part) > 0)
    matrix = ColumnMatrix(codes, scale, offsets)
    # probing every partition is the exact scan: same rows, same order (ties included)
    exact = exact_top_k(matrix, x[7], 50)
    got, scores = ivf_top_k(ivf, x[7], 50, nprobe=16)
    assert list(got[:3]) == [21, 300, 12000]
    assert np.array_equal(got, exact.offsets)
    np.testing.assert_allclose(scores, exact.similarity, rtol=0, atol=1e-6)
    # a few probes find nearly the same top-50 on clustered data
    rng = np.random.default_rng(1)
    overlap = []
    for q in x[rng.choice(len(x), size=30, replace=False)]:
        got, _ = ivf_top_k(ivf, q, 50, nprobe=4)
        overlap.append(len(np.intersect1d(got, exact_top_k(matrix, q, 50).offsets)) / 50)
    assert np.mean(overlap) >= 0.9


def test_top_k_uses_the_ivf_above_its_threshold_unless_exact(tmp_path: Path, tiny_runners, annotator):
    runner = tiny_runners["bert"]
    (tmp_path / "c").mkdir()
    text = "The lion roared at the gate. Dorothy lived in Kansas with Uncle Henry and Aunt Em."
    (tmp_path / "c" / "a.txt").write_text(text + "\n", encoding="utf-8")
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, runner, annotator=annotator, config=IndexConfig(ann="never"))
    db = CorpusDB.open(uri, runner=runner)
    query = runner.run(text, contexts=True)
    engine.clear_caches()
    low = SearchConfig(ivf_min_rows=10, ivf_nprobe=1000)  # every partition: the exact answer
    for layer in (0, 2):  # derived hs0 and a stored column
        qv = query_vector(query, 3, layer, by="embedding", heads=None, num_layers=2, num_heads=4)
        exact = top_k(db, qv, 5, exact=True, embedder=runner)
        ivf = top_k(db, qv, 5, exact=False, config=low, embedder=runner)
        assert (exact.method, ivf.method) == ("exact", "ann")
        assert np.array_equal(ivf.offsets, exact.offsets)
        assert top_k(db, qv, 5, exact=False, embedder=runner).method == "exact"  # below 300,000 rows
    with pytest.raises(InvalidInputError, match="derived from the token ids"):
        qv = query_vector(query, 3, 0, by="embedding", heads=None, num_layers=2, num_heads=4)
        engine.clear_caches()
        top_k(db, qv, 5, exact=False, config=low)
    engine.clear_caches()
