"""Every family of model/adapters.py, as a tiny random model, passes the context invariants:

* contexts (the captured input of the attention output projection) reproduce, through it,
  the attention output the block adds;
* per head, the context equals attention x values of the head's key/value group (grouped KV
  heads where the family has them), where the family has a separate value projection;
* sliding-window families mask keys beyond the window; soft-capped attention (Gemma 2) still
  gives rows that sum to 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers as tf

from exbert_ls.model.adapters import ADAPTERS, _get
from exbert_ls.model.runner import ModelRunner

TEXT = "The quick brown fox jumps over the lazy dog. Dorothy lived in the midst of the great Kansas prairies."
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)
DECODER = dict(
    SMALL, num_key_value_heads=2, max_position_embeddings=256, pad_token_id=0, bos_token_id=0, eos_token_id=0
)

# family -> (model class, config, tokenizer kind, value projection path in a block or None)
FAMILIES: dict[str, tuple[str, dict[str, Any], str, str | None]] = {
    "roberta": (
        "RobertaForMaskedLM",
        dict(SMALL, max_position_embeddings=256, pad_token_id=0),
        "wp",
        "attention.self.value",
    ),
    "xlm-roberta": (
        "XLMRobertaForMaskedLM",
        dict(SMALL, max_position_embeddings=256, pad_token_id=0),
        "wp",
        "attention.self.value",
    ),
    "electra": (
        "ElectraForMaskedLM",
        dict(SMALL, embedding_size=32, max_position_embeddings=256),
        "wp",
        "attention.self.value",
    ),
    "qwen2": ("Qwen2ForCausalLM", DECODER, "bpe", "self_attn.v_proj"),
    "qwen3": ("Qwen3ForCausalLM", dict(DECODER, head_dim=8), "bpe", "self_attn.v_proj"),
    "gemma": ("GemmaForCausalLM", dict(DECODER, head_dim=8), "bpe", "self_attn.v_proj"),
    "gemma2": (
        "Gemma2ForCausalLM",
        dict(DECODER, head_dim=8, sliding_window=4, attn_logit_softcapping=50.0, final_logit_softcapping=30.0),
        "bpe",
        "self_attn.v_proj",
    ),
    "gemma3_text": ("Gemma3ForCausalLM", dict(DECODER, head_dim=8, sliding_window=4), "bpe", "self_attn.v_proj"),
    "mistral": ("MistralForCausalLM", dict(DECODER, sliding_window=4), "bpe", "self_attn.v_proj"),
    "olmo": ("OlmoForCausalLM", DECODER, "bpe", "self_attn.v_proj"),
    "olmo2": ("Olmo2ForCausalLM", DECODER, "bpe", "self_attn.v_proj"),
    "phi3": ("Phi3ForCausalLM", DECODER, "bpe", None),
    "starcoder2": ("Starcoder2ForCausalLM", DECODER, "bpe", "self_attn.v_proj"),
    "granite": ("GraniteForCausalLM", DECODER, "bpe", "self_attn.v_proj"),
    "stablelm": ("StableLmForCausalLM", DECODER, "bpe", "self_attn.v_proj"),
    "gpt_neox": ("GPTNeoXForCausalLM", dict(SMALL, max_position_embeddings=256, pad_token_id=0), "bpe", None),
    "opt": (
        "OPTForCausalLM",
        dict(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            ffn_dim=64,
            word_embed_proj_dim=32,
            max_position_embeddings=256,
            pad_token_id=1,
        ),
        "bpe",
        "self_attn.v_proj",
    ),
    "phi": ("PhiForCausalLM", dict(SMALL, max_position_embeddings=256, pad_token_id=0), "bpe", "self_attn.v_proj"),
    "gptj": (
        "GPTJForCausalLM",
        dict(n_embd=32, n_layer=2, n_head=4, rotary_dim=4, n_positions=256, pad_token_id=0),
        "bpe",
        "attn.v_proj",
    ),
}


def test_every_adapter_family_has_a_tiny_model_test():
    proven = set(FAMILIES) | {"bert", "camembert", "distilbert", "gpt2", "llama"}  # the others: conftest
    assert set(ADAPTERS) <= proven


@pytest.fixture(scope="module")
def tokenizers(tiny_model_dirs: dict[str, Path]) -> dict[str, Path]:
    return {"wp": tiny_model_dirs["bert"], "bpe": tiny_model_dirs["llama"]}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_context_invariants(family, tokenizers, tmp_path):
    cls_name, kwargs, tok_kind, value_path = FAMILIES[family]
    model_cls = getattr(tf, cls_name)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizers[tok_kind])
    torch.manual_seed(0)
    config = model_cls.config_class(vocab_size=len(tokenizer), **kwargs)
    model_cls(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    runner = ModelRunner.load(str(tmp_path))
    assert runner.info.model_type == family and runner.info.causal == (tok_kind == "bpe")

    projected: list[torch.Tensor] = []
    values: list[torch.Tensor] = []
    handles = [p.register_forward_hook(lambda _m, _i, out: projected.append(out)) for p in runner._projections]
    if value_path:
        handles += [
            _get(b, value_path).register_forward_hook(lambda _m, _i, out: values.append(out)) for b in runner._layers
        ]
    try:
        acts = runner.run(TEXT, contexts=True)
    finally:
        for h in handles:
            h.remove()
    info = runner.info
    np.testing.assert_allclose(acts.attention.sum(-1), 1.0, atol=1e-4)
    for layer, proj in enumerate(runner._projections):
        with torch.inference_mode():
            again = proj(torch.from_numpy(acts.contexts[layer]))
        torch.testing.assert_close(again, projected[layer][0], atol=1e-5, rtol=1e-4)
        if value_path:
            t = acts.attention.shape[-1]
            v = values[layer][0].view(t, -1, info.d_head)  # [T, KV, d]
            group = info.num_heads // v.shape[1]
            z = np.einsum("hij,jhd->ihd", acts.attention[layer], v.repeat_interleave(group, dim=1).numpy())
            np.testing.assert_allclose(acts.contexts[layer], z.reshape(t, -1), atol=1e-4, rtol=1e-3)
    window = kwargs.get("sliding_window")
    if window:
        t = acts.attention.shape[-1]
        far = np.tril(np.ones((t, t), dtype=bool), -window)
        sliding = [bool(np.all(acts.attention[l][:, far] == 0)) for l in range(info.num_layers)]
        assert any(sliding), "no layer masks keys beyond the sliding window"
