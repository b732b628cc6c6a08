"""The wheel works with no checkout: build it, install it (``--no-deps``) into a fresh venv that
sees the project environment's packages through a ``.pth`` file, and run every command from
another folder. Slow (a wheel build and several model loads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(
    cmd: list[str], *, cwd: Path, env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, input=input)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if not (ROOT / "vscode-extension" / "node_modules").is_dir() and not (ROOT / "exbert_ls" / "webview").is_dir():
        pytest.skip("neither a built panel bundle nor the extension's node_modules to build it")
    tmp = tmp_path_factory.mktemp("wheel")
    wheels = tmp / "wheels"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EXBERT_WEBVIEW_DIST", "EXBERT_DB")}
    # no build isolation: setuptools comes from the project environment (nothing downloaded)
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        cwd=tmp,
        env=env,
    )
    (wheel,) = wheels.glob("exbert_ls-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("webview.js", "webview.css", "standalone.html"):
        assert f"exbert_ls/webview/{data}" in names
    assert "exbert_ls/corpus/pydoc_topics.py" in names
    assert not [n for n in names if n.split("/")[0] not in ("exbert_ls",) and ".dist-info" not in n.split("/")[0]]

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp, env=env
        ).stdout.strip()
    )
    # the project's dependencies (torch, spaCy, ...), after the venv's own site-packages
    (site / "project-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        cwd=tmp,
        env=env,
    )
    return venv, env


def test_installed_wheel_runs_every_command(
    installed: tuple[Path, dict[str, str]], tiny_model_dirs, tmp_path: Path
) -> None:
    venv, env = installed
    bin_dir = venv / "bin"
    model = str(tiny_model_dirs["bert"])
    where = _run([str(bin_dir / "python"), "-c", "import exbert_ls; print(exbert_ls.__file__)"], cwd=tmp_path, env=env)
    assert str(venv) in where.stdout, "the installed copy is imported, not the checkout"

    page = tmp_path / "page.html"
    _run(
        [
            str(bin_dir / "exbert"),
            "explain",
            "The cat sat on the mat.",
            "--model",
            model,
            "--no-annotate",
            "--html",
            str(page),
        ],
        cwd=tmp_path,
        env=env,
    )
    html = page.read_text(encoding="utf-8")
    assert 'id="exbert-payload"' in html and "{{" not in html.split('id="exbert-payload"')[0]

    (tmp_path / "small.txt").write_text("The cat sat on the mat. The dog sat on the log.\n", encoding="utf-8")
    db = str(tmp_path / "db")
    _run(
        [str(bin_dir / "exbert"), "index", "small.txt", "--db", db, "--model", model, "--quiet"], cwd=tmp_path, env=env
    )
    found = _run(
        [
            str(bin_dir / "exbert"),
            "search",
            "The cat sat.",
            "--db",
            db,
            "--token",
            "2",
            "--layer",
            "1",
            "--k",
            "3",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert json.loads(found.stdout)["matches"]
    heads = _run([str(bin_dir / "exbert"), "heads", "--db", db, "--json", "--min-support", "1"], cwd=tmp_path, env=env)
    assert json.loads(heads.stdout)["heads"]

    def frame(message: dict) -> str:
        body = json.dumps(message)
        return f"Content-Length: {len(body.encode())}\r\n\r\n{body}"

    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    server = _run([str(bin_dir / "exbert-ls")], cwd=tmp_path, env=env, input="".join(frame(m) for m in messages))
    assert '"id": 1' in server.stdout.replace('"id":1', '"id": 1') and "capabilities" in server.stdout
