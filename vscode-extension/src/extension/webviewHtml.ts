// HTML documents for the panel: the VS Code webview shell and the standalone exported page.
// Both carry a strict CSP: nothing but the nonce'd bundle runs.
import { randomBytes } from "node:crypto";
import type { ExplainResult, ViewState } from "../protocol";

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

/** JSON safe inside a <script> element: no "<", ">", "&" or line separators survive as such. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A self-contained page (same layout as exbert_ls/html.py writes): bundle inlined, payload as JSON. */
export function standalonePage(js: string, css: string, result: ExplainResult, view: ViewState | null, pageNonce = nonce()): string {
  const csp = `default-src 'none'; script-src 'nonce-${pageNonce}'; style-src 'nonce-${pageNonce}'; img-src data: blob:`;
  const viewBlock = view ? `\n<script type="application/json" id="exbert-view">${scriptJson(view)}</script>` : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>exBERT</title>
<style nonce="${pageNonce}">${css.replace(/<\/style/gi, "<\\/style")}</style>
</head>
<body>
<div id="app"></div>
<script type="application/json" id="exbert-payload">${scriptJson(result)}</script>${viewBlock}
<script nonce="${pageNonce}">${js.replace(/<\/script/gi, "<\\/script")}</script>
</body>
</html>
`;
}
