"""Corpus database: annotated contextual vectors of every layer in LanceDB (docs/index.md)."""

from exbert_ls.store.db import CorpusDB
from exbert_ls.store.default_corpus import default_corpus_paths
from exbert_ls.store.indexer import index_paths
from exbert_ls.store.report import IndexConfig, IndexProgress, IndexReport
from exbert_ls.store.schema import SCHEMA_VERSION, IndexMeta

__all__ = [
    "SCHEMA_VERSION",
    "CorpusDB",
    "IndexConfig",
    "IndexMeta",
    "IndexProgress",
    "IndexReport",
    "default_corpus_paths",
    "index_paths",
]
