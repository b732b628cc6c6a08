// HTML documents for the panel: the VS Code webview shell and the standalone exported page.
// Both carry a strict CSP: nothing but the nonce'd bundle runs.
import { randomBytes } from "node:crypto";
import type { ExplainResult, ViewState } from "../protocol";
import standaloneTemplate from "../standalone.html";

export function nonce(): string {
  return randomBytes(18).toString("base64url");
}

export interface WebviewResources {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
}

export function webviewCsp(cspSource: string, scriptNonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${scriptNonce}'`,
  ].join("; ");
}

export function webviewHtml(resources: WebviewResources, scriptNonce = nonce()): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${webviewCsp(resources.cspSource, scriptNonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${resources.styleUri}">
<title>exBERT</title>
</head>
<body>
<div id="app"></div>
<script nonce="${scriptNonce}" src="${resources.scriptUri}"></script>
</body>
</html>
`;
}

/**
 * JSON safe inside a <script> element: no "<", ">", "&" or line separators survive as such, and
 * NaN / Infinity become null (as JSON-RPC would carry them). The same rule as exbert_ls/html.py
 * `script_json`; both are checked against test/page/escaping-cases.json.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export interface PageParts {
  js: string;
  css: string;
  payloadJson: string;
  viewJson: string | null;
  nonce: string;
}

/**
 * Fill the one standalone-page template (src/standalone.html, also shipped to the Python
 * package as exbert_ls/webview/standalone.html): one pass, so text inserted for one
 * placeholder is never scanned for another.
 */
export function fillPage(template: string, parts: PageParts): string {
  const values: Record<string, string> = {
    nonce: parts.nonce,
    // "<\/" is "</" inside JS strings and regexes and CSS strings; the tag's case is kept
    css: parts.css.replace(/<\/(style)/gi, "<\\/$1"),
    js: parts.js.replace(/<\/(script)/gi, "<\\/$1"),
    payload: parts.payloadJson,
    view: parts.viewJson === null ? "" : `\n<script type="application/json" id="exbert-view">${parts.viewJson}</script>`,
  };
  return template.replace(/\{\{(nonce|css|js|payload|view)\}\}/g, (_match, name: string) => values[name] ?? "");
}

/** A self-contained page (the template exbert_ls/html.py fills too): bundle inlined, payload as JSON. */
export function standalonePage(js: string, css: string, result: ExplainResult, view: ViewState | null, pageNonce = nonce()): string {
  return fillPage(standaloneTemplate, {
    js,
    css,
    payloadJson: scriptJson(result),
    viewJson: view ? scriptJson(view) : null,
    nonce: pageNonce,
  });
}
