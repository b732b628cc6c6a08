"""End-to-end fixtures: the real ``exbert-ls`` process driven over stdio by pytest-lsp,
configured with the tiny random models of tests/conftest.py (fast to load)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, start
from pytest_lsp import LanguageClient


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, tiny_model_dirs: dict[str, Path], workspace: Path, tmp_path: Path):
    """A server on the tiny masked-LM BERT, its database in a temp folder, not preloading."""
    await start(
        lsp_client,
        workspace,
        {"exbert": {"model": str(tiny_model_dirs["bert"]), "databasePath": str(tmp_path / "db"), "preload": False}},
    )
    yield
    await lsp_client.shutdown_session()


