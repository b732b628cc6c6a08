"""Causal effect of each head (ablation scan on the fixed sample) and where head summaries show it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from exbert_ls.cli import main
from exbert_ls.model import effects
from exbert_ls.model.ablation import ablate
from exbert_ls.payloads.codec import to_wire
from exbert_ls.summarize.report import readable_heads


def test_causal_effect_is_the_sample_scan_and_is_cached_per_fingerprint(tiny_runners, tmp_path, monkeypatch):
    monkeypatch.setenv("EXBERT_CACHE", str(tmp_path))
    runner = tiny_runners["llama"]
    first = effects.causal_effect(runner)
    info = runner.info
    assert not first.cached and np.array(first.delta_loss).shape == (info.num_layers, info.num_heads)
    one = ablate(runner, effects.SAMPLE, [(2, 1)])
    assert first.delta_loss[1][1] == pytest.approx(one.ablated_loss - one.loss, abs=1e-4)
    assert first.loss == pytest.approx(one.loss, abs=1e-4)
    again = effects.causal_effect(runner)
    assert again.cached and again.delta_loss == first.delta_loss and again.forwards == 0
    (path,) = (tmp_path / "effects").iterdir()
    assert path.name.startswith(runner.fingerprint())
    cached = effects.cached_causal_effect(runner.fingerprint())
    assert cached is not None and cached.tolist() == first.delta_loss
    assert effects.cached_causal_effect("0" * 16) is None
    # a cache another version wrote (an extra field) is a miss and is recomputed, never an error
    path.write_text(json.dumps({**json.loads(path.read_text()), "field_of_a_later_version": 1}))
    assert effects.cached_causal_effect(runner.fingerprint()) is None
    assert not effects.causal_effect(runner).cached


def test_cli_probe_adds_the_causal_effect(tiny_model_dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EXBERT_CACHE", str(tmp_path))
    assert main(["probe", "--model", str(tiny_model_dirs["gpt2"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["causal_effect"]["delta_loss"]) == 2 and out["causal_effect"]["sample"] == effects.SAMPLE
    assert main(["probe", "--model", str(tiny_model_dirs["gpt2"]), "--json", "--no-effect"]) == 0
    assert json.loads(capsys.readouterr().out)["causal_effect"] is None
    assert main(["probe", "--model", str(tiny_model_dirs["distilbert"])]) == 0  # no LM head: said, not failed
    assert "no LM head" in capsys.readouterr().out


def test_head_summaries_show_the_causal_effect_beside_the_role():
    from exbert_ls.annotate.align import align
    from exbert_ls.annotate.words import Word
    from exbert_ls.model.activations import Token
    from exbert_ls.summarize.heads import sentence_head_stats
    from exbert_ls.summarize.summaries import summarize_heads

    text = "a b c d e f g h i j"
    words = [Word(i, w, 2 * i, 2 * i + 1) for i, w in enumerate(text.split())]
    tokens = [Token(0, "<s>", 0, 0, True, 0)] + [
        Token(i + 1, w.text, w.start, w.end, False, i + 1) for i, w in enumerate(words)
    ]
    t = len(tokens)
    sink = np.zeros((t, t))
    sink[:, 0] = 1.0
    att = np.stack([sink, np.tril(np.ones((t, t))) / np.arange(1, t + 1)[:, None]])[None]
    stats = sentence_head_stats(att, np.array([tok.special for tok in tokens]), align(tokens, words, len(text)), words)
    plain = summarize_heads(stats, min_support=1)
    shown = summarize_heads(stats, min_support=1, causal=np.array([[0.25, -0.01]]))
    assert [h.causal_effect for h in plain.heads] == [None, None]
    assert [h.causal_effect for h in shown.heads] == [0.25, -0.01]
    assert [h.role for h in shown.heads] == [h.role for h in plain.heads] == ["sink", "broad"]  # role unchanged
    assert shown.heads[0].description == "L1 H0 · sink: 100 % to first position · ablated: Δloss +0.250"
    text_out = readable_heads(to_wire(shown))
    assert "sink: 100 % to first position · ablated: Δloss +0.250" in text_out
    assert "Δloss" not in readable_heads(to_wire(plain))
    assert summarize_heads(stats, min_support=1, causal=np.zeros((2, 2))).heads[0].causal_effect is None  # wrong shape


def test_corpus_head_summaries_read_the_cached_effect(tiny_runners, tmp_path, monkeypatch, annotator):
    from exbert_ls.search import head_summaries
    from exbert_ls.store import CorpusDB, index_paths

    monkeypatch.setenv("EXBERT_CACHE", str(tmp_path / "cache"))
    runner = tiny_runners["gpt2"]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("It was Toto that made Dorothy laugh.\n", encoding="utf-8")
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, runner, annotator=annotator)
    assert all(h.causal_effect is None for h in head_summaries(CorpusDB.open(uri)).heads)
    effect = effects.causal_effect(runner)
    heads = head_summaries(CorpusDB.open(uri)).heads
    assert [h.causal_effect for h in heads] == pytest.approx([d for row in effect.delta_loss for d in row], abs=1e-5)
