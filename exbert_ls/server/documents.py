"""Resolve a command's selection (raw text, or a document URI and range) to the text to run
and the mapping back to document positions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from exbert_ls.errors import InvalidInputError
from exbert_ls.inputs import clean_text
from exbert_ls.server.confine import Confinement
from exbert_ls.server.positions import LineIndex, PositionEncoding
from exbert_ls.server.protocol import Position, Selection


@dataclass(frozen=True)
class Selected:
    text: str
    """What the model runs."""
    offset: int = 0
    """Where ``text`` starts in the document."""
    uri: str | None = None
    version: int | None = None
    lines: LineIndex | None = None
    """The whole document's line index (None for raw text)."""

    def document_offset(self, position: Position) -> int:
        """The offset in ``text`` of a document position (raises if outside the selection)."""
        if self.lines is None:
            raise InvalidInputError("'position' needs a document ('uri'); with 'text' give 'token'")
        offset = self.lines.offset(position.line, position.character) - self.offset
        if not 0 <= offset < len(self.text):
            raise InvalidInputError(f"position {position.line}:{position.character} is outside the selected range")
        return offset

    def ranges(self, starts: list[int], ends: list[int]) -> list[dict[str, Any]]:
        assert self.lines is not None
        return self.lines.ranges([s + self.offset for s in starts], [e + self.offset for e in ends])

    def describe(self) -> dict[str, Any] | None:
        if self.lines is None:
            return None
        return {
            "uri": self.uri,
            "version": self.version,
            "range": self.ranges([0], [len(self.text)])[0],
            "offset": self.offset,
        }


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def document_text(
    workspace: Any, uri: str, confinement: Confinement | None = None
) -> tuple[str, int | None, str | None]:
    """``(text, version, language id)`` of an open document, or of a ``file:`` URI on disk
    (inside the workspace unless ``confinement`` allows more). Lone surrogates become U+FFFD."""
    documents = workspace.text_documents
    doc = documents.get(unquote(uri)) or documents.get(uri)
    if doc is not None:
        return clean_text(doc.source)[0], doc.version, doc.language_id
    path = uri_to_path(uri)
    if path is not None and confinement is not None:
        confinement.check_read(path)  # before looking: a refusal says nothing of what exists
    if path is None or not path.is_file():
        raise InvalidInputError(f"unknown document {uri!r}: not open in the editor and not a readable file")
    try:
        return path.read_text(encoding="utf-8"), None, None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {uri!r}: {exc}") from exc


def resolve(
    selection: Selection, workspace: Any, encoding: PositionEncoding, confinement: Confinement | None = None
) -> Selected:
    if selection.text is not None:
        return Selected(clean_text(selection.text)[0])
    assert selection.uri is not None
    text, version, _ = document_text(workspace, selection.uri, confinement)
    lines = LineIndex(text, encoding)
    if selection.range is None:
        return Selected(text, 0, selection.uri, version, lines)
    start = lines.offset(selection.range.start.line, selection.range.start.character)
    end = lines.offset(selection.range.end.line, selection.range.end.character)
    if end < start:
        raise InvalidInputError("the range ends before it starts")
    if end == start:
        raise InvalidInputError("the range is empty: select the text to explain")
    return Selected(text[start:end], start, selection.uri, version, lines)
