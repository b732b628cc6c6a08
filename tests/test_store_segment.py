"""Chunking for spaCy, spaCy sentences with offsets, and windows for over-long sentences."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exbert_ls.annotate.words import Word
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store.segment import Sentence, chunks, fit, spacy_sentences, stream_chunks, sub_sentence


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


_PROSE = st.lists(st.sampled_from(["a", "bc", " ", "\n", "\t", "\r", "\u3000", ".", "\n\n"]), max_size=200).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_PROSE, limit=st.integers(1, 40), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_stream_chunks_equal_chunks_of_the_whole_text(text: str, limit: int, cuts: list[int]) -> None:
    # any split into blocks (empty ones, a separator or a long line across a boundary) gives
    # exactly the chunks of the whole text, so a streamed file stores the rows a whole read did
    edges = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    blocks = [text[a:b] for a, b in itertools.pairwise(edges)] + [""]
    assert list(stream_chunks(blocks, limit)) == list(chunks(text, limit))


def test_stream_chunks_of_one_long_line_hold_a_bounded_buffer() -> None:
    line = "word " * 200_000  # 1 MB, no newline: a paragraph that never ends within a block
    blocks = [line[i : i + 4096] for i in range(0, len(line), 4096)]
    got = list(stream_chunks(iter(blocks), 100))
    assert got == list(chunks(line, 100)) and max(map(len, got)) <= 100


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.sampled_from(["1\tA\ta\tX\tX\t_\t0\troot\t_\t_", "", "  ", "# text = A", "\r"]), max_size=60),
    cuts=st.lists(st.integers(0, 2000), max_size=10),
    at_least=st.integers(1, 50),
)
def test_blank_line_pieces_end_where_a_blank_line_follows(lines: list[str], cuts: list[int], at_least: int) -> None:
    from exbert_ls.store.conllu import conllu_sentences
    from exbert_ls.store.segment import blank_line_pieces

    text = "\n".join(lines)
    edges = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    pieces = list(blank_line_pieces([text[a:b] for a, b in itertools.pairwise(edges)], at_least))
    assert "".join(pieces) == text
    assert [s for p in pieces for s in conllu_sentences(p)] == list(conllu_sentences(text))
