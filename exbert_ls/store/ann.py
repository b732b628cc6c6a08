"""LanceDB ANN indexes on the vector columns, only for tables too big to search exactly.

Schema version 2 stores int8 codes (:mod:`exbert_ls.store.quantize`), and LanceDB builds no
vector index on an integer column (IVF_PQ / IVF_HNSW_SQ refuse ``FixedSizeList(Int8)``): those
tables are searched by the block scan, and from :data:`ANN_MIN_ROWS` rows through the search
engine's own in-memory IVF over the codes (``search/ivf.py``), which needs nothing here. What follows applies to version-1
tables (float16 columns), which keep and refresh the indexes they have.

Small tables are searched exactly in numpy (a column loaded once: ~4 ms at 119 k rows), so a
corpus is searchable as soon as its rows are committed. From ``ANN_MIN_ROWS`` rows on, each
vector column gets an ``IVF_HNSW_SQ`` index with cosine distance (``../shared/GUIDE.md`` §7:
recall@50 1.000 at 119 k and 0.995 at 1 M with ``ef=300``, ``refine_factor=5``; builds faster
than IVF_PQ on float16 columns). Later runs fold new rows into the existing indexes with
``optimize()`` instead of rebuilding them.
"""

from __future__ import annotations

import time
from typing import Any

import pyarrow as pa
from lancedb.index import IvfHnswSq

from exbert_ls.store.report import AnnMode
from exbert_ls.store.schema import vector_columns

ANN_MIN_ROWS = 300_000
"""Below this many token rows, exact search is fast enough and needs no build time."""
ROWS_PER_PARTITION = 262_144
"""IVF partitions: about one per this many rows (LanceDB's own rule of thumb is 1 M)."""


def index_config(rows: int) -> IvfHnswSq:
    return IvfHnswSq(distance_type="cosine", num_partitions=max(1, rows // ROWS_PER_PARTITION))


def is_float_column(kind: pa.DataType) -> bool:
    """A vector column LanceDB can index (float16/32 lists; not the int8 codes)."""
    return bool(pa.types.is_floating(kind.value_type))


def indexed_columns(table: Any) -> set[str]:
    return {column for idx in table.list_indices() for column in idx.columns}


def refresh_vector_indexes(table: Any, num_layers: int, mode: AnnMode) -> tuple[str, float]:
    """Build missing indexes / fold new rows into existing ones. ``(what happened, seconds)``."""
    rows = int(table.count_rows())
    columns = [column for column in vector_columns(num_layers) if column in table.schema.names]  # no hs0 in 3
    if not is_float_column(table.schema.field(columns[0]).type):
        return f"none (exact int8 scan; {rows:,} rows; LanceDB indexes need float columns)", 0.0
    existing = indexed_columns(table)
    if mode == "never" or (mode == "auto" and rows < ANN_MIN_ROWS and not existing):
        return f"none (exact search; {rows:,} rows, ANN from {ANN_MIN_ROWS:,})", 0.0
    began = time.perf_counter()
    built = []
    for column in columns:
        if column not in existing:
            table.create_index(column, config=index_config(rows), replace=True)
            built.append(column)
    if existing:
        table.optimize()
    seconds = time.perf_counter() - began
    what = f"built IVF_HNSW_SQ on {len(built)} columns" if built else "refreshed"
    return f"{what} ({rows:,} rows, {seconds:.1f} s)", seconds
