"""How readers (search, heads, verify) read the store: the one place that knows LanceDB's
scan and offset API and the one definition of a *live* document.

A document is **live** when its ``documents`` row is ``indexed`` and its data rows carry the
hash that row names: rows still being written (``pending``), left by a killed writer, or of a
document marked ``damaged`` are never served. Readers take no lock; LanceDB commits are
atomic, so a reader sees a whole version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa

from exbert_ls.errors import DatabaseDamagedError
from exbert_ls.store.schema import INDEXED, IndexMeta

if TYPE_CHECKING:
    from exbert_ls.model.runner import ModelRunner


class CorpusReader(Protocol):
    """What readers may use of a corpus database (:class:`~exbert_ls.store.db.CorpusDB` is
    one): its identity, its version, and its tables, read only through this module's functions
    (``scan``, ``rows_at``) so LanceDB's API stays in the store."""

    uri: str
    meta: IndexMeta

    @property
    def tokens(self) -> Any: ...
    @property
    def sentences(self) -> Any: ...
    @property
    def documents(self) -> Any: ...
    @property
    def head_stats(self) -> Any: ...
    def version(self) -> int: ...
    def check_runner(self, runner: ModelRunner) -> None: ...


def scan(table: Any, columns: list[str], where: str | None = None) -> pa.Table:
    """``columns`` of every row (scan order); a damaged table is a :class:`DatabaseDamagedError`."""
    try:
        query = table.search().select(columns).limit(None)
        return (query.where(where) if where else query).to_arrow()
    except (OSError, RuntimeError, ValueError) as exc:  # lance: a truncated or missing data file
        raise DatabaseDamagedError(
            f"table {getattr(table, 'name', '?')!r} of the corpus database cannot be read "
            f"({str(exc).splitlines()[0][:160]}); run `exbert verify --repair` then `exbert index`"
        ) from exc


def live_documents(db: CorpusReader) -> set[tuple[str, str]]:
    """``(doc, hash)`` of every live document."""
    docs = scan(db.documents, ["doc", "hash", "status"]).to_pydict()
    return {(d, h) for d, h, s in zip(docs["doc"], docs["hash"], docs["status"]) if s == INDEXED}


def live_sentence_ids(db: CorpusReader) -> np.ndarray:
    """Ids of the sentences of live documents (written with the hash the document is live at)."""
    live = live_documents(db)
    sents = scan(db.sentences, ["sentence", "doc", "doc_hash"]).to_pydict()
    ids = [s for s, d, h in zip(sents["sentence"], sents["doc"], sents["doc_hash"]) if (d, h) in live]
    return np.array(ids, dtype=np.int64)


def live_head_stats(db: CorpusReader) -> list[str]:
    """The ``stats_json`` of each live document's head_stats row."""
    live = live_documents(db)
    rows = scan(db.head_stats, ["doc", "doc_hash", "stats_json"]).to_pydict()
    return [j for d, h, j in zip(rows["doc"], rows["doc_hash"], rows["stats_json"]) if (d, h) in live]


def rows_at(table: Any, offsets: list[int], columns: list[str]) -> tuple[pa.Table, np.ndarray]:
    """``(rows, their offsets)`` of the rows at scan ``offsets`` (sorted, unique) of ``table``,
    with ``sentence`` and ``position`` added so the caller can check they are the rows it meant."""
    rows = table.take_offsets(offsets).select([*columns, "sentence", "position", "_rowoffset"]).to_arrow()
    return rows, rows.column("_rowoffset").to_numpy().astype(np.int64)
