"""Model runner invariants on tiny BERT-MLM, DistilBERT, GPT-2 and Llama (grouped KV) models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support import MAX_POSITIONS

from exbert_ls.errors import (
    InputTooLongError,
    InvalidInputError,
    NoLanguageModelHeadError,
    UnknownModelError,
    UnsupportedModelError,
)
from exbert_ls.model.runner import ModelRunner

TEXT = "Dorothy lived in the midst of the great Kansas prairies."
FAMILIES = ["bert", "distilbert", "gpt2", "llama"]


@pytest.mark.parametrize("family", FAMILIES)
def test_shapes_and_attention_rows_sum_to_one(tiny_runners, family):
    runner = tiny_runners[family]
    acts = runner.run(TEXT)
    L, H, D = runner.info.num_layers, runner.info.num_heads, runner.info.d_model
    T = len(acts.tokens)
    assert acts.attention.shape == (L, H, T, T)
    assert acts.hidden.shape == (L + 1, T, D)
    assert acts.contexts is not None and acts.contexts.shape == (L, T, H * runner.info.d_head)
    np.testing.assert_allclose(acts.attention.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_causal_attention_is_zero_above_diagonal(tiny_runners, family):
    runner = tiny_runners[family]
    assert runner.info.causal
    acts = runner.run(TEXT)
    upper = np.triu(np.ones(acts.attention.shape[-2:], dtype=bool), k=1)
    assert np.all(acts.attention[..., upper] == 0.0)


def test_bidirectional_models_are_not_causal(tiny_runners):
    acts = tiny_runners["bert"].run(TEXT)
    assert not tiny_runners["bert"].info.causal
    upper = np.triu(np.ones(acts.attention.shape[-2:], dtype=bool), k=1)
    assert acts.attention[..., upper].max() > 0


def _layer_outputs(runner: ModelRunner, text: str) -> list[torch.Tensor]:
    """Each block's output captured by a hook the test registers itself."""
    seen: list[torch.Tensor] = []
    hooks = [
        layer.register_forward_hook(lambda _m, _i, o: seen.append(o[0] if isinstance(o, tuple) else o))
        for layer in runner._layers
    ]
    try:
        with torch.inference_mode():
            enc = runner.tokenizer(text, return_tensors="pt")
            runner.base_model(
                **{k: v for k, v in enc.items() if k != "token_type_ids" or runner.info.model_type == "bert"}
            )
    finally:
        for h in hooks:
            h.remove()
    return seen


@pytest.mark.parametrize("family", FAMILIES)
def test_hidden_state_l_is_output_of_layer_l(tiny_runners, family):
    runner = tiny_runners[family]
    acts = runner.run(TEXT)
    outputs = _layer_outputs(runner, TEXT)
    for layer in range(1, runner.info.num_layers + 1):
        np.testing.assert_allclose(acts.hidden[layer], outputs[layer - 1][0].numpy(), atol=1e-5)
    # and 0 is the embedding output, which differs from layer 1's output
    assert not np.allclose(acts.hidden[0], acts.hidden[1])


def _values_and_block(runner: ModelRunner, layer: int, h_prev: torch.Tensor):
    """(value vectors [T, H, d_head] computed from the layer's input, output projection,
    attention block) for the layer, independently of the runner's hooks."""
    block = runner._layers[layer - 1]
    H, dh = runner.info.num_heads, runner.info.d_head
    family = runner.info.model_type
    if family == "bert":
        v = block.attention.self.value(h_prev)
        return v.view(-1, H, dh), block.attention.output.dense, block.attention
    if family == "distilbert":
        v = block.attention.v_lin(h_prev)
        return v.view(-1, H, dh), block.attention.out_lin, block.attention
    if family == "gpt2":
        x = block.ln_1(h_prev)
        v = block.attn.c_attn(x).split(runner.info.d_model, dim=-1)[2]
        return v.view(-1, H, dh), block.attn.c_proj, block.attn
    if family == "llama":
        x = block.input_layernorm(h_prev)
        kv_heads = runner.model.config.num_key_value_heads
        v = block.self_attn.v_proj(x).view(-1, kv_heads, dh)
        return v.repeat_interleave(H // kv_heads, dim=1), block.self_attn.o_proj, block.self_attn
    raise AssertionError(family)


@pytest.mark.parametrize("family", FAMILIES)
def test_contexts_are_attention_times_values_and_reproduce_block_output(tiny_runners, family):
    runner = tiny_runners[family]
    acts = runner.run(TEXT)
    H, dh = runner.info.num_heads, runner.info.d_head
    block_outputs: list[torch.Tensor] = []
    for layer in range(1, runner.info.num_layers + 1):
        h_prev = torch.from_numpy(acts.hidden[layer - 1])
        with torch.inference_mode():
            values, projection, attn_block = _values_and_block(runner, layer, h_prev)
            expected = torch.einsum("hqk,khd->qhd", torch.from_numpy(acts.attention[layer - 1]), values)
        got = acts.contexts[layer - 1].reshape(-1, H, dh)
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-5)

        # the contexts pushed through the output projection give the attention block's output
        handle = attn_block.register_forward_hook(
            lambda _m, _i, o: block_outputs.append(o[0] if isinstance(o, tuple) else o)
        )
        try:
            runner.run(TEXT, contexts=False)
        finally:
            handle.remove()
        z = torch.from_numpy(acts.contexts[layer - 1])
        with torch.inference_mode():
            if family == "bert":  # BertSelfOutput: LayerNorm(dense(z) + residual)
                projected = attn_block.output(z, h_prev)
            else:
                projected = projection(z)
        np.testing.assert_allclose(projected.numpy(), block_outputs[-1][0].numpy(), atol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_equals_single_runs(tiny_runners, family):
    runner = tiny_runners[family]
    texts = [TEXT, "Short one.", "A somewhat longer sentence about the wizard of Oz and Toto.", "Hi"]
    batched = dict(runner.run_batch(texts, batch_size=3))
    assert sorted(batched) == [0, 1, 2, 3]
    for i, text in enumerate(texts):
        single = runner.run(text)
        assert [t.text for t in batched[i].tokens] == [t.text for t in single.tokens]
        np.testing.assert_allclose(batched[i].attention, single.attention, atol=1e-5)
        np.testing.assert_allclose(batched[i].hidden, single.hidden, atol=1e-4)
        np.testing.assert_allclose(batched[i].contexts, single.contexts, atol=1e-4)


def test_token_offsets_point_into_text(tiny_runners):
    for runner in tiny_runners.values():
        acts = runner.run(TEXT)
        for tok in acts.tokens:
            if not tok.special:
                assert 0 <= tok.start <= tok.end <= len(TEXT)
                assert not TEXT[tok.start : tok.end].startswith(" ")
        assert acts.tokens[0].special == (runner.info.model_type in ("bert", "distilbert"))


def test_masked_lm_predictions_and_masking(tiny_runners):
    runner = tiny_runners["bert"]
    plain = runner.run(TEXT, top_k=5)
    assert plain.predictions is not None and len(plain.predictions) == len(plain.tokens)
    assert all(len(p) == 5 for p in plain.predictions)
    probs = [p.probability for p in plain.predictions[1]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
    masked = runner.run(TEXT, top_k=5, mask=(2,))
    assert masked.masked == (2,)
    assert not np.allclose(masked.attention, plain.attention)
    with pytest.raises(InvalidInputError, match="special token"):
        runner.run(TEXT, mask=(0,))
    with pytest.raises(InvalidInputError, match="out of range"):
        runner.run(TEXT, mask=(999,))


def test_causal_lm_predicts_next_token(tiny_runners):
    runner = tiny_runners["gpt2"]
    acts = runner.run(TEXT, top_k=3)
    assert acts.predictions is not None and len(acts.predictions) == len(acts.tokens)
    with pytest.raises(NoLanguageModelHeadError, match="masked-LM"):
        runner.run(TEXT, mask=(1,))


def test_bare_encoder_has_no_lm_head(tiny_runners):
    runner = tiny_runners["distilbert"]
    assert runner.info.lm_head is None
    with pytest.raises(NoLanguageModelHeadError, match="no LM head"):
        runner.run(TEXT, top_k=5)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_rejected(tiny_runners, text):
    with pytest.raises(InvalidInputError, match="empty"):
        tiny_runners["bert"].run(text)


def test_too_long_input_names_the_limit(tiny_runners):
    with pytest.raises(InputTooLongError, match=f"at most {MAX_POSITIONS}"):
        tiny_runners["llama"].run("word " * (MAX_POSITIONS + 10))
    with pytest.raises(InputTooLongError, match=f"at most {MAX_POSITIONS}"):
        list(tiny_runners["bert"].run_batch(["short", "word " * (MAX_POSITIONS + 10)]))


def test_unknown_model_lists_embedded_defaults():
    with pytest.raises(UnknownModelError, match="minilm, smollm2"):
        ModelRunner.load("no-such-model-anywhere")


def test_model_without_attention_is_refused(tmp_path):
    from transformers import MambaConfig, MambaModel

    MambaModel(MambaConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, state_size=4)).save_pretrained(tmp_path)
    from transformers import AutoTokenizer

    from exbert_ls.model.embedded import minilm_dir

    AutoTokenizer.from_pretrained(minilm_dir()).save_pretrained(tmp_path)
    with pytest.raises(UnsupportedModelError, match="no attention"):
        ModelRunner.load(str(tmp_path))


def test_fingerprint_distinguishes_weights(tiny_runners):
    fingerprints = {r.fingerprint() for r in tiny_runners.values()}
    assert len(fingerprints) == len(tiny_runners)
    assert tiny_runners["bert"].fingerprint() == tiny_runners["bert"].fingerprint()
