"""LSP positions <-> Python string offsets.

LSP counts lines at ``\\n``, ``\\r\\n`` and ``\\r`` only (``str.splitlines`` also splits at
U+2028, form feeds and others: not used here), and characters in code units of the
negotiated position encoding: UTF-16 unless the client offered another, so an emoji or any
other astral character is two units while Python counts it as one.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np

from exbert_ls.errors import InvalidInputError

PositionEncoding = Literal["utf-16", "utf-8", "utf-32"]
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _code_units(text: str, encoding: PositionEncoding) -> np.ndarray:
    """``[len(text)]`` code units each character takes in ``encoding``."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    if encoding == "utf-16":
        return 1 + (points > 0xFFFF).astype(np.int64)
    if encoding == "utf-8":
        return 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
    return np.ones(len(points), dtype=np.int64)


class LineIndex:
    """Converts between offsets into ``text`` and ``(line, character)`` LSP positions."""

    def __init__(self, text: str, encoding: PositionEncoding = "utf-16") -> None:
        self.text = text
        self.encoding = encoding
        breaks = list(_NEWLINE.finditer(text))
        self._starts = np.array([0] + [m.end() for m in breaks], dtype=np.int64)
        """Offset where each line starts."""
        self._ends = np.array([m.start() for m in breaks] + [len(text)], dtype=np.int64)
        """Offset of each line's end (before its line break)."""
        self._units = np.concatenate([[0], np.cumsum(_code_units(text, encoding))])
        """Code units before each offset (``len(text) + 1`` entries)."""

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def offset(self, line: int, character: int) -> int:
        """The offset of a position. A character past the end of its line means the line's
        end (as the LSP specification says); a position inside a surrogate pair (or a
        multi-byte UTF-8 sequence) means the character it is part of."""
        if not 0 <= line < self.line_count:
            raise InvalidInputError(f"line {line} is out of range: the document has {self.line_count} lines (0-based)")
        if character < 0:
            raise InvalidInputError(f"character {character} is negative")
        start, end = int(self._starts[line]), int(self._ends[line])
        target = self._units[start] + character
        if target >= self._units[end]:
            return end
        return int(np.searchsorted(self._units, target, side="right")) - 1

    def positions(self, offsets: np.ndarray | list[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(lines, characters)`` of many offsets at once."""
        offsets = np.clip(np.asarray(offsets, dtype=np.int64), 0, len(self.text))
        lines = np.searchsorted(self._starts, offsets, side="right") - 1
        characters = self._units[offsets] - self._units[self._starts[lines]]
        return lines, characters

    def position(self, offset: int) -> dict[str, int]:
        lines, characters = self.positions([offset])
        return {"line": int(lines[0]), "character": int(characters[0])}

    def ranges(self, starts: np.ndarray | list[int], ends: np.ndarray | list[int]) -> list[dict]:
        """LSP ``Range`` objects for spans ``[start, end)``."""
        start_lines, start_chars = self.positions(starts)
        end_lines, end_chars = self.positions(ends)
        return [
            {"start": {"line": a, "character": b}, "end": {"line": c, "character": d}}
            for a, b, c, d in zip(start_lines.tolist(), start_chars.tolist(), end_lines.tolist(), end_chars.tolist())
        ]
