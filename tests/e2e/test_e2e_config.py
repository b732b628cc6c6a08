"""Settings at work: background preload, a database built by another model, TCP transport."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import SERVER, command, index, start, write_corpus
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, make_test_lsp_client


@pytest_lsp.fixture(config=SERVER)
async def preloading_client(lsp_client: LanguageClient, tiny_model_dirs: dict[str, Path], tmp_path: Path):
    options = {"model": str(tiny_model_dirs["bert"]), "databasePath": str(tmp_path / "db")}  # the bare section
    await start(lsp_client, tmp_path, options)
    yield
    await lsp_client.shutdown_session()


async def test_preload_after_initialized(preloading_client: LanguageClient, tiny_model_dirs):
    for _ in range(300):
        status = await command(preloading_client, "exbert.status")
        if status["model_loaded"]:
            break
        await asyncio.sleep(0.1)
    assert status["model_loaded"] and status["model"] == str(tiny_model_dirs["bert"])


async def test_database_of_another_model_is_reported(fresh_client: LanguageClient, tiny_model_dirs, tmp_path):
    client = fresh_client
    report = await index(client, *write_corpus(tmp_path / "small", files=2, sentences_per_file=3))
    assert len(report["indexed"]) == 2
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"exbert": {"model": str(tiny_model_dirs["distilbert"])}})
    )
    with pytest.raises(JsonRpcException) as caught:
        await command(client, "exbert.search", {"text": "The cat sat.", "token": 2, "layer": 1})
    assert caught.value.code == -32011 and "was built by model" in caught.value.message
    # window/showMessage: one short line, no paths of the index or fingerprints
    (shown,) = [m.message for m in client.messages if "the index was built by" in m.message]
    assert f"not {str(tiny_model_dirs['distilbert'])!r}" in shown and "fingerprint" not in shown
    status = await command(client, "exbert.status")
    assert status["database"]["error"].startswith("index built by")
    explained = await command(client, "exbert.explain", {"text": "Explain still works."})
    assert explained["model"]["model_type"] == "distilbert"


async def test_invalid_settings_are_shown_and_ignored(fresh_client: LanguageClient, tiny_model_dirs):
    client = fresh_client
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"exbert": {"k": "many"}}))
    status = await command(client, "exbert.status")
    assert status["settings"]["k"] == 50 and status["model"] == str(tiny_model_dirs["bert"])
    assert any("k: expected an integer" in m.message for m in client.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_tcp_transport(tmp_path):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "exbert_ls.server", "--tcp", f"127.0.0.1:{port}"])
    client = make_test_lsp_client()
    try:
        for _ in range(100):
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        result = await client.initialize_session(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=tmp_path.as_uri())
        )
        assert "exbert.explain" in result.capabilities.execute_command_provider.commands
        assert result.capabilities.hover_provider
        status = await command(client, "exbert.status")
        assert status["schema"] == "exbert.status/1"
        await client.shutdown_session()
    finally:
        await client.stop()
        server.terminate()
        server.wait(timeout=10)


async def test_stray_prints_do_not_corrupt_the_stream(tmp_path):
    """A library printing to stdout (fd 1) must not break the LSP framing."""
    script = tmp_path / "noisy_server.py"
    script.write_text(
        "import os, sys\n"
        "from exbert_ls.server import app\n"
        "from exbert_ls.server.__main__ import main\n"
        "real = app.handlers.status\n"
        "def noisy(state):\n"
        "    print('progress 50%', end='', flush=True)\n"  # glued to the next header without the fix
        "    os.write(1, b'C-level chatter on fd 1')\n"
        "    return real(state)\n"
        "app.handlers.status = noisy\n"
        "sys.exit(main([]))\n"
    )
    client = make_test_lsp_client()
    await client.start_io(sys.executable, str(script))
    try:
        await client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
        for _ in range(2):
            status = await asyncio.wait_for(command(client, "exbert.status"), 60)
            assert status["schema"] == "exbert.status/1"
        await client.shutdown_session()
    finally:
        await client.stop()


@pytest_lsp.fixture(config=SERVER)
async def default_db_client(lsp_client: LanguageClient, tiny_model_dirs: dict[str, Path], tmp_path: Path):
    folder = tmp_path / "ws"
    write_corpus(folder, files=2, sentences_per_file=2)
    await start(lsp_client, folder, {"exbert": {"model": str(tiny_model_dirs["bert"]), "preload": False}})
    yield folder
    await lsp_client.shutdown_session()


async def test_workspace_index_in_the_default_location(default_db_client: LanguageClient, tmp_path):
    client, folder = default_db_client, tmp_path / "ws"
    first = await index(client)  # no paths: the workspace folders
    assert len(first["indexed"]) == 2 and first["database"] == str((folder / ".exbert" / "index").resolve())
    second = await index(client)
    assert len(second["unchanged"]) == 2
    assert not [doc for doc, _ in second["skipped"] if ".exbert" in doc]  # its own files are not walked
    assert (folder / ".exbert" / ".gitignore").read_text().strip().endswith("*")
