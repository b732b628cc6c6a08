"""What the server keeps between requests: settings, the loaded model, spaCy, the corpus
database and the hover cache. Loaded lazily, once, and shared by every request thread.

Nothing here imports torch, transformers or lancedb at module level: ``initialize`` must
answer before any of them is loaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from exbert_ls.annotate.words import SpacyAnnotator, Word
from exbert_ls.errors import CorpusNotFoundError, ExbertError, IndexMismatchError, PathNotAllowedError
from exbert_ls.inputs import check_readable_db
from exbert_ls.server.config import Settings
from exbert_ls.server.confine import Confinement
from exbert_ls.store.storage import set_storage_options

if TYPE_CHECKING:
    from exbert_ls.model.activations import Activations
    from exbert_ls.model.runner import ModelRunner

log = logging.getLogger(__name__)

MAX_EXTRA_MODELS = 1
"""Per-request model overrides kept loaded besides the configured model."""
HOVER_CACHE_SIZE = 256
MISSING_DB_RETRY_S = 5.0
"""How long hovers go without a database after not finding one (indexing resets it)."""


class _SerialAnnotator(SpacyAnnotator):
    """spaCy pipelines are not documented as thread-safe: one call at a time."""

    def __init__(self) -> None:
        super().__init__()
        self._call_lock = threading.Lock()

    def words(self, text: str) -> list[Word]:
        with self._call_lock:
            return super().words(text)

    def sentences(self, text: str) -> list[tuple[int, list[Word]]]:
        with self._call_lock:
            return super().sentences(text)


class ServerState:
    """Shared, lazily loaded resources. Every method may be called from any thread."""

    def __init__(self, warn: Callable[[str], None] | None = None) -> None:
        self.settings = Settings()
        self.root: Path | None = None
        """First workspace folder (default database location, default index paths)."""
        self.folders: list[Path] = []
        self._warn = warn or (lambda message: log.warning("%s", message))
        self._lock = threading.Lock()
        self._runners: OrderedDict[str, ModelRunner] = OrderedDict()
        self._load_locks: dict[str, threading.Lock] = {}
        self._annotator: _SerialAnnotator | None = None
        self._db: Any = None
        self._db_key: tuple[str, str] | None = None
        self._db_error_reported: set[tuple[str, str]] = set()
        self._db_missing_until = 0.0
        self._hover_runs: OrderedDict[tuple[str, str, bool], Activations] = OrderedDict()
        self._hover_text: OrderedDict[tuple[Any, ...], str | None] = OrderedDict()
        self.indexing = threading.Event()
        """Set while an index job runs."""

    # ----------------------------------------------------------------- settings

    def configure(self, settings: Settings) -> list[str]:
        """Apply new settings; returns the names of the settings that changed. A model or
        device change drops the loaded model (reloaded once, on next use)."""
        with self._lock:
            old, self.settings = self.settings, settings
            names = [a.name for a in attrs.fields(Settings) if getattr(old, a.name) != getattr(settings, a.name)]
            if "model" in names or "device" in names:
                self._runners.pop(old.model, None)
                if "device" in names:
                    self._runners.clear()
            if "storage_options" in names:
                set_storage_options(settings.storage_options)  # every later connection uses them
            if {"model", "device", "database_path", "storage_options"} & set(names):
                self._db, self._db_key = None, None
                self._db_missing_until = 0.0
                self._hover_runs.clear()
            self._hover_text.clear()  # k or the default layer may have changed
        if "cache_mb" in names:
            from exbert_ls.search.engine import set_cache_budget

            set_cache_budget(settings.cache_mb)
        return names

    def set_folders(self, folders: list[Path]) -> None:
        with self._lock:
            self.folders = folders
            self.root = folders[0] if folders else None
            self._db, self._db_key = None, None
            self._db_missing_until = 0.0

    def confinement(self) -> Confinement:
        return Confinement(tuple(self.folders), self.settings.allow_outside_workspace)

    def database_uri(self) -> str | None:
        """The database location; raises PathNotAllowedError where confinement forbids it."""
        uri = self.settings.database_uri(self.root)
        return None if uri is None else self.confinement().check_database(uri)

    def database_location(self) -> tuple[str | None, str | None]:
        """``(uri, why it is not allowed)``, for reports that must not fail (status)."""
        try:
            return self.database_uri(), None
        except PathNotAllowedError as exc:
            return self.settings.database_uri(self.root), str(exc)

    # -------------------------------------------------------------------- model

    def runner(self, name: str | None = None) -> ModelRunner:
        """The model runner for ``name`` (default: the configured model), loaded once."""
        settings = self.settings
        name = name or settings.model
        with self._lock:
            runner = self._runners.get(name)
            if runner is not None:
                self._runners.move_to_end(name)
                return runner
            load_lock = self._load_locks.setdefault(name, threading.Lock())
        with load_lock:  # concurrent first requests wait for one load
            with self._lock:
                if name in self._runners:
                    return self._runners[name]
            from exbert_ls.model.runner import ModelRunner

            log.info("loading model %s on %s", name, settings.device)
            runner = ModelRunner.load(name, device=settings.device)
            log.info(
                "loaded %s: %s, %d layers x %d heads",
                name,
                runner.info.model_type,
                runner.info.num_layers,
                runner.info.num_heads,
            )
            with self._lock:
                self._runners[name] = runner
                extras = [n for n in self._runners if n != self.settings.model]
                for stale in extras[: max(0, len(extras) - MAX_EXTRA_MODELS)]:
                    del self._runners[stale]
            return runner

    def loaded_runner(self) -> ModelRunner | None:
        with self._lock:
            return self._runners.get(self.settings.model)

    def annotator(self) -> SpacyAnnotator:
        with self._lock:
            if self._annotator is None:
                self._annotator = _SerialAnnotator()
            return self._annotator

    # ----------------------------------------------------------------- database

    def db(self) -> Any:
        """The corpus database opened for the configured model (cached). Raises
        CorpusNotFoundError or IndexMismatchError; a mismatch is also shown to the user once."""
        uri = self.database_uri()
        if uri is None:
            raise CorpusNotFoundError(
                "no corpus database: open a workspace folder or set exbert.databasePath, then run exbert.indexWorkspace"
            )
        runner = self.runner()
        key = (uri, runner.info.name)
        with self._lock:
            if self._db_key == key:
                return self._db
        from exbert_ls.store import CorpusDB

        check_readable_db(uri)  # opening a missing folder would create it
        try:
            db = CorpusDB.open(uri, runner=runner)
        except IndexMismatchError as exc:
            if key not in self._db_error_reported:
                self._db_error_reported.add(key)
                # the toast stays one short line; the paths and fingerprints go to the log
                log.info("index mismatch: %s", exc)
                try:
                    built_by = repr(CorpusDB.open(uri).meta.model)  # the meta alone: no model
                except ExbertError:
                    built_by = "another model"
                self._warn(
                    f"exBERT: the index was built by {built_by}, not {runner.info.name!r}: "
                    "select that model, or set another exbert.databasePath and index again"
                )
            raise
        with self._lock:
            self._db, self._db_key = db, key
        return db

    def db_or_none(self) -> Any:
        """The database, or None if there is none (or it belongs to another model). A miss
        is remembered for a few seconds, so hovers do not probe the disk every time."""
        if time.monotonic() < self._db_missing_until:
            return None
        try:
            return self.db()
        except (CorpusNotFoundError, IndexMismatchError, PathNotAllowedError):
            self._db_missing_until = time.monotonic() + MISSING_DB_RETRY_S
            return None

    def invalidate_db(self) -> None:
        with self._lock:
            self._db, self._db_key = None, None
            self._db_missing_until = 0.0
            self._hover_runs.clear()
            self._hover_text.clear()

    # -------------------------------------------------------------------- hover

    def hover_memo(self, key: tuple[Any, ...], compute: Callable[[], str | None]) -> str | None:
        """A hover's Markdown, cached per model, database state, sentence and word."""
        key = (self.settings.model, self._db_key, *key)
        with self._lock:
            if key in self._hover_text:
                self._hover_text.move_to_end(key)
                return self._hover_text[key]
        markdown = compute()
        with self._lock:
            self._hover_text[key] = markdown
            while len(self._hover_text) > HOVER_CACHE_SIZE:
                self._hover_text.popitem(last=False)
        return markdown

    def hover_run(self, text: str, *, contexts: bool) -> Activations:
        """Activations of a sentence, cached by model and text."""
        runner = self.runner()
        key = (runner.info.name, text, contexts)
        with self._lock:
            cached = self._hover_runs.get(key)
            if cached is not None:
                self._hover_runs.move_to_end(key)
                return cached
        acts = runner.run(text, contexts=contexts)
        with self._lock:
            self._hover_runs[key] = acts
            while len(self._hover_runs) > HOVER_CACHE_SIZE:
                self._hover_runs.popitem(last=False)
        return acts
