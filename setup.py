"""Build step before the wheel: the panel bundle and page template become package data.

``exbert explain --html`` needs ``exbert_ls/webview/{webview.js,webview.css,standalone.html}``.
`npm run build` in vscode-extension/ writes them (and `make` runs it); here, `pip install .` /
`python -m build` run that build first when the files are missing or older than the extension's
sources, so a wheel always carries a current bundle. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
EXTENSION = ROOT / "vscode-extension"
DATA = ROOT / "exbert_ls" / "webview"
FILES = ("webview.js", "webview.css", "standalone.html")


def _stale() -> bool:
    outputs = [DATA / name for name in FILES]
    if not all(p.is_file() for p in outputs):
        return True
    sources = [p for p in (EXTENSION / "src").rglob("*") if p.is_file()] if (EXTENSION / "src").is_dir() else []
    return bool(sources) and max(p.stat().st_mtime for p in sources) > min(p.stat().st_mtime for p in outputs)


class BuildWithWebview(build_py):
    def run(self) -> None:
        # an editable install reads exbert_ls/webview/ in the checkout, which `make` builds
        if not getattr(self, "editable_mode", False) and _stale():
            if not (EXTENSION / "node_modules").is_dir() or shutil.which("node") is None:
                raise SystemExit(
                    "exbert-ls: the panel bundle (exbert_ls/webview/) is missing or stale and cannot be built "
                    "here: run `make setup-extension` (or `npm ci && npm run build` in vscode-extension/) first"
                )
            subprocess.run(["node", "esbuild.mjs"], cwd=EXTENSION, check=True)
        super().run()


setup(cmdclass={"build_py": BuildWithWebview})
