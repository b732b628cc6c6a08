"""LSP positions (UTF-16 code units, \\n / \\r\\n / \\r lines) <-> Python offsets."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exbert_ls.errors import InvalidInputError
from exbert_ls.server.positions import LineIndex

TEXT = st.lists(st.sampled_from(list("ab \n\r\u2028é東🙂𝔸") + ["\r\n"]), max_size=40).map("".join)


def oracle(text: str, offset: int, encoding: str) -> dict[str, int]:
    """Position of ``offset`` computed the slow, obvious way."""
    before = text[:offset]
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    line = max(i for i, s in enumerate(starts) if s <= offset)
    prefix = before[starts[line] :]
    codec = {"utf-16": "utf-16-le", "utf-8": "utf-8", "utf-32": "utf-32-le"}[encoding]
    width = {"utf-16": 2, "utf-8": 1, "utf-32": 4}[encoding]
    return {"line": line, "character": len(prefix.encode(codec)) // width}


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(["utf-16", "utf-8", "utf-32"]))
def test_positions_match_the_encoded_prefix_and_round_trip(text: str, encoding: str):
    lines = LineIndex(text, encoding)  # type: ignore[arg-type]
    for offset in range(len(text) + 1):
        pos = lines.position(offset)
        assert pos == oracle(text, offset, encoding)
        inside_crlf = offset > 0 and text[offset - 1 : offset + 1] == "\r\n"
        if not inside_crlf:  # (between \r and \n there is no position of its own)
            assert lines.offset(pos["line"], pos["character"]) == offset


def test_astral_characters_count_two_utf16_units():
    text = "🙂 cat\nx🦁y"
    lines = LineIndex(text)
    assert lines.position(text.index("cat")) == {"line": 0, "character": 3}
    assert lines.offset(1, 3) == text.index("y")
    assert lines.offset(1, 2) == text.index("🦁")  # inside the surrogate pair: the lion itself
    assert lines.ranges([2], [5]) == [{"start": {"line": 0, "character": 3}, "end": {"line": 0, "character": 6}}]


def test_only_lsp_line_breaks_count():
    text = "a\u2028b\rc\r\nd\x0ce"
    lines = LineIndex(text)
    assert lines.line_count == 3  # U+2028 and form feed are not LSP line breaks
    assert lines.offset(1, 0) == text.index("c")
    assert lines.offset(2, 2) == text.index("\x0c") + 1


def test_character_past_the_line_end_means_the_end():
    lines = LineIndex("ab\ncd")
    assert lines.offset(0, 99) == 2


@pytest.mark.parametrize("line,character", [(2, 0), (-1, 0), (0, -1)])
def test_out_of_range_positions_are_input_errors(line: int, character: int):
    with pytest.raises(InvalidInputError):
        LineIndex("ab\ncd").offset(line, character)
