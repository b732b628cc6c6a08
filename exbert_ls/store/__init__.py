"""Corpus database: annotated contextual vectors of every layer in LanceDB (docs/index.md).

Names are imported lazily, so ``exbert --help`` does not load torch or LanceDB.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SCHEMA_VERSION": "exbert_ls.store.schema",
    "IndexMeta": "exbert_ls.store.schema",
    "CorpusDB": "exbert_ls.store.db",
    "index_paths": "exbert_ls.store.indexer",
    "IndexConfig": "exbert_ls.store.report",
    "IndexProgress": "exbert_ls.store.report",
    "IndexReport": "exbert_ls.store.report",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'exbert_ls.store' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
