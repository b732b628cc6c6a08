"""exbert.attentionRows over LSP: the exact rows of an explained text, and range errors."""

from __future__ import annotations

import numpy as np
import pytest
from lsp_helpers import command
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from exbert_ls.wire import decode_array

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEXT = "The Wizard of Oz gave the Scarecrow a brain."


async def test_rows_are_the_explain_weights(client: LanguageClient):
    explained = await command(client, "exbert.explain", {"text": TEXT, "attention": "float16"})
    full = decode_array(explained["attention"]).astype(np.float32)
    result = await command(client, "exbert.attentionRows", {"text": TEXT, "layer": 2, "heads": [1], "rows": [3, 0]})
    assert result["schema"] == "exbert.attentionRows/1" and result["size"] == full.shape[-1]
    rows = decode_array(result["weights"])
    assert rows.shape == (1, 2, full.shape[-1])
    np.testing.assert_allclose(rows[0], full[1, 1][[3, 0]], atol=1e-3)  # float16 on one side, float32 exact


async def test_out_of_range_layer_is_invalid_params(client: LanguageClient):
    with pytest.raises(JsonRpcException, match="layers 1"):
        await command(client, "exbert.attentionRows", {"text": TEXT, "layer": 99})
