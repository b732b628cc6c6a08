"""Hover helpers: the sentence and word under the cursor, the strongest heads."""

from __future__ import annotations

import numpy as np
import pytest

from exbert_ls.server.hover import sentence_at, strongest_heads, word_at

TEXT = "First sentence here. The cat sat!  Next one?\n\nA new paragraph without end"


@pytest.mark.parametrize(
    "needle,expected",
    [
        ("cat", "The cat sat!"),
        ("First", "First sentence here."),
        ("Next", "Next one?"),
        ("new", "A new paragraph without end"),
    ],
)
def test_sentence_at(needle: str, expected: str):
    span = sentence_at(TEXT, TEXT.index(needle))
    assert span is not None and TEXT[span.start : span.end] == expected


def test_no_sentence_on_blank_lines():
    assert sentence_at(TEXT, TEXT.index("\n\n") + 1) is None


def test_word_at_keeps_contractions_and_hyphens():
    text = "It's a well-known fact."
    span = word_at(text, text.index("known"))
    assert span is not None and text[span.start : span.end] == "well-known"
    assert word_at(text, text.index(" ")) is None


def test_strongest_heads_pick_the_largest_weight_to_another_token():
    rng = np.random.default_rng(0)
    att = rng.dirichlet(np.ones(5), size=(2, 3, 5)).astype(np.float32)  # [L=2, H=3, T=5, T]
    att[1, 2, 2] = [0.0, 0.05, 0.05, 0.9, 0.0]  # token 2 in L2 H2 attends 0.9 to token 3
    keys = np.array([False, True, False, True, True])  # 0 special, 2 is the word itself
    picks = strongest_heads(att, np.array([2]), keys, top=2)
    assert (picks[0].layer, picks[0].head, picks[0].target) == (2, 2, 3)
    assert picks[0].weight == pytest.approx(0.9)
    masked = np.where(keys, att[:, :, 2, :], -1).max(-1)
    assert picks[1].weight == pytest.approx(np.sort(masked, axis=None)[-2])
    assert all(keys[p.target] for p in picks)


def test_strongest_heads_without_targets():
    att = np.full((1, 1, 2, 2), 0.5, dtype=np.float32)
    assert strongest_heads(att, np.array([1]), np.array([False, False])) == []
