"""Standalone HTML pages of the exBERT panel: ``exbert explain TEXT --html out.html``.

The page is one self-contained file: the panel's built bundle (``webview.js`` and
``webview.css``) inlined, the explain payload as JSON in a ``<script type="application/json">``
block, and a Content-Security-Policy that lets only the nonce'd bundle run. The layout is the one
template the extension build emits (``vscode-extension/src/standalone.html``); the extension's
"Export HTML" (``webviewHtml.ts`` ``fillPage``) fills the same template by the same rules,
both tested against ``vscode-extension/test/page/escaping-cases.json``.

The three files are package data (``exbert_ls/webview/``): ``npm run build`` in the extension
writes them there, and ``pip install .`` runs that build first when they are missing or stale
(setup.py), so an installed wheel needs no checkout.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from pathlib import Path
from typing import Any

from exbert_ls.errors import WebviewBundleMissingError

__all__ = ["bundle_dir", "fill_page", "script_json", "standalone_html", "write_standalone_html"]

BUNDLE_ENV = "EXBERT_WEBVIEW_DIST"
"""Environment variable naming another directory holding ``webview.js``, ``webview.css`` and
``standalone.html``."""

BUNDLE_FILES = ("webview.js", "webview.css", "standalone.html")
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_PLACEHOLDER = re.compile(r"\{\{(nonce|css|js|payload|view)\}\}")


def bundle_dir() -> Path:
    """Where the built panel is: ``$EXBERT_WEBVIEW_DIST`` or the package's ``webview/`` data."""
    override = os.environ.get(BUNDLE_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "webview"


def _read_bundle(directory: Path) -> tuple[str, str, str]:
    missing = [name for name in BUNDLE_FILES if not (directory / name).is_file()]
    if missing:
        raise WebviewBundleMissingError(
            f"the panel bundle is not built ({', '.join(missing)} missing in {directory}): "
            "run `make demo`, or `npm ci && npm run build` in vscode-extension/"
        )
    js, css, template = ((directory / name).read_text(encoding="utf-8") for name in BUNDLE_FILES)
    return js, css, template


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None: what JSON.stringify writes for them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def script_json(value: Any) -> str:
    """JSON that is inert inside a ``<script>`` element: ``<``, ``>``, ``&`` and the JS line
    separators are written as ``\\uXXXX`` escapes, so ``</script>`` in the data cannot close it;
    NaN and infinities become ``null``. The same rule as ``scriptJson`` in webviewHtml.ts."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # rare: only then walk the payload
        text = json.dumps(_finite(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def fill_page(template: str, *, js: str, css: str, payload_json: str, view_json: str | None, nonce: str) -> str:
    """Fill the standalone template in one pass (inserted text is never scanned again); the
    bundle's own ``</script`` / ``</style`` are escaped, keeping their case."""
    values = {
        "nonce": nonce,
        # "<\\/" is "</" inside JS strings and regexes and inside CSS strings
        "css": re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE),
        "js": re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE),
        "payload": payload_json,
        "view": "" if view_json is None else f'\n<script type="application/json" id="exbert-view">{view_json}</script>',
    }
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def standalone_html(
    payload: dict[str, Any], *, view: dict[str, Any] | None = None, directory: Path | None = None
) -> str:
    """The page for an ``exbert.explain/1`` payload; ``view`` presets the panel (layer, heads,
    threshold... as ``ViewState`` in ``src/protocol.ts``). Raises WebviewBundleMissingError."""
    js, css, template = _read_bundle(directory or bundle_dir())
    return fill_page(
        template,
        js=js,
        css=css,
        payload_json=script_json(payload),
        view_json=script_json(view) if view else None,
        nonce=secrets.token_urlsafe(18),
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
