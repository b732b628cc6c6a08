"""Chunking for spaCy, spaCy sentences with offsets, and windows for over-long sentences."""

from __future__ import annotations

import re

import pytest

from exbert_ls.annotate.words import Word
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store.segment import Sentence, chunks, fit, spacy_sentences, sub_sentence


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    "text",
    [
        "One paragraph.\n\nAnother one,\nwrapped over lines.\n\n\n  Third.",
        "word " * 5000,  # one long line with whitespace
        "x" * 12_345,  # one long line without any
        ("short para.\n\n" * 300) + ("long " * 900),
    ],
)
def test_chunks_are_bounded_and_lose_no_text(text: str) -> None:
    pieces = list(chunks(text, limit=1000))
    assert all(0 < len(p) <= 1000 for p in pieces)
    assert _squeeze("".join(pieces)) == _squeeze(text)


def test_chunks_unwrap_lines_and_keep_paragraphs_apart() -> None:
    (piece,) = chunks("A wrapped\nline.\n\nNext paragraph.", limit=1000)
    assert piece == "A wrapped line.\n\nNext paragraph."


def test_spacy_sentences_have_consistent_offsets_and_heads(annotator) -> None:
    text = "Dorothy lived in Kansas.  She didn't like the well-known storms!\n\nToto barked."
    sentences = list(spacy_sentences(annotator.nlp, chunks(text)))
    assert [s.text for s in sentences] == [
        "Dorothy lived in Kansas.",
        "She didn't like the well-known storms!",
        "Toto barked.",
    ]
    for sentence in sentences:
        assert [w.index for w in sentence.words] == list(range(len(sentence.words)))
        for word in sentence.words:
            assert sentence.text[word.start : word.end] == word.text
            assert -1 <= word.head < len(sentence.words)
        assert sum(w.head == -1 for w in sentence.words) == 1  # one root per sentence
    lived = sentences[0].words[1]
    assert (lived.text, lived.pos, lived.dep) == ("lived", "VERB", "ROOT")


def _sentence(n_words: int) -> Sentence:
    words, parts, offset = [], [], 0
    for i in range(n_words):
        token = f"w{i}ord"
        words.append(
            Word(i, token, offset, offset + len(token), pos="NOUN", head=(i + 1) % n_words - (i + 1 == n_words))
        )
        parts.append(token)
        offset += len(token) + 1
    return Sentence(" ".join(parts), tuple(words))


def test_sub_sentence_clips_words_and_remaps_heads() -> None:
    sentence = _sentence(6)
    start = sentence.words[2].start
    part = sub_sentence(sentence, start, sentence.words[4].end)
    assert part is not None
    assert [w.text for w in part.words] == ["w2ord", "w3ord", "w4ord"]
    assert [w.head for w in part.words] == [1, 2, -1]  # w4's head (w5) is outside the window
    assert all(part.text[w.start : w.end] == w.text for w in part.words)


def test_short_sentence_is_its_own_window(tiny_runners: dict[str, ModelRunner]) -> None:
    sentence = _sentence(5)
    assert fit(sentence, tiny_runners["bert"]) == [sentence]


@pytest.mark.parametrize("name", ["bert", "gpt2"])
def test_long_sentence_is_cut_into_windows_that_fit(tiny_runners: dict[str, ModelRunner], name: str) -> None:
    runner = tiny_runners[name]
    sentence = _sentence(runner.info.max_positions)  # several pieces per word: far too long
    windows = fit(sentence, runner)
    assert len(windows) > 1
    assert max(runner.count_tokens([w.text for w in windows])) <= runner.info.max_positions
    # consecutive, no overlap, nothing lost: the windows' words are the sentence's words
    assert [w.text for window in windows for w in window.words] == [w.text for w in sentence.words]
    for window in windows:
        assert all(-1 <= w.head < len(window.words) for w in window.words)


def test_one_giant_word_is_cut_inside_the_word(tiny_runners: dict[str, ModelRunner]) -> None:
    runner = tiny_runners["bert"]
    text = "-".join(["well"] * runner.info.max_positions)  # one spaCy-like word, many pieces
    sentence = Sentence(text, (Word(0, text, 0, len(text), pos="X"),))
    windows = fit(sentence, runner)
    assert len(windows) > 1
    assert max(runner.count_tokens([w.text for w in windows])) <= runner.info.max_positions
    assert "".join(w.text for w in windows) == text
    assert all(len(w.words) == 1 and w.words[0].pos == "X" for w in windows)
