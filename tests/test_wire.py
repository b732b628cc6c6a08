"""Compact array encoding round-trips and stays small."""

from __future__ import annotations

import numpy as np
import pytest

from exbert_ls.errors import InvalidInputError
from exbert_ls.wire import decode_array, encode_array, pack, unpack


@pytest.mark.parametrize("dtype,tol", [("float32", 0.0), ("float16", 1e-3), ("uint8", 1 / 510 + 1e-7)])
@pytest.mark.parametrize("compress", [True, False])
def test_round_trip(dtype, tol, compress):
    rng = np.random.default_rng(0)
    x = rng.dirichlet(np.ones(7), size=(2, 3, 7)).astype(np.float32)
    y = decode_array(encode_array(x, dtype, compress=compress))
    assert y.shape == x.shape
    assert np.abs(y - x).max() <= tol


def test_attention_of_40_tokens_is_compact():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 12, 40, 40)) * 4
    att = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    encoded = encode_array(att, "uint8")
    assert len(encoded.data) < 150_000


def test_malformed_is_an_input_error():
    with pytest.raises(InvalidInputError):
        decode_array({"dtype": "float16", "shape": [3], "encoding": "base64", "data": "AAAA"})


def test_msgpack_round_trip():
    x = np.arange(12, dtype=np.float16).reshape(3, 4)
    out = unpack(pack({"a": x, "b": [1, "two"], "c": np.int64(3)}))
    np.testing.assert_array_equal(out["a"], x)
    assert out["b"] == [1, "two"] and out["c"] == 3
