"""Helpers of the edges fault tests: the real ``exbert`` CLI in a subprocess, small tmpfs
mounts (full disk, read-only file system), and a raw stdio LSP client that can send bytes
no well-behaved client would."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "EXBERT_DB": ""}


def exbert(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m exbert_ls.cli ARGS`` (the real entry point), text output."""
    result = subprocess.run(
        [sys.executable, "-m", "exbert_ls.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=ENV,
        timeout=600,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def assert_clear_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, exactly one stderr line ``exbert: error: ...`` containing ``needles``, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in lines if line.startswith("exbert: error: ")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``where`` (skips where mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True, capture_output=True)


class RawLsp:
    """The real ``exbert-ls`` on stdio, spoken to byte by byte."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exbert_ls.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=ENV,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr: list[bytes] = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr or []), daemon=True).start()
        self._next = 0

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            self.messages.put(json.loads(out.read(length)))

    def send_body(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, method: str, params: Any, *, notify: bool = False) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if notify:
            self.send_body(json.dumps(message).encode())
            return None
        self._next += 1
        message["id"] = self._next
        self.send_body(json.dumps(message).encode())
        return self._next

    def response(self, msg_id: int | None, timeout: float = 300.0) -> dict[str, Any]:
        """The response to ``msg_id`` (None: an error response with a null id)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if "method" in message:
                if "id" in message:  # a server request (progress, configuration): accept it
                    self.send_body(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None}).encode())
                continue
            if message.get("id") == msg_id:
                return message

    def request(self, method: str, params: Any, timeout: float = 300.0) -> dict[str, Any]:
        return self.response(self.send(method, params), timeout)

    def command(self, name: str, *arguments: Any) -> dict[str, Any]:
        return self.request("workspace/executeCommand", {"command": name, "arguments": list(arguments)})

    def initialize(self, folder: Path, options: dict[str, Any]) -> None:
        params = {
            "processId": None,
            "rootUri": folder.as_uri(),
            "workspaceFolders": [{"uri": folder.as_uri(), "name": "ws"}],
            "capabilities": {},
            "initializationOptions": options,
        }
        assert "result" in self.request("initialize", params)
        self.send("initialized", {}, notify=True)

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.send("exit", None, notify=True)
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()
