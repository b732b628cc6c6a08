"""explain() with an annotator: its words are the result's, and an error of either the
annotator or the run reaches the caller."""

from __future__ import annotations

import pytest

from exbert_ls.annotate.words import Word
from exbert_ls.errors import InputTooLongError
from exbert_ls.explain import _plain_words, explain


class _Annotator:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def words(self, text: str) -> list[Word]:
        if self.fail:
            raise RuntimeError("spaCy broke")
        return [Word(w.index, w.text, w.start, w.end, pos="X") for w in _plain_words(text)]


def test_annotated_words_come_from_the_annotator(tiny_runners) -> None:
    annotator = _Annotator()
    exp = explain(tiny_runners["bert"], "the quick brown fox", annotator=annotator)
    assert [w.pos for w in exp.words] == ["X"] * 4 and [w.text for w in exp.words][-1] == "fox"
    assert exp.alignment.word_tokens[3]


def test_errors_of_either_side_reach_the_caller(tiny_runners) -> None:
    runner = tiny_runners["bert"]
    with pytest.raises(RuntimeError, match="spaCy broke"):
        explain(runner, "the quick brown fox", annotator=_Annotator(fail=True))
    with pytest.raises(InputTooLongError):
        explain(runner, "fox " * (runner.info.max_positions + 10), annotator=_Annotator())
