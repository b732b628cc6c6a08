"""The models that ship inside PyPI packages, loaded for real."""

from __future__ import annotations

import numpy as np
import pytest

from exbert_ls.model.runner import ModelRunner


@pytest.mark.slow
def test_minilm_loads_and_runs(minilm):
    info = minilm.info
    assert (info.model_type, info.num_layers, info.num_heads, info.d_model) == ("bert", 6, 12, 384)
    assert info.lm_head is None and not info.causal
    acts = minilm.run("The Wizard of Oz lived in the Emerald City.")
    assert [t.text for t in acts.tokens][:3] == ["[CLS]", "the", "wizard"]
    assert acts.tokens[-1].special and acts.tokens[-1].text == "[SEP]"
    np.testing.assert_allclose(acts.attention.sum(-1), 1.0, atol=1e-5)
    assert acts.contexts is not None and acts.contexts.shape == (6, len(acts.tokens), 384)


@pytest.mark.slow
def test_smollm2_from_gguf_predicts_paris(tmp_path_factory, monkeypatch):
    # conversion cache: the user's cache by default; reuse it when a previous run made it
    runner = ModelRunner.load("smollm2")
    info = runner.info
    assert (info.model_type, info.num_layers, info.num_heads, info.lm_head) == ("llama", 30, 9, "causal")
    acts = runner.run("The capital of France is", top_k=5)
    assert acts.predictions is not None
    assert " Paris" in [p.token for p in acts.predictions[-1]]
    upper = np.triu(np.ones(acts.attention.shape[-2:], dtype=bool), k=1)
    assert np.all(acts.attention[..., upper] == 0)
    assert acts.contexts is not None and acts.contexts.shape[-1] == 9 * 64
