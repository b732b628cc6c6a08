"""Standalone HTML pages of the panel (exbert_ls/html.py) and ``exbert explain --html``."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from exbert_ls.errors import WebviewBundleMissingError
from exbert_ls.html import BUNDLE_ENV, fill_page, script_json, standalone_html, write_standalone_html

EXTENSION = Path(__file__).resolve().parents[1] / "vscode-extension"
TEMPLATE = EXTENSION / "src" / "standalone.html"

HOSTILE = ["</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a\u2028b\u2029c", "<!-- x", "&amp;"]
FAKE_JS = 'document.getElementById("app").textContent = "ok </script> inside a string";'


class Page(HTMLParser):
    """Collects <script> elements (attributes and text) and the CSP meta of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[dict[str, str | None]] = []
        self.csp: str | None = None
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._open = a
            self.scripts.append((a, ""))
        elif tag == "style":
            self.styles.append(a)
        elif tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a["content"]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    return parser


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    d.mkdir()
    (d / "webview.js").write_text(FAKE_JS, encoding="utf-8")
    (d / "webview.css").write_text("body { color: red; }", encoding="utf-8")
    shutil.copyfile(TEMPLATE, d / "standalone.html")
    return d


CASES = json.loads((EXTENSION / "test" / "page" / "escaping-cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_script_json_follows_the_shared_cases(case: dict) -> None:
    """The same cases as webviewHtml.ts's scriptJson (vscode-extension/test/page/page.test.ts)."""
    value = case["value"]
    if "nonFinite" in case:
        value = {k: float(v) if k in case["nonFinite"] else v for k, v in value.items()}
    assert script_json(value) == case["json"]


def test_fill_page_is_one_pass_and_keeps_the_tag_case() -> None:
    page = fill_page(
        TEMPLATE.read_text(encoding="utf-8"),
        js="var s = '</SCRIPT>{{nonce}}';",
        css="a::after{content:'</style>'}",
        payload_json=script_json({"t": "{{js}}"}),
        view_json=None,
        nonce="N0nce",
    )
    assert page.count("'nonce-N0nce'") == 2 and page.count("{{") == 2  # only the data's own
    assert "var s = '<\\/SCRIPT>{{nonce}}';" in page and "content:'<\\/style>'" in page
    assert "exbert-view" not in page


@pytest.mark.parametrize("text", HOSTILE)
def test_script_json_is_inert_and_round_trips(text: str) -> None:
    encoded = script_json({"text": text, "tokens": [text]})
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert "\u2028" not in encoded and "\u2029" not in encoded
    assert json.loads(encoded) == {"text": text, "tokens": [text]}


def test_page_has_one_nonced_script_and_the_payload_as_data(bundle: Path) -> None:
    payload = {"schema": "exbert.explain/1", "text": " ".join(HOSTILE), "tokens": [{"text": t} for t in HOSTILE]}
    view = {"layer": 3, "threshold": 0.5}
    page = parse(standalone_html(payload, view=view, directory=bundle))

    executable = [(a, t) for a, t in page.scripts if a.get("type") != "application/json"]
    assert len(executable) == 1, "only the bundle may be a script; hostile text must not open another"
    attrs, code = executable[0]
    nonce = attrs["nonce"]
    assert nonce and len(nonce) >= 16
    assert "<\\/script> inside a string" in code  # the bundle's own "</script" is escaped too
    assert page.csp is not None
    directives = dict(d.strip().split(" ", 1) for d in page.csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == f"'nonce-{nonce}'"
    assert directives["style-src"] == f"'nonce-{nonce}'"
    assert [s.get("nonce") for s in page.styles] == [nonce]

    data = {a["id"]: json.loads(t) for a, t in page.scripts if a.get("type") == "application/json"}
    assert data == {"exbert-payload": payload, "exbert-view": view}


def test_every_page_gets_a_fresh_nonce(bundle: Path) -> None:
    nonces = {parse(standalone_html({"x": 1}, directory=bundle)).scripts[-1][0]["nonce"] for _ in range(5)}
    assert len(nonces) == 5


def test_missing_bundle_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(WebviewBundleMissingError) as info:
        standalone_html({"x": 1}, directory=tmp_path / "nowhere")
    message = str(info.value)
    assert "webview.js" in message and "npm run build" in message and "make demo" in message


def test_write_creates_parent_directories(bundle: Path, tmp_path: Path) -> None:
    out = write_standalone_html(tmp_path / "a" / "b" / "page.html", {"x": 1}, directory=bundle)
    assert out.is_file() and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exbert_ls", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_cli_explain_html_writes_a_page_with_compact_attention(tiny_model_dirs, bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    text = "The cat sat on the mat."
    proc = _cli(
        "explain",
        text,
        "--model",
        str(tiny_model_dirs["bert"]),
        "--no-annotate",
        "--html",
        str(out),
        env={BUNDLE_ENV: str(bundle)},
    )
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stderr and "L1:" in proc.stdout
    page = parse(out.read_text(encoding="utf-8"))
    payload = next(json.loads(t) for a, t in page.scripts if a.get("id") == "exbert-payload")
    assert payload["schema"] == "exbert.explain/1" and payload["text"] == text
    att = payload["attention"]
    T = len(payload["tokens"])
    assert att["dtype"] == "uint8" and att["shape"] == [2, 4, T, T] and att["encoding"] == "zlib+base64"
    weights = np.frombuffer(zlib.decompress(base64.b64decode(att["data"])), dtype=np.uint8).reshape(att["shape"])
    rows = weights.astype(np.float64).sum(axis=-1) * att["scale"]
    assert np.allclose(rows, 1.0, atol=T / 255), "each attention row still sums to ~1 after uint8 rounding"


def test_cli_explain_html_without_bundle_fails_cleanly(tiny_model_dirs, tmp_path: Path) -> None:
    proc = _cli(
        "explain",
        "The cat sat.",
        "--model",
        str(tiny_model_dirs["bert"]),
        "--no-annotate",
        "--html",
        str(tmp_path / "page.html"),
        env={BUNDLE_ENV: str(tmp_path / "missing")},
    )
    assert proc.returncode == 2
    assert "npm run build" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "page.html").exists()
