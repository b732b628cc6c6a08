"""Open, create and check a corpus database (LanceDB; a local directory or an object-store URI).

The URI is handed to ``lancedb.connect`` untouched (never through ``pathlib``), so
``s3://bucket/index`` works like a local folder.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import lancedb
import pyarrow as pa

from exbert_ls.errors import CorpusNotFoundError, IndexMismatchError
from exbert_ls.store.schema import (
    DATA_TABLES,
    DOCUMENTS,
    HEAD_STATS,
    META,
    PENDING,
    SCHEMA_VERSION,
    SENTENCES,
    TOKENS,
    WRITABLE_LAYOUTS,
    IndexMeta,
    documents_schema,
    head_stats_schema,
    meta_schema,
    sentences_schema,
    tokenizer_id,
    tokens_schema,
)
from exbert_ls.store.storage import is_object_uri, storage_options, unreachable

if TYPE_CHECKING:  # torch stays unloaded: opening a database for reading needs no model
    from exbert_ls.model.runner import ModelRunner


@dataclass(frozen=True)
class DocState:
    """What the ``documents`` table says about one document."""

    hash: str
    status: str
    reason: str
    sentences: int
    tokens: int


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')`` for a SQL ``IN`` predicate (single quotes doubled)."""
    quoted = ["'" + v.replace("'", "''") + "'" for v in values]
    return "(" + ", ".join(quoted) + ")"


def _connect(uri: str) -> Any:
    # Every read checks for commits by other processes: a server reads while the CLI writes.
    options = storage_options(uri) or None
    try:
        return lancedb.connect(uri, read_consistency_interval=timedelta(0), storage_options=options)
    except (RuntimeError, OSError, ValueError) as exc:
        if is_object_uri(uri):  # connecting resolves the bucket's region: the first request
            raise unreachable(uri, exc) from exc
        raise


_fingerprints: weakref.WeakKeyDictionary[ModelRunner, str] = weakref.WeakKeyDictionary()


def _fingerprint(runner: ModelRunner) -> str:
    """``runner.fingerprint()``, computed once per loaded model (it reads every parameter)."""
    if runner not in _fingerprints:
        _fingerprints[runner] = runner.fingerprint()
    return _fingerprints[runner]


class CorpusDB:
    """A corpus database: the five tables plus the identity of the model that built it."""

    def __init__(self, conn: Any, uri: str, meta: IndexMeta) -> None:
        self.uri = uri
        self.meta = meta
        self._conn = conn
        self._tables: dict[str, Any] = {}

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, uri: str, *, runner: ModelRunner | None = None) -> CorpusDB:
        """Open an existing index. With ``runner``, refuse one built by another model."""
        conn = _connect(uri)
        if META not in _table_names(conn, uri):
            raise CorpusNotFoundError(f"no corpus index at {uri!r}: run `exbert index --db {uri}` first")
        rows = conn.open_table(META).to_arrow().to_pylist()
        if not rows:
            raise CorpusNotFoundError(f"the corpus index at {uri!r} has no meta row (incomplete creation)")
        db = cls(conn, uri, IndexMeta.from_row(rows[0]))
        if runner is not None:
            db.check_runner(runner)
        return db

    @classmethod
    def create_or_open(cls, uri: str, runner: ModelRunner, spacy_model: str) -> CorpusDB:
        """Open the index at ``uri`` for writing with ``runner``, creating it if absent.

        The ``meta`` row is written last, so its presence means every table exists.
        """
        conn = _connect(uri)
        if META in _table_names(conn, uri):
            db = cls.open(uri, runner=runner)
            db._record_spacy_model(spacy_model)
            return db
        meta = IndexMeta.for_runner(runner, spacy_model)
        schemas = {
            DOCUMENTS: documents_schema(),
            SENTENCES: sentences_schema(),
            TOKENS: tokens_schema(meta),
            HEAD_STATS: head_stats_schema(),
        }
        for name, schema in schemas.items():
            conn.create_table(name, schema=schema, exist_ok=True)
        conn.create_table(META, data=meta.to_table(), schema=meta_schema())
        return cls(conn, uri, meta)

    def check_runner(self, runner: ModelRunner) -> None:
        """The one model-identity check (index, search, the server): ``runner`` must be the model
        that built this index — same shape, same weights, same tokenizer — and the index must be of
        this storage layout; else one :class:`IndexMismatchError` naming every difference."""
        meta = self.meta
        if meta.schema_version not in WRITABLE_LAYOUTS:
            raise IndexMismatchError(
                f"the index at {self.uri!r} has storage layout {meta.schema_version}; this exbert-ls uses "
                f"layout {SCHEMA_VERSION} (int8 vectors with a scale per row): re-index it "
                f"(`exbert index --db NEW_FOLDER ...`, or delete {self.uri!r} and index again)"
            )
        problems = []
        if runner.info.num_layers != meta.num_layers or runner.info.num_heads != meta.num_heads:
            problems.append(
                f"model {runner.info.name!r} has {runner.info.num_layers} layers x {runner.info.num_heads} heads, "
                f"the index {meta.num_layers} x {meta.num_heads}"
            )
        fingerprint = _fingerprint(runner)
        if meta.model_fingerprint != fingerprint:
            problems.append(
                f"model {runner.info.name!r} (fingerprint {fingerprint}) differs from the one that built it"
            )
        if meta.tokenizer != tokenizer_id(runner):
            problems.append(f"tokenizer {tokenizer_id(runner)} differs from {meta.tokenizer}")
        if problems:
            raise IndexMismatchError(
                f"the index at {self.uri!r} was built by model {meta.model!r} "
                f"({meta.model_source}, fingerprint {meta.model_fingerprint}); "
                + "; ".join(problems)
                + f". Use --model {meta.model} or index into another --db."
            )

    def _record_spacy_model(self, spacy_model: str) -> None:
        """Note a new annotation source (e.g. text files added to a CoNLL-U-only index)."""
        known = self.meta.spacy_model.split("+")
        added = [part for part in spacy_model.split("+") if part and part not in known]
        if not added:
            return
        value = "+".join([*filter(None, known), *added])
        self.table(META).update(values={"spacy_model": value})
        self.meta = IndexMeta.from_row({**self.meta.__dict__, "spacy_model": value})

    # ------------------------------------------------------------------- tables

    def table(self, name: str) -> Any:
        if name not in self._tables:
            self._tables[name] = self._conn.open_table(name)
        return self._tables[name]

    @property
    def tokens(self) -> Any:
        return self.table(TOKENS)

    @property
    def sentences(self) -> Any:
        return self.table(SENTENCES)

    @property
    def documents(self) -> Any:
        return self.table(DOCUMENTS)

    @property
    def head_stats(self) -> Any:
        return self.table(HEAD_STATS)

    def num_tokens(self) -> int:
        return int(self.tokens.count_rows())

    def version(self) -> int:
        """Changes on every committed write (the sum of the tables' version numbers)."""
        return sum(int(self.table(name).version) for name in (META, DOCUMENTS, *DATA_TABLES))

    # -------------------------------------------------------------- documents

    def document_states(self) -> dict[str, DocState]:
        rows = self.documents.search().select(list(documents_schema().names)).to_arrow().to_pylist()
        return {
            r["doc"]: DocState(r["hash"], r["status"], r["reason"] or "", r["sentences"], r["tokens"]) for r in rows
        }

    def upsert_documents(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace ``documents`` rows by ``doc``: one atomic commit."""
        if not rows:
            return
        data = pa.Table.from_pylist(rows, schema=documents_schema())
        (self.documents.merge_insert("doc").when_matched_update_all().when_not_matched_insert_all().execute(data))

    def delete_rows(self, docs: Iterable[str]) -> None:
        """Delete the data rows (tokens, sentences, head_stats) of ``docs``."""
        for batch in _batches(sorted(set(docs)), 500):
            predicate = f"doc IN {sql_list(batch)}"
            for name in DATA_TABLES:
                self.table(name).delete(predicate)

    def drop_documents(self, docs: Iterable[str]) -> None:
        """Remove documents entirely, crash-safely: mark pending, delete rows, delete the mark."""
        docs = sorted(set(docs))
        if not docs:
            return
        for batch in _batches(docs, 500):
            self.documents.update(where=f"doc IN {sql_list(batch)}", values={"status": PENDING})
        self.delete_rows(docs)
        for batch in _batches(docs, 500):
            self.documents.delete(f"doc IN {sql_list(batch)}")

    def recover(self) -> list[str]:
        """Finish what a killed or cancelled run left: drop every ``pending`` document's rows.

        Returns the documents dropped (they are indexed again by the run that called this).
        """
        pending = [doc for doc, state in self.document_states().items() if state.status == PENDING]
        self.drop_documents(pending)
        return pending


def _table_names(conn: Any, uri: str) -> list[str]:
    try:
        result = conn.list_tables()
    except (RuntimeError, OSError, ValueError) as exc:
        if is_object_uri(uri):  # the first request to the store: no endpoint, credentials, server...
            raise unreachable(uri, exc) from exc
        raise
    names = getattr(result, "tables", result)
    return list(names)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]
