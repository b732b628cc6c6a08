"""Default corpus: the prose of the standard library's ``pydoc_data.topics``.

About 465 kB of reference documentation in 79 topics (the text ``help("for")`` shows),
rendered from reStructuredText. Kept: paragraphs of prose, list items, notes. Dropped:
code samples (indented blocks introduced by a colon, or mostly code-like lines), API
signatures, doctest
sessions (``>>>`` / ``...``), grammar productions (``::=``), tables (``+---+``, ``|``) and
title underlines. The result is deterministic for a given Python version.
"""

from __future__ import annotations

import re

NAME = "pydoc_topics"
_UNDERLINE = re.compile(r"^\s*([*=\-^~\"#+.`'])\1{2,}\s*$")
_LIST_MARKER = re.compile(r"^\s*(\d+\.|[*\-•]|\(\d+\))\s")
_CODE_LINE = re.compile(
    r"[=(){}\[\]#@]|^\s*(def|class|import|from|return|raise|if|elif|else|for|while|try|except|"
    r"finally|with|async|await|yield|lambda|print|pass|del|global|nonlocal)\b"
)
_DOCTEST = re.compile(r"^\s*(>>>|\.\.\.)(\s|$)")
_TABLE = re.compile(r"^\s*(\+[-=+]+\+?|\|)")
_SIGNATURE = re.compile(r"^\s*(class\s+|(async\s+)?def\s+)?[\w.]+\(.*\)\s*(->.*)?:?\s*$")


def topics() -> dict[str, str]:
    """Topic name -> raw text, from the running Python's standard library."""
    from pydoc_data.topics import topics as raw

    return dict(raw)


def prose(text: str) -> str:
    """The prose paragraphs of one topic, separated by blank lines."""
    kept: list[str] = []
    previous = ""
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [line for line in paragraph.splitlines() if line.strip() and not _UNDERLINE.match(line)]
        if lines and _is_prose(lines, previous):
            kept.append("\n".join(line.strip() for line in lines))
        previous = paragraph.rstrip()
    return "\n\n".join(kept) + "\n"


def _is_prose(lines: list[str], previous: str) -> bool:
    if any(_DOCTEST.match(line) or _TABLE.match(line) or "::=" in line for line in lines):
        return False
    if all(_SIGNATURE.match(line) for line in lines):
        return False  # API signatures ("class dict(**kwargs)")
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    if indent < 3 or _LIST_MARKER.match(lines[0]):
        return True
    if previous.endswith(":"):
        return False  # an indented block introduced by a colon: a code sample
    code_like = sum(bool(_CODE_LINE.search(line)) for line in lines)
    return code_like * 2 < len(lines)


def documents() -> dict[str, str]:
    """File stem -> prose, for every topic that keeps some prose."""
    result = {}
    for name, text in sorted(topics().items()):
        body = prose(text)
        if body.strip():
            result[re.sub(r"[^A-Za-z0-9_.-]", "_", name)] = body
    return result
