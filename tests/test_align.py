"""Word/token alignment: offsets, not string matching; property-tested on hostile text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exbert_ls.annotate.align import align
from exbert_ls.annotate.words import Word

HARD_CASES = [
    "Don’t stop, we can't — it's well-known.",
    "He said “hello” and ‘bye’.",
    "Visit https://example.com/a-b?c=d&e=f now.",
    "I love it 🙂🙂 👍🏽 really.",
    "東京は日本の首都です。",
    "Cafe\u0301 and nai\u0308ve combining accents.",
    "Repeated    whitespace\n\n\tand tabs.",
    "e-mail co-operate state-of-the-art",
    "x",
    "\u200bzero\u200bwidth",
]

SEGMENTS = st.sampled_from(
    [
        "don’t",
        "can't",
        "well-known",
        "“quoted”",
        "https://a.b/c?d=1",
        "🙂",
        "👍🏽",
        "東京",
        "e\u0301",
        "  ",
        "\n",
        "\t",
        "word",
        "Oz",
        "...",
        "—",
        "ß",
        "İ",
        "\u0000",
        "\u200b",
        "ﬁ",
        "½",
    ]
)
TEXTS = st.lists(SEGMENTS, min_size=1, max_size=12).map(" ".join).filter(lambda s: s.strip())


def _check_invariants(runner, annotator, text: str) -> None:
    acts = runner.run(text, contexts=False)
    words = annotator.words(text)
    alignment = align(acts.tokens, words, len(text))
    for tok in acts.tokens:
        w = int(alignment.token_to_word[tok.index])
        if tok.special:
            assert w == -1
        else:
            assert 0 <= w < len(words), (text, tok)
    # each token appears in exactly one word's list, in order
    flat = [t for toks in alignment.word_tokens for t in toks]
    assert sorted(flat) == [t.index for t in acts.tokens if not t.special]
    for toks in alignment.word_tokens:
        assert toks == sorted(toks)
        assert [int(alignment.piece_index[t]) for t in toks] == list(range(len(toks)))
    assert set(alignment.unaligned_words) == {w for w, toks in enumerate(alignment.word_tokens) if not toks}


@pytest.mark.parametrize("text", HARD_CASES)
@pytest.mark.parametrize("family", ["bert", "llama"])
def test_hard_cases(tiny_runners, annotator, family, text):
    _check_invariants(tiny_runners[family], annotator, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_property_wordpiece(tiny_runners, annotator, text):
    _check_invariants(tiny_runners["bert"], annotator, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_property_byte_bpe(tiny_runners, annotator, text):
    _check_invariants(tiny_runners["gpt2"], annotator, text)


def test_contraction_pieces_map_to_spacy_words(tiny_runners, annotator):
    text = "Don’t go."
    acts = tiny_runners["bert"].run(text, contexts=False)
    words = annotator.words(text)
    alignment = align(acts.tokens, words, len(text))
    by_word = {words[w].text: [acts.tokens[t].text for t in toks] for w, toks in enumerate(alignment.word_tokens)}
    assert by_word["go"] == ["go"]
    assert "".join(by_word["Do"] + by_word["n’t"]).replace("#", "") == "don’t"


def test_whitespace_token_goes_to_following_word():
    from exbert_ls.model.activations import Token

    # "a  b": the zero-width piece at 2 is one character from both words
    words = [Word(0, "a", 0, 1), Word(1, "b", 3, 4)]
    tokens = [Token(0, "a", 0, 1, False, 1), Token(1, "Ġ", 2, 2, False, 2), Token(2, "b", 3, 4, False, 3)]
    assert align(tokens, words, 4).token_to_word.tolist() == [0, 1, 1]


def test_unaligned_word_is_reported():
    from exbert_ls.model.activations import Token

    words = [Word(0, "a", 0, 1), Word(1, "\u0000", 2, 3), Word(2, "b", 4, 5)]
    tokens = [Token(0, "a", 0, 1, False, 1), Token(1, "b", 4, 5, False, 3)]
    assert align(tokens, words, 5).unaligned_words == [1]
