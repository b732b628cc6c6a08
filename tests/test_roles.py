"""Head roles: each label is pinned to the numbers behind it (summarize/roles.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exbert_ls.summarize import roles
from exbert_ls.summarize.patterns import describe_focus, focus_role, head_focus
from exbert_ls.summarize.roles import HeadNumbers, classify, describe

T = 12


def _one_hot(targets: np.ndarray) -> np.ndarray:
    out = np.zeros((len(targets), T))
    out[np.arange(len(targets)), targets] = 1.0
    return out


def _causal_uniform() -> np.ndarray:
    return np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]


def _patterns() -> dict[str, np.ndarray]:
    i = np.arange(T)
    sink = np.zeros((T, T))
    sink[:, 0] = 0.9
    sink[i, i] += 0.1
    return {
        "sink": sink,
        "previous": _one_hot(np.maximum(i - 1, 0)),
        "next": _one_hot(np.minimum(i + 1, T - 1)),
        "self": _one_hot(i),
        "offset": _one_hot(np.maximum(i - 3, 0)),
        "special": _one_hot(np.full(T, T - 1)),
        "broad": np.full((T, T), 1.0 / T),
    }


def test_each_synthetic_pattern_gets_its_label_and_the_numbers_agree():
    pats = _patterns()
    att = np.stack(list(pats.values()))[None]  # [1, H, T, T]
    special = np.zeros(T, dtype=bool)
    special[[0, T - 1]] = True  # [CLS] ... [SEP]
    focus = head_focus(att, special)
    for h, name in enumerate(pats):
        assert focus_role(focus, 1, h) == name, (name, describe_focus(focus, 1, h))
    n = focus.numbers(1, 0)
    assert n.to_first == pytest.approx(0.9)
    assert describe_focus(focus, 1, 0) == "sink: 90 % to first position"
    assert focus.best_offset[0, 4] == -3
    assert describe_focus(focus, 1, 4) == "80 % to offset -3"  # rows 1, 2 have no position -3
    # the sink is reported apart from special tokens: [SEP] head has no first-position mass
    assert focus.to_special_rest[0, 5] == pytest.approx(1.0) and focus.to_first[0, 5] == 0.0
    assert focus.to_special[0, 0] == pytest.approx(0.9)  # all special (sink on [CLS] included)
    assert focus.to_special_rest[0, 0] == pytest.approx(0.0)


def test_uniform_causal_head_is_broad_and_a_sink_is_never_called_broad():
    """The issue's bug: SmolLM2 sink heads (entropy ~0) were labelled "broad"."""
    sink = np.zeros((T, T))
    sink[:, 0] = 1.0
    att = np.stack([_causal_uniform(), sink])[None]
    focus = head_focus(att, np.zeros(T, dtype=bool))  # no BOS: position 0 is a real token
    assert focus.max_entropy == pytest.approx(np.log(np.arange(1, T + 1)).mean())
    assert focus.entropy[0, 0] == pytest.approx(focus.max_entropy)
    assert focus_role(focus, 1, 0) == "broad"
    assert focus_role(focus, 1, 1) == "sink"
    assert "broad" not in describe_focus(focus, 1, 1)


def test_broad_threshold_is_clarks_fraction_of_uniform():
    assert math.isclose(roles.BROAD_FRACTION, 3.8 / math.log(128))
    base = dict(to_first=0.1, to_special=0.1, to_previous=0.1, to_next=0.1, to_self=0.1)
    at = HeadNumbers(entropy=roles.BROAD_FRACTION * 4.0, max_entropy=4.0, **base)
    below = HeadNumbers(entropy=roles.BROAD_FRACTION * 4.0 - 0.01, max_entropy=4.0, **base)
    assert classify(at) == "broad" and classify(below) == "mixed"
    assert describe(below).startswith("mixed: 10 % to")


def test_induction_needs_the_documented_score():
    base = dict(entropy=0.1, max_entropy=3.0, to_first=0.9, to_special=0, to_previous=0, to_next=0, to_self=0)
    assert classify(HeadNumbers(**base, induction=roles.INDUCTION_SCORE)) == "induction"
    assert classify(HeadNumbers(**base, induction=roles.INDUCTION_SCORE - 0.01)) == "sink"
    assert classify(HeadNumbers(**base)) == "sink"


@pytest.mark.parametrize("seed", range(5))
def test_no_label_contradicts_its_numbers_on_random_heads(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(3, 8, T, T)) * rng.uniform(0, 6, size=(3, 8, 1, 1))
    logits[:, :4, :, 0] += rng.uniform(0, 8, size=(3, 4, 1))  # some sink-ish heads
    att = np.exp(logits)
    att /= att.sum(-1, keepdims=True)
    special = np.zeros(T, dtype=bool)
    special[0] = True
    focus = head_focus(att, special)
    for layer in (1, 2, 3):
        for head in range(8):
            n = focus.numbers(layer, head)
            role = classify(n)
            if role == "broad":
                assert n.normalised_entropy >= roles.BROAD_FRACTION
            else:
                assert role == "sink" or n.to_first < roles.SINK_SHARE or role == "induction"
            if role == "sink":
                assert n.to_first >= roles.SINK_SHARE
            if role == "mixed":
                assert max(n.to_previous, n.to_next, n.to_self) < roles.POSITIONAL_SHARE
                assert n.normalised_entropy < roles.BROAD_FRACTION and n.to_first < roles.SINK_SHARE
            if role in ("previous", "next", "self"):
                assert getattr(n, f"to_{role}") >= roles.POSITIONAL_SHARE


def test_corpus_summary_roles_and_probe_induction():
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
    plain = summarize_heads(stats, min_support=1).heads
    assert [h.role for h in plain] == ["sink", "broad"]
    assert plain[0].description == "L1 H0 · sink: 100 % to first position"
    probed = summarize_heads(stats, min_support=1, induction=np.array([[0.1, 0.9]])).heads
    assert [h.role for h in probed] == ["sink", "induction"] and probed[1].induction == 0.9
