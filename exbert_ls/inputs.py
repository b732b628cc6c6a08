"""Checks every text and path a user gives goes through first, the same in the CLI and the
server: unencodable characters, over-long text, database and output locations.

Rules (docs/protocol.md "Errors"):

* **Unencodable text is replaced, never refused.** A lone UTF-16 surrogate (what an
  undecodable byte becomes in ``argv``, or ``"\\ud800"`` in JSON) cannot reach the tokenizer
  or be printed; each one becomes U+FFFD. One code point for one code point, so every
  character offset and every LSP position (a lone surrogate and U+FFFD are both one UTF-16
  unit) stays where it was.
* **Over-long text is refused before it is tokenized.** A text longer than
  ``max_positions * CHARS_PER_TOKEN`` characters cannot fit the model in any ordinary
  writing, and tokenizing megabytes only to say so costs seconds and gigabytes.
* **Readers never create a database**; writers refuse a ``--db`` that is a file or whose
  parent cannot be created or written, before any work.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

from exbert_ls.errors import CorpusNotFoundError, InputTooLongError, InvalidInputError, UnwritablePathError

CHARS_PER_TOKEN = 32
"""Generous: English prose averages 4-5 characters per model token, code and URLs fewer than
10; 32 leaves room for whitespace runs (which make no tokens) while bounding the work."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> tuple[str, int]:
    """``text`` with every lone surrogate replaced by U+FFFD, and how many were replaced."""
    if text.isascii():  # the common case, in microseconds; the regex scan costs ~16 ms per MB
        return text, 0
    try:
        text.encode("utf-8")  # C speed; fails only on a surrogate
        return text, 0
    except UnicodeEncodeError:
        cleaned, count = _SURROGATE.subn("\ufffd", text)
        return cleaned, count


def max_chars(max_positions: int) -> int:
    return max_positions * CHARS_PER_TOKEN


def check_length(text: str, max_positions: int, model: str) -> None:
    """Raise InputTooLongError when ``text`` is surely too long for the model (O(1))."""
    limit = max_chars(max_positions)
    if len(text) > limit:
        raise InputTooLongError(
            f"text is {len(text):,} characters long; model {model!r} accepts at most {max_positions} tokens, "
            f"so exbert-ls refuses text over {limit:,} characters ({CHARS_PER_TOKEN} per token). "
            "Select a shorter passage."
        )


def _is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file://")


def _local(uri: str) -> Path:
    return Path(uri[len("file://") :] if uri.startswith("file://") else uri).expanduser()


def check_readable_db(uri: str) -> None:
    """A reader's database must exist: opening a missing local path would create a folder."""
    if _is_remote(uri):
        return
    path = _local(uri)
    if path.is_file():
        raise CorpusNotFoundError(f"--db {uri} is a file, not a corpus database folder")
    if not path.is_dir():
        raise CorpusNotFoundError(f"no corpus index at {uri!r}: run `exbert index --db {uri}` first")


def check_writable_db(uri: str) -> None:
    """A writer's database must be a folder, or creatable in a writable parent."""
    if _is_remote(uri):
        return
    path = _local(uri)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"--db {uri} is a file, not a corpus database folder: give a folder path")
    check_writable_dir(path if path.exists() else _existing_parent(path), f"database {uri}")


def check_writable_file(path: str | Path, what: str) -> None:
    """An output file's folder must exist and be writable; the path itself not a folder."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInputError(f"{what} {path} is a folder, not a file")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UnwritablePathError(f"cannot write {what} {path}: folder {parent} does not exist")
    check_writable_dir(parent, f"{what} {path}")


def check_writable_dir(folder: Path, what: str) -> None:
    """A read-only file system (which refuses root too) first, then ``access(W_OK)``."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        raise UnwritablePathError(f"cannot write {what}: {folder} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UnwritablePathError(f"cannot write {what}: {folder} is not writable (permission denied)")


def _existing_parent(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UnwritablePathError(f"cannot create the database under {parent}: it is a file")
            return parent
    return Path("/")


def os_error_message(exc: OSError) -> str:
    """One line for an OSError that escaped (a write that failed half-way, a full disk)."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device (free some space; the database keeps its last complete write)"
    elif exc.errno == errno.EROFS:
        reason = "read-only file system"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{reason}{where}"


def nothing_indexed(report: Any) -> None:
    """Raise NothingIndexedError, with the reasons, when an index run found nothing to index
    (no file indexed, unchanged or removed, and not cancelled)."""
    from exbert_ls.errors import NothingIndexedError

    if any(getattr(report, name) for name in ("indexed", "unchanged", "removed", "cancelled")):
        return
    skipped: list[tuple[str, str]] = list(report.skipped)
    reasons = "; ".join(f"{path}: {reason}" for path, reason in skipped[:5]) or "no files found"
    more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
    raise NothingIndexedError(f"nothing indexed: {reasons}{more}")
