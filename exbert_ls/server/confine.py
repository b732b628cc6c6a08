"""Path confinement: the server reads, indexes and writes only inside its workspace folders
(and reads the documents the client opened, whose text the client sent), unless
``exbert.allowOutsideWorkspace`` is true. The database may also live in the user cache.

Every path is resolved (symlinks followed, ``..`` removed) before it is compared, so a link
inside the workspace that points outside is outside.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import attrs

from exbert_ls.errors import PathNotAllowedError

SETTING = "exbert.allowOutsideWorkspace"
USER_CACHE = Path("~/.cache/exbert-ls")


@attrs.define(frozen=True)
class Confinement:
    folders: tuple[Path, ...]
    allow_outside: bool = False

    def _inside(self, path: Path, roots: Iterable[Path]) -> bool:
        resolved = path.expanduser().resolve()
        return any(resolved.is_relative_to(root.expanduser().resolve()) for root in roots)

    def check_read(self, path: Path, what: str = "read") -> None:
        """Raise PathNotAllowedError unless ``path`` is inside a workspace folder (or allowed)."""
        if self.allow_outside or self._inside(path, self.folders):
            return
        where = "no workspace folder is open" if not self.folders else "it is outside the workspace folders"
        raise PathNotAllowedError(f"cannot {what} {path}: {where}; set {SETTING} to true to allow it")

    def paths(self, paths: list[Path]) -> list[Path]:
        """``paths`` to index, each checked (for ``exbert.indexWorkspace``)."""
        for path in paths:
            self.check_read(path, "index")
        return paths

    def check_database(self, uri: str) -> str:
        """A local database must be inside the workspace or the user cache; object-store
        URIs are the user's explicit choice of remote storage and pass."""
        if self.allow_outside or ("://" in uri and not uri.startswith("file://")):
            return uri
        path = Path(uri.removeprefix("file://"))
        if not self._inside(path, (*self.folders, USER_CACHE)):
            raise PathNotAllowedError(
                f"exbert.databasePath {uri} is outside the workspace folders and {USER_CACHE}; "
                f"move it there, or set {SETTING} to true to allow it"
            )
        return uri
