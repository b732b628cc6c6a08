"""End-to-end fixtures: the real ``exbert-ls`` process driven over stdio by pytest-lsp,
configured with the tiny random models of tests/conftest.py (fast to load).

``client`` is one server per test module (tests there must not change its settings);
``fresh_client`` is one server per test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, start
from pytest_lsp import LanguageClient


def _options(model: Path, db: Path) -> dict:
    return {"exbert": {"model": str(model), "databasePath": str(db), "preload": False}}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ws")


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, tiny_model_dirs: dict[str, Path], workspace: Path):
    """A server on the tiny masked-LM BERT, its database in ``workspace/.db``, not preloading."""
    await start(lsp_client, workspace, _options(tiny_model_dirs["bert"], workspace / ".db"))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def fresh_client(lsp_client: LanguageClient, tiny_model_dirs: dict[str, Path], tmp_path: Path):
    folder = tmp_path / "ws"
    folder.mkdir()
    # the workspace is tmp_path: the database and the corpora tests write there are inside it
    await start(lsp_client, tmp_path, _options(tiny_model_dirs["bert"], tmp_path / "db"))
    yield
    await lsp_client.shutdown_session()
