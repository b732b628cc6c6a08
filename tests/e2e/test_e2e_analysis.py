"""exbert.probe / exbert.lens / exbert.ablate over a real LSP connection (tiny masked-LM BERT)."""

from __future__ import annotations

import pytest
from lsp_helpers import command
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
TEXT = "The cat sat on the mat."


async def test_probe_lens_and_ablate(client: LanguageClient, tmp_path, monkeypatch):
    probe = await command(client, "exbert.probe", {})
    assert probe["heads"][0]["layer"] == 1 and {"induction", "sink"} <= set(probe["heads"][0])
    assert len(probe["causal_effect"]["delta_loss"]) == 2  # the masked LM has a loss to ablate
    lens = await command(client, "exbert.lens", {"text": TEXT, "k": 2, "position": 1})
    (pos,) = lens["positions"]
    assert pos["position"] == 1 and len(pos["top_tokens"][0]) == 2 and pos["target"] == pos["token"]
    result = await command(client, "exbert.ablate", {"text": TEXT, "heads": [[1, 0]]})
    assert result["heads"] == [[1, 0]] and len(result["positions"]) == len(lens["tokens"])
    change = result["attention_change"]  # layer 1 is the ablated one: only layer 2 can move
    assert len(change) == 2 and change[0] == [0.0] * 4 and max(change[1]) > 0
    scan = await command(client, "exbert.ablate", {"text": TEXT, "scan": True})
    assert len(scan["delta_loss"]) == 2 and len(scan["delta_loss"][0]) == 4


async def test_ablate_bad_heads_is_an_error(client: LanguageClient):
    with pytest.raises(JsonRpcException, match="does not exist"):
        await command(client, "exbert.ablate", {"text": TEXT, "heads": [[9, 0]]})
    with pytest.raises(JsonRpcException, match="corpus"):  # no index in this workspace
        await command(client, "exbert.ablate", {"text": TEXT, "heads": [[1, 0]], "mode": "corpus-mean"})
    with pytest.raises(JsonRpcException, match="k must"):
        await command(client, "exbert.lens", {"text": TEXT, "k": 0})


async def test_explain_rollout_option(client: LanguageClient):
    from exbert_ls.wire import decode_array

    body = await command(client, "exbert.explain", {"text": TEXT, "rollout": True, "annotate": False})
    rollout = decode_array(body["rollout"])
    assert rollout.shape[0] == body["num_layers"] and abs(rollout.sum(-1) - 1).max() < 0.02  # uint8 rounding
    plain = await command(client, "exbert.explain", {"text": TEXT, "annotate": False})
    assert plain["rollout"] is None and plain["tokens"][1]["display"]
