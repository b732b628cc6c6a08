"""Model analyses with tiny random models: probes, logit lens, head ablation, rollout."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from exbert_ls.cli import main
from exbert_ls.errors import InvalidInputError, NoLanguageModelHeadError
from exbert_ls.model import probes
from exbert_ls.model.ablation import ablate, ablation_hooks, ablation_scan, loss_with_ablations
from exbert_ls.model.lens import lens_logits, logit_lens
from exbert_ls.model.rollout import attention_rollout
from exbert_ls.payloads.analysis import ProbeResult
from exbert_ls.payloads.codec import from_wire, to_wire

TEXT = "The quick brown fox jumps over the lazy dog."


# ------------------------------------------------------------------------------- probes


def test_probe_scores_of_ideal_heads():
    """Hand-made heads: an induction, a duplicate and a previous-token head score 1."""
    n, off = 6, 1
    t = off + 2 * n
    att = np.zeros((1, 1, 3, t, t))
    q = np.arange(t)
    att[0, 0, 2, q, np.maximum(q - 1, 0)] = 1  # previous
    for head, shift in ((0, 1 - n), (1, -n)):  # induction: i -> i-n+1; duplicate: i -> i-n
        targets = np.where(q >= off + n, q + shift, 0)
        att[0, 0, head, q, targets] = 1
    s = probes.probe_scores(att, off, n)
    assert s["induction"][0].tolist() == pytest.approx([1, 0, 0])
    assert s["duplicate"][0].tolist() == pytest.approx([0, 1, 0])
    assert s["previous"][0].tolist() == pytest.approx([0, 0, 1])


def test_probe_is_cached_per_fingerprint_and_round_trips(tiny_runners, tmp_path, monkeypatch):
    monkeypatch.setenv("EXBERT_CACHE", str(tmp_path))
    runner = tiny_runners["llama"]
    first = probes.probe(runner)
    assert not first.cached and len(first.heads) == runner.info.num_layers * runner.info.num_heads
    ids, off = probes.repeated_sequences(runner)
    assert torch.equal(ids[:, off : off + probes.LENGTH], ids[:, off + probes.LENGTH : off + 2 * probes.LENGTH])
    again = probes.probe(runner)
    assert again.cached and to_wire(again.heads) == to_wire(first.heads)
    assert from_wire(to_wire(first), ProbeResult) == first
    (path,) = (tmp_path / "probes").iterdir()
    assert path.name.startswith(runner.fingerprint())
    scores = probes.cached_induction(runner.fingerprint())
    assert scores is not None and scores[0, 1] == first.heads[1].induction
    assert probes.cached_induction("0" * 16) is None
    # a cache written by another version (an extra field) is a miss, recomputed, not an error
    path.write_text(json.dumps({**json.loads(path.read_text()), "field_of_a_later_version": 1}))
    assert probes.cached_induction(runner.fingerprint()) is None
    assert not probes.probe(runner).cached


def test_bert_probe_wraps_sequences_in_cls_and_sep(tiny_runners):
    runner = tiny_runners["bert"]
    ids, off = probes.repeated_sequences(runner, sequences=2, length=5)
    tok = runner.tokenizer
    assert off == 1 and ids[0, 0] == tok.cls_token_id and ids[0, -1] == tok.sep_token_id


def test_cli_probe_json(tiny_model_dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EXBERT_CACHE", str(tmp_path))
    assert main(["probe", "--model", str(tiny_model_dirs["gpt2"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    head = out["heads"][0]
    assert (head["layer"], head["head"]) == (1, 0)
    assert {"induction", "duplicate", "previous", "sink", "role"} <= set(head)


# ------------------------------------------------------------------------------- lens


@pytest.mark.parametrize("name", ["llama", "gpt2", "bert"])
def test_lens_at_the_last_layer_is_the_models_prediction(tiny_runners, name):
    runner = tiny_runners[name]
    acts, lp = lens_logits(runner, TEXT)
    ids = torch.tensor([[t.id for t in acts.tokens]])
    with torch.inference_mode():
        logits = runner.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
    torch.testing.assert_close(lp[-1], torch.log_softmax(logits, -1), atol=1e-4, rtol=1e-4)
    assert lp.shape[0] == runner.info.num_layers + 1


def test_lens_payload_marks_the_actual_next_token(tiny_runners):
    runner = tiny_runners["llama"]
    result = logit_lens(runner, TEXT, k=3)
    first, last = result.positions[0], result.positions[-1]
    assert first.target == result.tokens[1] and len(first.top_tokens) == runner.info.num_layers + 1
    assert len(first.top_tokens[0]) == 3 and last.target is None and last.target_probability is None
    acts, lp = lens_logits(runner, TEXT)  # the per-layer loop gives the same numbers
    next_id = acts.tokens[1].id
    for layer in (0, runner.info.num_layers):
        expected = lp[layer, 0].exp().topk(3).values.tolist()
        assert first.top_probabilities[layer] == pytest.approx(expected, abs=1e-5)
        assert first.target_probability[layer] == pytest.approx(float(lp[layer, 0, next_id].exp()), abs=1e-5)
    with pytest.raises(InvalidInputError):
        logit_lens(runner, TEXT, position=999)


def test_lens_without_lm_head_says_so(tiny_runners):
    with pytest.raises(NoLanguageModelHeadError, match="no LM head"):
        logit_lens(tiny_runners["distilbert"], TEXT)


# ---------------------------------------------------------------------------- ablation


def test_ablating_no_head_is_the_identity(tiny_runners):
    result = ablate(tiny_runners["llama"], TEXT, [], mode="zero")
    assert result.ablated_loss == pytest.approx(result.loss)
    assert all(abs(p.kl) < 1e-6 and p.delta_logprob_top == pytest.approx(0, abs=1e-5) for p in result.positions)


def test_ablating_a_whole_layer_equals_removing_its_attention_output(tiny_runners):
    runner = tiny_runners["llama"]
    info = runner.info
    mask = torch.zeros(1, info.num_layers, info.num_heads)
    mask[0, 0] = 1
    ours = loss_with_ablations(runner, TEXT, mask)
    attn = runner._layers[0].self_attn
    handle = attn.register_forward_hook(lambda _m, _i, out: (torch.zeros_like(out[0]), *out[1:]))
    try:
        manual = loss_with_ablations(runner, TEXT, torch.zeros_like(mask))
    finally:
        handle.remove()
    torch.testing.assert_close(ours, manual)


@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_ablating_one_head_changes_exactly_its_share_of_the_output(tiny_runners, mode):
    runner = tiny_runners["llama"]
    info, layer, head = runner.info, 2, 1
    acts = runner.run(TEXT, contexts=True)
    ids = torch.tensor([[t.id for t in acts.tokens]])
    proj = runner._projections[layer - 1]
    outs: list[torch.Tensor] = []
    handle = proj.register_forward_hook(lambda _m, _i, out: outs.append(out))
    hidden: list[torch.Tensor] = []
    first = runner._layers[0].register_forward_hook(
        lambda _m, _i, out: hidden.append(out[0] if isinstance(out, tuple) else out)
    )
    mask = torch.zeros(2, info.num_layers, info.num_heads)
    mask[1, layer - 1, head] = 1
    z = torch.from_numpy(acts.contexts[layer - 1]).view(len(ids[0]), info.num_heads, info.d_head)
    means = None
    if mode == "mean":
        means = torch.zeros(info.num_layers, info.num_heads, info.d_head)
        means[layer - 1] = z.mean(0)
    try:
        with torch.inference_mode(), ablation_hooks(runner, mask, means):
            runner.model(input_ids=ids.expand(2, -1))
    finally:
        handle.remove()
        first.remove()
    d = info.d_head
    w = proj.weight[:, head * d : (head + 1) * d]
    replacement = torch.zeros_like(z[:, head]) if means is None else means[layer - 1, head].expand_as(z[:, head])
    expected = (replacement - z[:, head]) @ w.T
    torch.testing.assert_close(outs[0][1] - outs[0][0], expected, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(hidden[0][0], hidden[0][1])  # layer 1 (before layer 2) untouched


def test_scan_matches_single_ablations_and_is_cached(tiny_runners):
    runner = tiny_runners["gpt2"]
    scan = ablation_scan(runner, TEXT, batch=3)
    assert len(scan.delta_loss) == runner.info.num_layers and len(scan.delta_loss[0]) == runner.info.num_heads
    one = ablate(runner, TEXT, [(2, 3)])
    assert scan.delta_loss[1][3] == pytest.approx(one.ablated_loss - one.loss, abs=1e-4)
    assert ablation_scan(runner, TEXT, batch=3).cached


def test_ablation_bad_heads_and_no_lm_head(tiny_runners, tiny_model_dirs, capsys):
    with pytest.raises(InvalidInputError, match="1-based"):
        ablate(tiny_runners["llama"], TEXT, [(0, 0)])
    with pytest.raises(NoLanguageModelHeadError):
        ablate(tiny_runners["distilbert"], TEXT, [(1, 0)])
    assert main(["ablate", TEXT, "--model", str(tiny_model_dirs["llama"]), "--heads", "9:0"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["ablate", TEXT, "--model", str(tiny_model_dirs["llama"]), "--heads", "1:0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["heads"] == [[1, 0]]


# ----------------------------------------------------------------------------- rollout


def test_rollout_rows_sum_to_one_and_first_layer_is_the_mixed_mean(tiny_runners):
    acts = tiny_runners["bert"].run(TEXT, contexts=False)
    r = attention_rollout(acts.attention)
    np.testing.assert_allclose(r.sum(-1), 1.0, atol=1e-5)
    t = acts.attention.shape[-1]
    np.testing.assert_allclose(r[0], 0.5 * acts.attention[0].mean(0) + 0.5 * np.eye(t), atol=1e-6)
