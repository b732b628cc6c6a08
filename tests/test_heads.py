"""Head statistics: constructed attention patterns are reported exactly; sums add exactly."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from exbert_ls.annotate.align import align
from exbert_ls.annotate.words import Word
from exbert_ls.errors import InvalidInputError
from exbert_ls.model.activations import Token
from exbert_ls.payloads.heads import BestHead, HeadRelation
from exbert_ls.summarize.heads import OFFSETS, HeadStats, sentence_head_stats, word_attention
from exbert_ls.summarize.patterns import head_focus
from exbert_ls.summarize.summaries import describe_head, summarize_heads

# "the old dog barked loudly ." with a parse; "barked" is split in two pieces.
#            0      1      2      3        4        5
WORDS = ["the", "old", "dog", "barked", "loudly", "."]
HEADS = [2, 2, 3, -1, 3, 3]
DEPS = ["det", "amod", "nsubj", "ROOT", "advmod", "punct"]
PIECES = [1, 1, 1, 2, 1, 1]


def _sentence(words=WORDS, heads=HEADS, deps=DEPS, pieces=PIECES):
    """Words, tokens ([CLS] pieces... [SEP]) and their alignment, built by hand."""
    text = " ".join(words)
    ws, toks, pos = [], [Token(0, "[CLS]", 0, 0, True, 101)], 0
    for i, (w, h, d, n) in enumerate(zip(words, heads, deps, pieces)):
        ws.append(Word(i, w, pos, pos + len(w), dep=d, head=h, is_punct=not w.isalnum()))
        cuts = np.linspace(pos, pos + len(w), n + 1).round().astype(int)
        for a, b in itertools.pairwise(cuts):
            toks.append(Token(len(toks), text[a:b], int(a), int(b), False, 1000 + len(toks)))
        pos += len(w) + 1
    toks.append(Token(len(toks), "[SEP]", 0, 0, True, 102))
    alignment = align(toks, ws, len(text))
    special = np.array([t.special for t in toks])
    return ws, toks, alignment, special


def _one_hot_rows(targets: np.ndarray, t: int) -> np.ndarray:
    rows = np.zeros((t, t))
    rows[np.arange(t), targets] = 1.0
    return rows


def _random_attention(rng, layers, heads, t):
    logits = rng.normal(size=(layers, heads, t, t)) * 3
    att = np.exp(logits)
    return att / att.sum(-1, keepdims=True)


def test_previous_token_head_is_reported_at_100_percent():
    words, toks, alignment, special = _sentence()
    t = len(toks)
    att = np.full((2, 3, t, t), 1.0 / t)
    att[1, 2] = _one_hot_rows(np.maximum(np.arange(t) - 1, 0), t)  # L2 H2 attends to the previous token
    stats = sentence_head_stats(att, special, alignment, words)
    means = stats.means()
    assert means["to_previous"][1, 2] == pytest.approx(1.0)
    assert means["entropy"][1, 2] == pytest.approx(0.0, abs=1e-9)
    assert means["to_previous"][0, 0] == pytest.approx(1.0 / t)
    assert means["entropy"][0, 0] == pytest.approx(np.log(t))
    payload = summarize_heads(stats, min_support=1)
    head = next(h for h in payload.heads if (h.layer, h.head) == (2, 2))
    assert head.to_previous == 1.0
    assert "100 % to previous token" in head.description
    assert head.description.startswith("L2 H2")


def test_head_that_attends_to_the_dependency_head_scores_100_percent():
    words, toks, alignment, special = _sentence()
    t = len(toks)
    # every token attends to the first piece of its word's syntactic head; the root to [CLS]
    targets = np.zeros(t, dtype=int)
    for tok in toks:
        w = int(alignment.token_to_word[tok.index])
        if w >= 0 and words[w].head >= 0:
            targets[tok.index] = alignment.word_tokens[words[w].head][0]
    att = np.full((1, 2, t, t), 1.0 / t)
    att[0, 1] = _one_hot_rows(targets, t)
    stats = sentence_head_stats(att, special, alignment, words)
    for dep in ("det", "amod", "nsubj", "advmod", "punct"):
        counts = stats.relations[(dep, "dependent->head")]
        assert counts.correct[0, 1] == counts.support
    assert stats.relations[("nsubj", "dependent->head")].support == 1
    assert ("ROOT", "dependent->head") not in stats.relations
    # the uniform head gives most to the two-piece word "barked" (attention TO a word sums its pieces)
    assert stats.relations[("advmod", "dependent->head")].correct[0, 0] == 1  # loudly -> barked
    assert stats.relations[("det", "dependent->head")].correct[0, 0] == 0  # the -> dog

    payload = summarize_heads(stats, min_support=1)
    det = next(r for r in payload.relations if (r.relation, r.direction) == ("det", "dependent->head"))
    assert det.best[0] == BestHead(layer=1, head=1, accuracy=1.0)
    # baseline: "the" -> "dog" is offset +2
    assert det.baseline == 1.0 and det.baseline_offset == 2


def test_baseline_picks_the_best_fixed_offset():
    words, toks, alignment, special = _sentence()
    t = len(toks)
    stats = sentence_head_stats(np.full((1, 1, t, t), 1.0 / t), special, alignment, words)
    amod = stats.relations[("amod", "dependent->head")]  # old(1) -> dog(2): offset +1
    assert amod.baseline.tolist() == [int(o == 1) for o in OFFSETS]
    back = stats.relations[("amod", "head->dependent")]  # dog(2) -> old(1): offset -1
    assert back.baseline.tolist() == [int(o == -1) for o in OFFSETS]
    punct = stats.relations[("punct", "dependent->head")]  # .(5) -> barked(3): offset -2
    assert punct.baseline.tolist() == [int(o == -2) for o in OFFSETS]


def test_word_attention_sums_over_target_pieces_and_averages_over_source_pieces():
    words, toks, alignment, _special = _sentence()
    rng = np.random.default_rng(1)
    att = _random_attention(rng, 1, 1, len(toks))
    wa = word_attention(att, alignment, len(words))
    barked = alignment.word_tokens[3]
    dog = alignment.word_tokens[2]
    assert len(barked) == 2
    expected_to = att[0, 0, dog[0], barked].sum()
    expected_from = att[0, 0, barked, dog[0]].mean()
    assert wa[0, 0, 2, 3] == pytest.approx(expected_to)
    assert wa[0, 0, 3, 2] == pytest.approx(expected_from)


def test_behaviour_matches_per_text_patterns_and_adds_exactly():
    rng = np.random.default_rng(0)
    a_words, a_toks, a_align, a_special = _sentence()
    b_words, b_toks, b_align, b_special = _sentence(
        ["a", "cat", "sat", "."], [1, 2, -1, 2], ["det", "nsubj", "ROOT", "punct"], [1, 2, 1, 1]
    )
    a_att = _random_attention(rng, 2, 3, len(a_toks))
    b_att = _random_attention(rng, 2, 3, len(b_toks))
    a = sentence_head_stats(a_att, a_special, a_align, a_words)
    b = sentence_head_stats(b_att, b_special, b_align, b_words)

    focus_a, focus_b = head_focus(a_att, a_special), head_focus(b_att, b_special)
    np.testing.assert_allclose(a.means()["entropy"], focus_a.entropy)
    np.testing.assert_allclose(a.means()["to_special"], focus_a.to_special)

    total = a + b
    assert (total.sentences, total.tokens) == (2, a.tokens + b.tokens)
    for name, fa, fb in (
        ("entropy", focus_a.entropy, focus_b.entropy),
        ("to_previous", focus_a.to_previous, focus_b.to_previous),
        ("to_next", focus_a.to_next, focus_b.to_next),
        ("to_self", focus_a.to_self, focus_b.to_self),
    ):
        expected = (fa * a.tokens + fb * b.tokens) / (a.tokens + b.tokens)
        np.testing.assert_allclose(total.means()[name], expected)
    for key in set(a.relations) | set(b.relations):
        parts = [s.relations[key] for s in (a, b) if key in s.relations]
        assert total.relations[key].support == sum(p.support for p in parts)
        np.testing.assert_array_equal(total.relations[key].correct, sum(p.correct for p in parts))
    # order of addition does not matter for counts, and zeros is the identity
    assert (b + a).to_record()["relations"] == total.to_record()["relations"]
    assert (HeadStats.zeros(2, 3) + a).to_record() == a.to_record()


def test_record_round_trip_is_exact_and_json_able():
    rng = np.random.default_rng(2)
    words, toks, alignment, special = _sentence()
    stats = sentence_head_stats(_random_attention(rng, 2, 2, len(toks)), special, alignment, words)
    record = json.loads(json.dumps(stats.to_record()))
    back = HeadStats.from_record(record)
    assert back.to_record() == stats.to_record()
    for name in stats.sums:
        np.testing.assert_array_equal(back.sums[name], stats.sums[name])


def test_bad_inputs_raise_clear_errors():
    words, toks, alignment, special = _sentence()
    t = len(toks)
    with pytest.raises(InvalidInputError, match=r"\[L, H, T, T\]"):
        sentence_head_stats(np.zeros((2, t, t)), special, alignment, words)
    with pytest.raises(InvalidInputError, match="must both be"):
        sentence_head_stats(np.zeros((1, 1, t + 1, t + 1)), special, alignment, words)
    with pytest.raises(InvalidInputError, match="2x3 model"):
        HeadStats.zeros(2, 3) + HeadStats.zeros(3, 3)
    with pytest.raises(InvalidInputError, match="schema"):
        HeadStats.from_record({"schema": "other"})


def test_min_support_hides_rare_relations_and_descriptions_name_clear_relations():
    words, toks, alignment, special = _sentence()
    t = len(toks)
    stats = sentence_head_stats(np.full((1, 1, t, t), 1.0 / t), special, alignment, words)
    assert summarize_heads(stats, min_support=2).relations == []
    line = describe_head(
        4,
        10,
        {"entropy": 1.0, "to_special": 0.12, "to_punct": 0.0, "to_previous": 0.1, "to_next": 0.0, "to_self": 0.0},
        [
            HeadRelation(
                relation="amod",
                direction="dependent->head",
                accuracy=0.78,
                baseline=0.41,
                baseline_offset=1,
                support=30,
                rank=0,
                z=4.0,
            )
        ],
    )
    assert line.startswith("L4 H10 · amod → its head 78 % (baseline 41 %)")
