"""numpy's BLAS on one thread while an index is built.

numpy's OpenBLAS keeps a pool of spinning threads of its own beside torch's OpenMP pool. The
row code multiplies small matrices between model batches (a sentence's vectors by the stored
rotation, attention by word masks): on 2 cores, OpenBLAS's 2 threads spun against torch's 2
and indexing 30 kB of the Wizard of Oz took twice the CPU time (30.2 -> 15.5 CPU s, load 5,
docs/benchmarks.md "Indexing"). Products this small gain nothing from threads anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """numpy's OpenBLAS limited to one thread inside the block (process-wide; torch's own
    threads are not touched: its BLAS is linked into libtorch, not OpenBLAS)."""
    from threadpoolctl import ThreadpoolController  # scans the loaded libraries: only when indexing

    with ThreadpoolController().select(internal_api="openblas").limit(limits=1):
        yield
