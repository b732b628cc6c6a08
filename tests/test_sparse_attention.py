"""Sparse attention payloads (issue 13): each row keeps at least the requested mass, the payload
decodes back to the kept weights, and exbert.attentionRows returns the exact rows."""

from __future__ import annotations

import numpy as np
import pytest

from exbert_ls import sparse_attention as sparse_attention_module
from exbert_ls.explain import explain, payload
from exbert_ls.payloads.attention import SparseAttention
from exbert_ls.payloads.common import EncodedArray
from exbert_ls.server.attention_rows import AttentionRowsArgs, attention_rows
from exbert_ls.sparse_attention import decode_sparse, sparse_attention, top_mass
from exbert_ls.wire import decode_array


def _rows(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random(shape, dtype=np.float32) ** 8
    return x / x.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("mass", [0.5, 0.9, 0.95])
def test_kept_mass_per_row_reaches_the_threshold(mass: float) -> None:
    att = _rows(0, (2, 3, 40, 40))
    counts, indices, weights, kept = top_mass(att, mass)
    rows = att.reshape(-1, 40)
    start = np.concatenate([[0], np.cumsum(counts.astype(np.int64))])
    for r in range(len(rows)):
        chosen = indices[start[r] : start[r + 1]].astype(np.int64)
        got = rows[r, chosen]
        np.testing.assert_allclose(weights[start[r] : start[r + 1]], got)  # the weights are the row's own
        assert got.sum() >= mass - 1e-5  # at least the threshold
        assert np.all(np.diff(chosen) > 0)  # keys ascending
        # the strongest: nothing left out is larger than anything kept
        left_out = np.setdiff1d(np.arange(40), chosen)
        assert not len(left_out) or rows[r, left_out].max() <= got.min()
        # and near-minimal: the sorted prefix that reaches the mass is at most a few entries shorter
        prefix = int(np.searchsorted(np.cumsum(np.sort(rows[r])[::-1]), mass - 1e-6) + 1)
        assert prefix <= len(chosen) <= prefix + 2
    assert np.all(kept >= mass - 1e-5)


def test_sparse_field_decodes_to_the_kept_weights() -> None:
    att = _rows(1, (1, 2, 30, 30))
    field = sparse_attention(att, 0.9)
    dense = decode_sparse(field)
    sent = dense > 0
    # uint8 quantisation: |error| <= 1/510 on every weight sent
    assert np.max(np.abs(dense[sent] - att[sent])) <= 1 / 510 + 1e-6
    # every row: the weights sent, plus those dropped only for being under 1/510, reach the mass
    counts, indices, _, _ = top_mass(att, 0.9)
    full = np.zeros(att.size, dtype=bool).reshape(-1, 30)
    full[np.repeat(np.arange(len(counts)), counts.astype(np.int64)), indices.astype(np.int64)] = True
    full = full.reshape(att.shape)
    assert np.all((att * full).sum(-1) >= 0.9 - 1e-5)
    assert np.array_equal(sent, full & (att >= 1 / 510))


def test_long_texts_travel_sparse_and_exact_rows_match_a_run(tiny_runners) -> None:
    runner = tiny_runners["bert"]
    text = " ".join(["the quick brown fox jumps over the lazy dog"] * 4)
    exp = explain(runner, text)
    full = np.asarray(exp.activations.attention)
    T = full.shape[-1]
    body = payload(exp, "uint8", sparse_above=T - 1)
    assert isinstance(body.attention, SparseAttention) and body.attention.sparse == "topmass/1"
    assert isinstance(payload(exp, "uint8", sparse_above=T).attention, EncodedArray)  # short: dense

    result = attention_rows(runner, AttentionRowsArgs(text=text, layer=2, heads=[1, 0], rows=[3, T - 1]))
    weights = decode_array(result.weights)
    assert weights.shape == (2, 2, T)
    np.testing.assert_array_equal(weights, full[1, [1, 0]][:, [3, T - 1]])
    whole = decode_array(attention_rows(runner, AttentionRowsArgs(text=text, layer=1)).weights)
    np.testing.assert_array_equal(whole, full[0])


def test_attention_rows_rejects_out_of_range(tiny_runners) -> None:
    from exbert_ls.errors import InvalidInputError

    runner = tiny_runners["bert"]
    with pytest.raises(InvalidInputError, match="layers 1.."):
        attention_rows(runner, AttentionRowsArgs(text="a b c", layer=99))
    with pytest.raises(InvalidInputError, match="positions 0.."):
        attention_rows(runner, AttentionRowsArgs(text="a b c", layer=1, rows=[500]))


def test_capped_rows_keep_their_strongest_and_say_how_much() -> None:
    att = _rows(2, (1, 1, 64, 64))
    att[0, 0, 5] = 1 / 64  # a uniform row: 95 % needs 61 keys
    counts, _, _, kept = top_mass(att, 0.95, cap=8)
    assert counts[5] == 8
    np.testing.assert_allclose(kept[5], 8 / 64, rtol=1e-5)
    full, _, _, full_kept = top_mass(att, 0.95)
    reached = full <= 8  # rows the cap did not bite keep the same entries, hence >= 95 %
    assert np.array_equal(counts[reached], full[reached]) and np.all(kept[reached] >= 0.95 - 1e-5)
    assert np.all(full_kept >= 0.95 - 1e-5)


def _reference(att: np.ndarray, mass: float, cap: int, floor: float) -> list[tuple[list[int], list[float], float]]:
    """Row by row, in plain Python: the strongest keys (ties: the lower key), up to mass, cap, floor."""
    out = []
    for row in att.reshape(-1, att.shape[-1]).astype(np.float64):
        ranked = sorted(range(len(row)), key=lambda j: (-row[j], j))[:cap]
        chosen, before = [], 0.0
        for rank, j in enumerate(ranked):
            if rank and (before >= mass * row.sum() - 1e-7 or row[j] <= 0 or row[j] < floor):
                break
            chosen.append(j)
            before += row[j]
        out.append((sorted(chosen), [float(row[j]) for j in sorted(chosen)], before / max(row.sum(), 1e-12)))
    return out


@pytest.mark.parametrize("sort_width", [512, 16, 10])  # one sort a row; 3 segments; 5 padded ones
def test_top_mass_matches_a_row_by_row_reference(sort_width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparse_attention_module, "SORT_WIDTH", sort_width)
    att = _rows(3, (2, 2, 48, 48))
    att[0, 0] = np.tril(att[0, 0])  # causal rows: zeros past the query
    att[0, 0] /= att[0, 0].sum(-1, keepdims=True)
    att[1, 1, 7] = 1 / 48  # a uniform row: every weight ties (the cap bites inside the tie)
    att[1, 1, 8] = 0.0  # nothing to keep but the first strongest
    att[1, 1, 9] = 0.0
    att[1, 1, 9, [5, 6, 30, 31]] = [0.4, 0.2, 0.2, 0.2]  # ties at the mass cut: 0.4 + 0.2 + 0.2 + 0.2
    att[1, 0, 3] = 0
    att[1, 0, 3, 11] = 1.0  # one key holds the whole row
    counts, indices, weights, kept = top_mass(att, 0.7, cap=6, floor=1 / 510)
    start = np.concatenate([[0], np.cumsum(counts.astype(np.int64))])
    flat = att.reshape(-1, 48)
    for r, (keys, values, share) in enumerate(_reference(att, 0.7, 6, 1 / 510)):
        got = indices[start[r] : start[r + 1]].tolist()
        assert got == keys, r
        np.testing.assert_array_equal(weights[start[r] : start[r + 1]], flat[r, got])
        np.testing.assert_allclose(weights[start[r] : start[r + 1]], values, rtol=1e-7)
        np.testing.assert_allclose(kept[r], share, rtol=1e-5)
    assert counts.dtype == np.uint16 and indices.dtype == np.uint16 and weights.dtype == np.float32
    row = lambda *at: int(np.ravel_multi_index(at, (2, 2, 48)))  # noqa: E731
    assert counts[row(1, 0, 3)] == 1 and counts[row(1, 1, 8)] == 1 and counts[row(1, 1, 7)] == 6
    assert indices[start[row(1, 1, 9)] : start[row(1, 1, 9) + 1]].tolist() == [5, 6, 30]  # 0.8 >= 0.7
