"""numpy's BLAS on one thread while an index is built (store/blas.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_index_incremental import write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import index_paths


def test_indexing_runs_numpys_blas_on_one_thread_and_restores_it(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator, monkeypatch
) -> None:
    """The row code's small products ran on OpenBLAS's own spinning threads beside torch's
    (store/blas.py): inside a run they get one thread, after it the setting is back."""
    from threadpoolctl import threadpool_info

    from exbert_ls.store.rows import RowBuffer

    def openblas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]

    before = openblas_threads()
    if not before:
        pytest.skip("numpy is not linked against OpenBLAS here")
    seen: list[list[int]] = []
    real_seal = RowBuffer.seal

    def seal(self):  # type: ignore[no-untyped-def]
        seen.append(openblas_threads())
        return real_seal(self)

    monkeypatch.setattr(RowBuffer, "seal", seal)
    write_corpus(tmp_path / "c", docs=1)
    index_paths([tmp_path / "c"], str(tmp_path / "db"), tiny_runners["bert"], annotator=annotator)
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert openblas_threads() == before
