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

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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


def read_bytes(path: Path) -> bytes:
    """The file's bytes (a module-level function so tests can simulate I/O failures)."""
    with open(path, "rb") as handle:
        return handle.read()


def read_source(source: Source, max_bytes: int) -> tuple[str, str]:
    """``(sha256 of the bytes, text)``; raises :class:`UnreadableInputError` with the reason."""
    try:
        size = os.stat(source.path).st_size
        if size > max_bytes:
            raise UnsupportedContentError(
                f"too large: {size / 2**20:.1f} MiB > {max_bytes / 2**20:.0f} MiB limit (--max-file-mb)"
            )
        data = read_bytes(source.path)
    except FileNotFoundError as exc:
        raise UnreadableInputError("deleted during the run") from exc
    except PermissionError as exc:
        raise UnreadableInputError("unreadable: permission denied") from exc
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else f"unreadable: {exc.strerror}"
        raise UnreadableInputError(reason) from exc
    digest = hashlib.sha256(data).hexdigest()
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        raise UnsupportedContentError("binary file (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedContentError(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc
    if not text.strip():
        raise UnsupportedContentError("empty")
    return digest, text
