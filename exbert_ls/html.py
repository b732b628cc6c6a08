"""Standalone HTML pages of the exBERT panel: ``exbert explain TEXT --html out.html``.

The page is one self-contained file: the panel's built bundle (``vscode-extension/dist/webview.js``
and ``webview.css``) inlined, the explain payload as JSON in a ``<script type="application/json">``
block, and a Content-Security-Policy that lets only the nonce'd bundle run. The same layout is
written by the VS Code extension's "Export HTML" (``src/extension/webviewHtml.ts``).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from exbert_ls.errors import WebviewBundleMissingError

__all__ = ["bundle_dir", "script_json", "standalone_html", "write_standalone_html"]

BUNDLE_ENV = "EXBERT_WEBVIEW_DIST"
"""Environment variable naming another directory holding ``webview.js`` and ``webview.css``."""

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def bundle_dir() -> Path:
    """Where the built panel bundle is: ``$EXBERT_WEBVIEW_DIST`` or the checkout's ``vscode-extension/dist``."""
    override = os.environ.get(BUNDLE_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / "vscode-extension" / "dist"


def _read_bundle(directory: Path) -> tuple[str, str]:
    js, css = directory / "webview.js", directory / "webview.css"
    missing = [p.name for p in (js, css) if not p.is_file()]
    if missing:
        raise WebviewBundleMissingError(
            f"the panel bundle is not built ({', '.join(missing)} missing in {directory}): "
            "run `make demo`, or `npm ci && npm run build` in vscode-extension/"
        )
    return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON that is inert inside a ``<script>`` element: ``<``, ``>``, ``&`` and the JS line
    separators are written as ``\\uXXXX`` escapes, so ``</script>`` in the data cannot close it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def standalone_html(
    payload: dict[str, Any], *, view: dict[str, Any] | None = None, directory: Path | None = None
) -> str:
    """The page for an ``exbert.explain/1`` payload; ``view`` presets the panel (layer, heads,
    threshold... as ``ViewState`` in ``src/protocol.ts``). Raises WebviewBundleMissingError."""
    js, css = _read_bundle(directory or bundle_dir())
    nonce = secrets.token_urlsafe(18)
    csp = f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src data: blob:"
    view_block = f'\n<script type="application/json" id="exbert-view">{script_json(view)}</script>' if view else ""
    js = js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    css = css.replace("</style", "<\\/style")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>exBERT</title>\n"
        f'<style nonce="{nonce}">{css}</style>\n'
        '</head>\n<body>\n<div id="app"></div>\n'
        f'<script type="application/json" id="exbert-payload">{script_json(payload)}</script>{view_block}\n'
        f'<script nonce="{nonce}">{js}</script>\n'
        "</body>\n</html>\n"
    )


def write_standalone_html(
    path: str | Path, payload: dict[str, Any], *, view: dict[str, Any] | None = None, directory: Path | None = None
) -> Path:
    """Write :func:`standalone_html` to ``path`` (parent directories created) and return it."""
    out = Path(path)
    page = standalone_html(payload, view=view, directory=directory)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
