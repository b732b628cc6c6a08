"""``exbert verify``'s library half: check every table can be read, check the invariants, repair.

Repair (run with the writer lock held, so no writer is mid-run):

* a table that cannot be read is restored to its newest readable version (LanceDB
  ``checkout(v)`` + ``restore()``), and the documents whose rows it lost are then damaged;
* rows of documents that are not ``indexed`` (orphans), and every row of a document with
  duplicate or missing rows, are deleted; such documents are marked ``damaged``, so the next
  ``exbert index`` re-indexes them whatever their hash.

:func:`trust_counts` is the cheap half ``exbert index`` runs itself on every start.
"""

from __future__ import annotations

from typing import Any

from exbert_ls.errors import DatabaseDamagedError
from exbert_ls.payloads.verify import VerifyResult
from exbert_ls.store.db import CorpusDB, DocState, sql_list
from exbert_ls.store.schema import DAMAGED, DATA_TABLES, DOCUMENTS, INDEXED, META, PENDING
from exbert_ls.store.verify import _scan, row_counts, verify

_TABLES = (META, DOCUMENTS, *DATA_TABLES)


def _readable(table: Any) -> str | None:
    """None if every row of ``table`` can be scanned (cheap columns), else the reason."""
    try:
        columns = ["doc"] if "doc" in table.schema.names else [table.schema.names[0]]
        _scan(table, columns)
        table.count_rows()
    except Exception as exc:  # lance raises RuntimeError/OSError/ValueError for damaged files
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return None


def unreadable_tables(db: CorpusDB) -> dict[str, str]:
    out = {}
    for name in _TABLES:
        try:
            reason = _readable(db.table(name))
        except Exception as exc:  # the table cannot even be opened (manifest gone)
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if reason:
            out[name] = reason
    return out


def require_readable(db: CorpusDB) -> None:
    """Raise :class:`DatabaseDamagedError` naming the first unreadable table and the fix."""
    bad = unreadable_tables(db)
    if bad:
        name, reason = next(iter(bad.items()))
        raise DatabaseDamagedError(
            f"table {name!r} of the database {db.uri!r} cannot be read ({reason}); "
            f"run `exbert verify --repair --db {db.uri}` then `exbert index` again"
        )


def check(db: CorpusDB) -> VerifyResult:
    bad = unreadable_tables(db)
    unreadable = [f"{name}: {reason}" for name, reason in bad.items()]
    problems = [] if bad else verify(db)
    return VerifyResult(database=db.uri, consistent=not bad and not problems, problems=problems, unreadable=unreadable)


def _restore(table: Any) -> str | None:
    """Restore ``table`` to its newest readable version; what was done, None if impossible."""
    versions = sorted((int(v["version"]) for v in table.list_versions()), reverse=True)
    for version in versions[1:]:
        try:
            table.checkout(version)
            if _readable(table) is None:
                table.restore()
                return f"restored version {version} of {table.name} (newest readable of {versions[0]})"
        except Exception:  # this version is damaged too: try an older one
            continue
    return None


def repair(db: CorpusDB) -> VerifyResult:
    """Repair ``db`` (the caller holds the writer lock) and check it again."""
    before = check(db)
    done: list[str] = []
    for name in unreadable_tables(db):
        action = _restore(db.table(name))
        if action is None:
            raise DatabaseDamagedError(
                f"table {name!r} of {db.uri!r} has no readable version: delete the database and index again"
            )
        done.append(action)
        db._tables.pop(name, None)
    states = db.document_states()
    live = {doc for doc, s in states.items() if s.status == INDEXED}
    tokens, sentences, stats = row_counts(db.tokens), row_counts(db.sentences), row_counts(db.head_stats)
    orphans = sorted(
        (set(tokens) | set(sentences) | set(stats)) - live - {d for d, s in states.items() if s.status == PENDING}
    )
    damaged = sorted(
        doc
        for doc in live
        if (tokens.get(doc, 0), sentences.get(doc, 0), stats.get(doc, 0))
        != (states[doc].tokens, states[doc].sentences, 1)
    )
    damaged += sorted(set(_duplicate_docs(db)) - set(damaged))
    if orphans:
        db.delete_rows(orphans)
        done.append(f"deleted the rows of {len(orphans)} documents not indexed")
    if damaged:
        db.documents.update(where=f"doc IN {sql_list(damaged)}", values={"status": DAMAGED, "reason": "repair"})
        db.delete_rows(damaged)
        done.append(f"marked {len(damaged)} documents damaged (re-indexed by the next `exbert index`)")
    after = check(db)
    after.problems = [*(f"(fixed) {p}" for p in before.problems + before.unreadable if done), *after.problems]
    after.consistent = not after.unreadable and not verify(db)
    after.repaired, after.reindex = done, damaged
    return after


def _duplicate_docs(db: CorpusDB) -> list[str]:
    t = _scan(db.tokens, ["doc", "sentence", "position"])
    pairs = t.group_by(["doc", "sentence", "position"]).aggregate([([], "count_all")])
    dup = pairs.filter(pairs["count_all"].to_numpy() > 1) if pairs.num_rows else pairs
    return sorted(set(dup["doc"].to_pylist()))


def trust_counts(db: CorpusDB, known: dict[str, DocState]) -> dict[str, DocState]:
    """``exbert index``'s cheap count check before it skips a document as unchanged: ``known``
    with every ``indexed`` document whose rows do not match its counts marked as damaged, so it
    is re-indexed even though its hash is unchanged (a lost fragment, a rolled back manifest).
    One scan of the ``doc`` columns: cheap beside the vectors."""
    tokens, sentences = row_counts(db.tokens), row_counts(db.sentences)
    out = {}
    for doc, state in known.items():
        if state.status == INDEXED and (tokens.get(doc, 0), sentences.get(doc, 0)) != (state.tokens, state.sentences):
            state = DocState(state.hash, DAMAGED, "row counts differ", state.sentences, state.tokens)
        out[doc] = state
    return out
