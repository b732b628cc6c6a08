"""Fault tests (issue 10, items 4, 5 and 3) against the real ``exbert-ls`` over stdio, spoken
to byte by byte: each bad message or request gets the right JSON-RPC error, one log line at
most, and the server answers the next request."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edges_support import ENV, RawLsp


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("confine")
    ws, outside = root / "ws", root / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("The secret password is swordfish.\n", encoding="utf-8")
    (ws / "link.txt").symlink_to(outside / "secret.txt")  # a link inside pointing outside
    (ws / "mine.txt").write_text("The cat sat on the mat.\n", encoding="utf-8")
    return {"root": root, "ws": ws, "outside": outside}


@pytest.fixture(scope="module")
def server(tiny_model_dirs: dict[str, Path], layout: dict[str, Path]):
    lsp = RawLsp(layout["root"])
    options = {"exbert": {"model": str(tiny_model_dirs["bert"]), "preload": False}}
    lsp.initialize(layout["ws"], options)
    yield lsp
    lsp.close()


def still_answers(server: RawLsp) -> None:
    ok = server.command("exbert.explain", {"text": "Still answering."})
    assert ok["result"]["schema"] == "exbert.explain/1", ok


def error_of(response: dict) -> dict:
    assert "error" in response, response
    return response["error"]


def test_malformed_json_gets_parse_error(server: RawLsp):
    server.send_body(b'{"jsonrpc": "2.0", "id": 99, "method": ')
    error = error_of(server.response(None))
    assert error["code"] == -32700 and error["message"].startswith("Parse error")
    still_answers(server)


def test_json_that_is_no_message_gets_invalid_request(server: RawLsp):
    server.send_body(b"[1, 2, 3]")
    assert error_of(server.response(None))["code"] == -32600
    server.send_body(b'{"jsonrpc": "2.0", "id": 41, "method": "textDocument/hover", "params": {"bogus": 1}}')
    assert error_of(server.response(41))["code"] == -32600  # answered, not left waiting
    still_answers(server)


def test_lone_surrogate_is_replaced(server: RawLsp):
    body = b'{"jsonrpc": "2.0", "id": 77, "method": "workspace/executeCommand", "params": '
    body += b'{"command": "exbert.explain", "arguments": [{"text": "The \\ud800 cat."}]}}'
    server.send_body(body)
    result = server.response(77)["result"]
    assert result["text"] == "The \ufffd cat."
    still_answers(server)


def test_over_long_text_is_refused_quickly(server: RawLsp):
    text = "All work and no play makes Jack a dull boy. " * 220_000  # 9.7 MB
    still_answers(server)  # the model is loaded: what follows measures the refusal alone
    started = time.monotonic()
    error = error_of(server.command("exbert.explain", {"text": text}))
    elapsed = time.monotonic() - started
    assert error["code"] == -32602 and error["data"]["error"] == "InputTooLongError"
    assert "characters long" in error["message"]
    print(f"9.7 MB explain refused in {elapsed * 1000:.0f} ms (round trip, JSON included)")
    still_answers(server)


def test_files_outside_the_workspace_are_refused(server: RawLsp, layout: dict[str, Path]):
    for path in (layout["outside"] / "secret.txt", layout["ws"] / "link.txt", Path("/etc/shadow")):
        error = error_of(server.command("exbert.explain", {"uri": path.as_uri()}))
        assert error["code"] == -32014, error
        assert "exbert.allowOutsideWorkspace" in error["message"]
        assert "swordfish" not in str(error)
    inside = server.command("exbert.explain", {"uri": (layout["ws"] / "mine.txt").as_uri()})
    assert inside["result"]["text"].startswith("The cat")


def test_hover_outside_the_workspace_answers_nothing(server: RawLsp, layout: dict[str, Path]):
    uri = (layout["outside"] / "secret.txt").as_uri()
    hover = server.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}}
    )
    assert hover.get("result") is None and "error" not in hover


def test_an_opened_document_outside_the_workspace_is_allowed(server: RawLsp, layout: dict[str, Path]):
    uri = (layout["outside"] / "opened.txt").as_uri()  # the client sends the text: nothing is read
    item = {"uri": uri, "languageId": "plaintext", "version": 1, "text": "Opened by the user."}
    server.send("textDocument/didOpen", {"textDocument": item}, notify=True)
    assert server.command("exbert.explain", {"uri": uri})["result"]["text"] == "Opened by the user."


def test_index_outside_the_workspace_is_refused(server: RawLsp, layout: dict[str, Path]):
    error = error_of(server.command("exbert.indexWorkspace", {"paths": [str(layout["outside"])]}))
    assert error["code"] == -32014 and "exbert.allowOutsideWorkspace" in error["message"]
    still_answers(server)


def test_database_outside_the_workspace_is_refused(server: RawLsp, layout: dict[str, Path]):
    db = layout["outside"] / "db"
    server.send("workspace/didChangeConfiguration", {"settings": {"exbert": {"databasePath": str(db)}}}, notify=True)
    error = error_of(server.command("exbert.indexWorkspace", {"paths": [str(layout["ws"] / "mine.txt")]}))
    assert error["code"] == -32014 and "exbert.databasePath" in error["message"]
    status = server.command("exbert.status")["result"]
    assert "exbert.allowOutsideWorkspace" in status["database"]["error"]
    assert not db.exists()  # nothing written
    server.send(
        "workspace/didChangeConfiguration",
        {"settings": {"exbert": {"databasePath": None, "allowOutsideWorkspace": True}}},
        notify=True,
    )
    allowed = server.command("exbert.explain", {"uri": (layout["outside"] / "secret.txt").as_uri()})
    assert "result" in allowed, allowed
    server.send(
        "workspace/didChangeConfiguration", {"settings": {"exbert": {"allowOutsideWorkspace": False}}}, notify=True
    )


def test_tcp_binds_loopback_only():
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "exbert_ls.server", *args], capture_output=True, text=True, env=ENV
        )

    refused = run("--tcp", "0.0.0.0:2087")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "not a loopback address" in refused.stderr and "--allow-remote" in refused.stderr
    assert "NO authentication" in " ".join(run("--help").stdout.split())


def test_hover_on_an_over_long_sentence_answers_nothing_without_tokenizing(server: RawLsp, layout: dict[str, Path]):
    uri = (layout["ws"] / "huge.txt").as_uri()
    text = "word " * 400_000  # 2 MB, one sentence: far over 512 positions x 32 characters
    item = {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}
    server.send("textDocument/didOpen", {"textDocument": item}, notify=True)
    still_answers(server)  # the model is loaded: what follows measures the hover alone
    started = time.monotonic()
    hover = server.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 7}}
    )
    elapsed = time.monotonic() - started
    assert hover.get("result") is None and "error" not in hover
    print(f"hover on a 2 MB sentence answered null in {elapsed * 1000:.0f} ms")
    still_answers(server)
