"""Which files a run reads: walking folders, ignore rules, and reading one file safely.

* Read: ``TEXT_SUFFIXES`` as plain text (spaCy annotates them) and ``.conllu`` with its gold
  annotations. Everything else is skipped with a reason.
* Not walked: ``.git`` and other VCS folders, ``node_modules``, ``__pycache__`` and tool caches,
  exbert's ``.exbert`` database folder and LanceDB tables (``*.lance``), virtual
  environments (any folder holding ``pyvenv.cfg``) and paths matched by a ``.gitignore``
  (at any depth, gitignore semantics via ``pathspec``). Files named explicitly are read
  even when a ``.gitignore`` would exclude them.
* Symlinks inside a folder are followed only while they resolve inside that folder (the root
  given, resolved): one pointing out of it (``notes -> /etc``, ``data -> ../../other``) is
  skipped with a reason, so indexing a workspace never reads files outside it. A path given
  explicitly is read wherever it points. A folder already visited (a symlink loop) is
  skipped with a reason.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import pathspec

from exbert_ls.errors import UnreadableInputError, UnsupportedContentError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".rst", ".rest"})
CONLLU_SUFFIXES = frozenset({".conllu"})
PRUNED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".exbert",
        ".tox",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    }
)
"""Never walked: version control, dependencies, caches, and exbert's own database folder."""
BINARY_SNIFF_BYTES = 8192

SourceKind = Literal["text", "conllu"]


@dataclass(frozen=True)
class Source:
    """A file to read. ``doc`` is its key in the index: the absolute path, normalised (so the
    same file keeps its key whichever folder ``exbert index`` runs from)."""

    doc: str
    path: Path
    kind: SourceKind


@dataclass(frozen=True)
class Skip:
    doc: str
    reason: str


@dataclass
class Walk:
    sources: list[Source] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    """Absolute paths given: documents under them that no longer exist are removed."""

    def covers(self, doc: str) -> bool:
        """Whether ``doc`` lies under (or is) one of the roots walked."""
        return any(doc == root or doc.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)


def kind_of(path: Path) -> SourceKind | None:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in CONLLU_SUFFIXES:
        return "conllu"
    return None


def walk(paths: Sequence[str | Path]) -> Walk:
    """Every file to read under ``paths`` (sorted), and every file skipped with its reason."""
    result = Walk()
    seen: set[str] = set()
    for given in paths:
        root = os.path.abspath(str(given))
        result.roots.append(root)
        path = Path(root)
        problem = _stat_problem(path)
        if problem:
            result.skipped.append(Skip(root, problem))
        elif path.is_dir():
            real = os.path.realpath(path)
            _walk_dir(path, root, real, [], {real}, result, seen)
        else:
            _add_file(path, root, result, seen)
    return result


def _stat_problem(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken symlink" if os.path.islink(path) else "does not exist"
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else f"unreadable: {exc.strerror}"
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        return "not a regular file (device, socket or pipe)"
    return None


def _add_file(path: Path, doc: str, result: Walk, seen: set[str]) -> None:
    if doc in seen:
        return
    seen.add(doc)
    kind = kind_of(path)
    if kind is None:
        suffix = path.suffix.lower() or "no extension"
        result.skipped.append(Skip(doc, f"unsupported file type ({suffix})"))
    else:
        result.sources.append(Source(doc, path, kind))


def _walk_dir(
    path: Path,
    doc: str,
    root_real: str,
    ignores: list[tuple[str, pathspec.PathSpec]],
    visited: set[str],
    result: Walk,
    seen: set[str],
) -> None:
    gitignore = path / ".gitignore"
    if gitignore.is_file():
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            ignores = [*ignores, (doc, pathspec.GitIgnoreSpec.from_lines(lines))]
        except OSError:
            pass  # an unreadable .gitignore ignores nothing; the folder is still walked
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        result.skipped.append(Skip(doc, f"unreadable folder: {exc.strerror}"))
        return
    for entry in entries:
        child = os.path.join(doc, entry.name)
        problem = _stat_problem(Path(entry.path))
        if problem:
            result.skipped.append(Skip(child, problem))
            continue
        is_dir = entry.is_dir()
        if _ignored(child, is_dir, ignores):
            continue
        if entry.is_symlink() and not _inside(os.path.realpath(entry.path), root_real):
            result.skipped.append(Skip(child, "symlink to outside the folder indexed"))
            continue
        if is_dir:
            if _pruned(entry.name, Path(entry.path)):
                continue
            real = os.path.realpath(entry.path)
            if real in visited:
                result.skipped.append(Skip(child, "symlink loop (folder already visited)"))
                continue
            _walk_dir(Path(entry.path), child, root_real, ignores, visited | {real}, result, seen)
        else:
            _add_file(Path(entry.path), child, result, seen)


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _pruned(name: str, path: Path) -> bool:
    """Tool folders, virtual environments (``pyvenv.cfg``) and LanceDB tables (``*.lance``)."""
    return name in PRUNED_DIRS or name.endswith(".lance") or (path / "pyvenv.cfg").exists()


def _ignored(doc: str, is_dir: bool, ignores: list[tuple[str, pathspec.PathSpec]]) -> bool:
    for base, spec in ignores:
        relative = os.path.relpath(doc, base).replace(os.sep, "/")
        if spec.match_file(relative + "/" if is_dir else relative):
            return True
    return False


# ------------------------------------------------------------------ reading


READ_BLOCK = 2**20
"""Bytes read at a time: files are hashed, checked and segmented block by block, so memory
stays bounded whatever their size (a 1 GB file is never whole in memory)."""


@dataclass(frozen=True)
class Scanned:
    """What one streaming pass over a file found (it passed every check)."""

    digest: str
    """sha256 of the bytes."""
    chars: int
    """Characters of the decoded text (BOM excluded)."""


def open_binary(path: Path) -> BinaryIO:
    """The file opened for reading (a module-level function so tests can simulate I/O failures)."""
    return open(path, "rb")


def read_bytes(path: Path) -> bytes:
    """The file's bytes, whole: for small files and callers that want them at once."""
    with open_binary(path) as handle:
        return handle.read()


def read_source(source: Source, max_bytes: int) -> tuple[str, str]:
    """``(sha256 of the bytes, text)``, the file read whole; raises
    :class:`UnreadableInputError` with the reason (the checks of :func:`scan_source`)."""
    scanned = scan_source(source, max_bytes)
    return scanned.digest, "".join(iter_text(source))


def scan_source(source: Source, max_bytes: int) -> Scanned:
    """Hash and check a file block by block; raises :class:`UnreadableInputError` with the
    reason: too large, vanished, unreadable, binary (a NUL in its first bytes), not UTF-8
    (with the offset of the first bad byte), empty or only whitespace."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    fed = chars = 0
    blank = first = True
    try:
        size = os.stat(source.path).st_size
        if size > max_bytes:
            raise UnsupportedContentError(
                f"too large: {size / 2**20:.1f} MiB > {max_bytes / 2**20:.0f} MiB limit (--max-file-mb)"
            )
        with open_binary(source.path) as handle:
            while block := handle.read(READ_BLOCK):
                digest.update(block)
                if fed < BINARY_SNIFF_BYTES and b"\0" in block[: BINARY_SNIFF_BYTES - fed]:
                    raise UnsupportedContentError("binary file (NUL bytes)")
                held = len(decoder.getstate()[0])  # bytes of a character cut by the last block
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    offset = fed - held + exc.start
                    raise UnsupportedContentError(
                        f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {offset})"
                    ) from exc
                if first and text:
                    text, first = _drop_bom(text), False
                fed += len(block)
                chars += len(text)
                blank = blank and not text.strip()
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                offset = fed - len(exc.object) + exc.start
                raise UnsupportedContentError(
                    f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {offset})"
                ) from exc
    except FileNotFoundError as exc:
        raise UnreadableInputError("deleted during the run") from exc
    except PermissionError as exc:
        raise UnreadableInputError("unreadable: permission denied") from exc
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else f"unreadable: {exc.strerror}"
        raise UnreadableInputError(reason) from exc
    if blank:
        raise UnsupportedContentError("empty")
    return Scanned(digest.hexdigest(), chars)


def iter_text(source: Source, block_size: int = READ_BLOCK) -> Iterator[str]:
    """The file's text, block by block (BOM dropped). Call after :func:`scan_source`: a byte
    that turned invalid since is replaced (U+FFFD), not raised, and the stored hash is then
    that of the scan, so the next run sees a changed file and indexes it again. Raises
    :class:`UnreadableInputError` if the file vanished or became unreadable."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    first = True
    try:
        with open_binary(source.path) as handle:
            while block := handle.read(block_size):
                text = decoder.decode(block)
                if first and text:
                    text, first = _drop_bom(text), False
                yield text
            yield decoder.decode(b"", final=True)
    except FileNotFoundError as exc:
        raise UnreadableInputError("deleted during the run") from exc
    except OSError as exc:
        raise UnreadableInputError(f"unreadable: {exc.strerror}") from exc


def _drop_bom(text: str) -> str:
    """utf-8-sig: one leading byte-order mark is not text (only the first character decoded)."""
    return text[1:] if text.startswith("\ufeff") else text
