"""Binary encoded arrays (inside msgpack payloads) and the server's msgpack envelope."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from exbert_ls.errors import InvalidInputError
from exbert_ls.wire import decode_array, encode_array, pack, unpack


@pytest.mark.parametrize("dtype", ["uint8", "float16", "float32"])
@pytest.mark.parametrize("compress,encoding", [(True, "zlib"), (False, "raw")])
def test_binary_arrays_round_trip_through_msgpack(dtype: str, compress: bool, encoding: str):
    rng = np.random.default_rng(2)
    att = rng.dirichlet(np.ones(9), size=(2, 3, 9)).astype(np.float32)
    encoded = encode_array(att, dtype, compress=compress, binary=True)  # type: ignore[arg-type]
    assert encoded.encoding == encoding and isinstance(encoded.data, bytes)
    text_form = encode_array(att, dtype, compress=compress)  # type: ignore[arg-type]
    assert base64.b64decode(text_form.data) == encoded.data
    restored = unpack(pack({"attention": encoded}))["attention"]
    np.testing.assert_array_equal(decode_array(restored), decode_array(text_form))


def test_binary_form_is_smaller_than_base64():
    att = np.random.default_rng(3).dirichlet(np.ones(40), size=(6, 12, 40)).astype(np.float32)
    binary = len(pack(encode_array(att, "uint8", binary=True)))
    text = len(pack(encode_array(att, "uint8")))
    assert binary < 0.8 * text  # base64 costs 4/3


def test_unknown_encoding_is_an_input_error():
    with pytest.raises(InvalidInputError, match="unknown encoding"):
        decode_array({"dtype": "uint8", "shape": [1], "encoding": "gzip", "data": b"\x00"})
