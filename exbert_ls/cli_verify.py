"""``exbert verify [--db D] [--repair] [--json]``: check (and repair) a corpus database.

Exit 0: consistent; 1: problems found (listed; after ``--repair``: some remain); 2: cannot run
(no database, a table beyond repair, another writer holds the database for ``--repair``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from exbert_ls.errors import CorpusNotFoundError, DatabaseDamagedError
from exbert_ls.store.storage import add_storage_argument


def add_verify_parser(sub: argparse._SubParsersAction, default_db: str) -> None:
    p = sub.add_parser("verify", help="check a corpus database's invariants (--repair fixes what it can)")
    p.add_argument("--db", default=None, help=f"database directory or URI (default $EXBERT_DB or {default_db})")
    p.add_argument("--repair", action="store_true", help="restore unreadable tables, delete bad rows, mark re-index")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_storage_argument(p)
    p.set_defaults(handler=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    from exbert_ls.cli_index import default_db_uri
    from exbert_ls.payloads.codec import to_wire
    from exbert_ls.store.db import CorpusDB
    from exbert_ls.store.lock import is_local, writer_lock
    from exbert_ls.store.repair import check, repair

    uri = default_db_uri(args.db)
    if is_local(uri) and not os.path.isdir(uri):
        raise CorpusNotFoundError(f"no corpus index at {uri!r}")
    try:
        db = CorpusDB.open(uri)
    except CorpusNotFoundError:
        raise
    except Exception as exc:  # the meta table itself is damaged
        raise DatabaseDamagedError(
            f"the database {uri!r} cannot be opened ({type(exc).__name__}: {str(exc)[:200]}); "
            "delete it and run `exbert index` again"
        ) from exc
    if args.repair:
        with writer_lock(uri):
            result = repair(db)
    else:
        result = check(db)
    if args.json:
        print(json.dumps(to_wire(result)))
    else:
        print(f"verify: {uri}: {'consistent' if result.consistent else 'PROBLEMS'}")
        for line in result.unreadable:
            print(f"  unreadable table {line}")
        for line in result.problems:
            print(f"  {line}")
        for line in result.repaired:
            print(f"  repaired: {line}")
        if result.unreadable and not args.repair:
            print(f"  fix: exbert verify --repair --db {uri}", file=sys.stderr)
    return 0 if result.consistent else 1
