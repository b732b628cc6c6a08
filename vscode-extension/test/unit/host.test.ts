import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { HeadsPayload, HostToWebview, SearchPayload, ViewState } from "../../src/protocol";
import { DEFAULT_VIEW } from "../../src/protocol";
import { headsMarkdown } from "../../src/extension/headsMarkdown";
import { explainArgs } from "../../src/extension/selection";
import { handleWebviewMessage, type MessageDeps } from "../../src/extension/messages";
import { ProgressTracker } from "../../src/extension/progress";
import { choosePython } from "../../src/extension/python";
import { ExbertServer } from "../../src/extension/server";
import { readSettings, serverSettings } from "../../src/extension/settings";
import { LIMITS } from "../../src/generated/payloads";
import { describeStatus } from "../../src/extension/statusBar";
import { scriptJson, standalonePage, webviewCsp, webviewHtml } from "../../src/extension/webviewHtml";
import { fixture } from "../helpers";

function deps(overrides: Partial<MessageDeps> = {}) {
  const posted: HostToWebview[] = [];
  const calls: [string, unknown][] = [];
  const saved: [string, string][] = [];
  const base: MessageDeps = {
    server: {
      search: async (args) => (calls.push(["search", args]), fixture<SearchPayload>("search-minilm.json")),
      explain: async (args) => (calls.push(["explain", args]), fixture("explain-tiny-mlm.json")),
      headSummary: async (layer) => (calls.push(["heads", layer]), { schema: "exbert.heads/1" } as HeadsPayload),
    },
    post: (m) => posted.push(m),
    save: async (format, content) => (saved.push([format, content]), true),
    standaloneHtml: (payload, view) => `<page ${payload.schema} L${view.layer}>`,
    ready: () => calls.push(["ready", null]),
    reveal: async (uri, range) => void calls.push(["reveal", { uri, range }]),
    k: () => 7,
  };
  return { posted, calls, saved, deps: { ...base, ...overrides } };
}

describe("host message handling", () => {
  it("runs a search with the configured k and answers with the same requestId", async () => {
    const t = deps();
    await handleWebviewMessage({ type: "search", requestId: 4, args: { text: "x", token: 1, layer: 2, by: "context", heads: [3] } }, t.deps);
    assert.deepEqual(t.calls, [["search", { k: 7, text: "x", token: 1, layer: 2, by: "context", heads: [3] }]]);
    assert.equal(t.posted.length, 1);
    assert.ok(t.posted[0].type === "search" && t.posted[0].requestId === 4 && t.posted[0].result.schema === "exbert.search/1");
  });

  it("turns server failures into error messages for the panel", async () => {
    const t = deps();
    t.deps.server = { ...t.deps.server, search: async () => Promise.reject(new Error("EmptyIndexError: index has no rows")) };
    await handleWebviewMessage({ type: "search", requestId: 9, args: { text: "x", token: 1, layer: 2, by: "embedding" } }, t.deps);
    assert.deepEqual(t.posted, [{ type: "error", requestId: 9, message: "Search failed: EmptyIndexError: index has no rows" }]);
  });

  it("re-runs explain with the mask and posts the new result", async () => {
    const t = deps();
    await handleWebviewMessage({ type: "mask", text: "The cat sat.", model: "m", mask: [2] }, t.deps);
    assert.deepEqual(t.calls, [["explain", { text: "The cat sat.", model: "m", mask: [2] }]]);
    assert.equal(t.posted[0].type, "explain");
  });

  it("runs the lens and ablations for the panel, answering scans as ablationScan", async () => {
    const t = deps();
    t.deps.server = {
      ...t.deps.server,
      lens: async (args) => (t.calls.push(["lens", args]), { model: "m", tokens: [], head: "MLM head", k: 5, positions: [] }),
      ablate: (async (args: { scan?: boolean }) => {
        t.calls.push(["ablate", args]);
        return args.scan ? { model: "m", mode: "zero", loss: 1, delta_loss: [[0]], seconds: 0, forwards: 1, cached: false } : { model: "m", mode: "zero", heads: [[1, 0]], loss: 1, ablated_loss: 2, positions: [], attention_change: [[0]] };
      }) as never,
    };
    await handleWebviewMessage({ type: "lens", requestId: 3, args: { text: "x", model: "m" } }, t.deps);
    await handleWebviewMessage({ type: "ablate", requestId: 4, args: { text: "x", heads: [[1, 0]] } }, t.deps);
    await handleWebviewMessage({ type: "ablate", requestId: 5, args: { text: "x", scan: true } }, t.deps);
    assert.deepEqual(t.posted.map((m) => [m.type, "requestId" in m ? m.requestId : null]), [["lens", 3], ["ablation", 4], ["ablationScan", 5]]);
    assert.deepEqual(t.calls[1], ["ablate", { text: "x", heads: [[1, 0]], scan: false }]);
    t.deps.server = { ...t.deps.server, ablate: (async () => Promise.reject(new Error("model 'minilm' has no LM head"))) as never };
    await handleWebviewMessage({ type: "ablate", requestId: 6, args: { text: "x", heads: [[1, 0]] } }, t.deps);
    assert.deepEqual(t.posted.at(-1), { type: "error", requestId: 6, message: "Ablation failed: model 'minilm' has no LM head" });
  });

  it("re-runs explain with the rollout when the panel asks for it", async () => {
    const t = deps();
    await handleWebviewMessage({ type: "mask", text: "The cat sat.", model: "m", mask: [], rollout: true }, t.deps);
    assert.deepEqual(t.calls, [["explain", { text: "The cat sat.", model: "m", mask: [], rollout: true }]]);
  });

  it("asks for head summaries of the panel's layer", async () => {
    const t = deps();
    await handleWebviewMessage({ type: "heads", requestId: 2, layer: 5, heads: [1] }, t.deps);
    assert.deepEqual(t.calls, [["heads", 5]]);
    assert.ok(t.posted[0].type === "heads" && t.posted[0].requestId === 2);
  });

  it("reveals a document range, and reports a failure to open it", async () => {
    const t = deps();
    const range = { start: { line: 1, character: 2 }, end: { line: 1, character: 5 } };
    await handleWebviewMessage({ type: "reveal", uri: "file:///ws/a.txt", range }, t.deps);
    assert.deepEqual(t.calls, [["reveal", { uri: "file:///ws/a.txt", range }]]);
    t.deps.reveal = async () => Promise.reject(new Error("file not found"));
    await handleWebviewMessage({ type: "reveal", uri: "file:///ws/gone.txt", range }, t.deps);
    assert.deepEqual(t.posted, [{ type: "error", requestId: null, message: "Cannot show file:///ws/gone.txt: file not found" }]);
  });

  it("exports a standalone page or the JSON document", async () => {
    const t = deps();
    const payload = fixture<never>("explain-tiny-mlm.json");
    const view: ViewState = { ...DEFAULT_VIEW, layer: 2 };
    await handleWebviewMessage({ type: "export", format: "html", payload, view }, t.deps);
    await handleWebviewMessage({ type: "export", format: "json", payload, view }, t.deps);
    assert.deepEqual(t.saved[0], ["html", "<page exbert.explain/1 L2>"]);
    const doc = JSON.parse(t.saved[1][1]);
    assert.equal(doc.schema, "exbert.page/1");
    assert.equal(doc.view.layer, 2);
  });
});

describe("server commands", () => {
  it("sends executeCommand with one argument object; explain asks for msgpack", async () => {
    const sent: [string, unknown[]][] = [];
    const server = new ExbertServer({ executeCommand: async (command, args) => (sent.push([command, args]), {}) });
    await server.explain({ text: "hi" });
    await server.headSummary(3);
    await server.headSummary();
    await server.indexWorkspace();
    await server.status();
    assert.deepEqual(sent, [
      ["exbert.explain", [{ format: "msgpack", text: "hi" }]],
      ["exbert.headSummary", [{ layer: 3 }]],
      ["exbert.headSummary", [{}]],
      ["exbert.indexWorkspace", [{}]],
      ["exbert.status", [{}]],
    ]);
  });
});

describe("python choice", () => {
  it("prefers the setting, then a workspace venv, then python3", () => {
    const venv = path.join("/ws/b", ".venv", "bin", "python");
    assert.deepEqual(choosePython(" /opt/py ", ["/ws/a"], () => true, "linux"), { command: "/opt/py", source: "setting" });
    assert.deepEqual(choosePython("", ["/ws/a", "/ws/b"], (f) => f === venv, "linux"), { command: venv, source: "workspace venv" });
    assert.deepEqual(choosePython(undefined, ["/ws/a"], () => false, "linux"), { command: "python3", source: "default" });
    assert.equal(choosePython("", ["C:\\ws"], (f) => f.endsWith("python.exe"), "win32").source, "workspace venv");
  });
});

describe("settings", () => {
  it("reads and bounds settings, and sends the server nulls for unset values", () => {
    const values: Record<string, unknown> = { model: "", k: 5000, defaultLayer: -2, hover: false };
    const s = readSettings({ get: <T>(key: string) => values[key] as T });
    assert.deepEqual(s, { pythonPath: "", model: "minilm", databasePath: "", defaultLayer: null, k: LIMITS.maxK, hover: false, corpusFolders: [], storageOptions: {}, allowOutsideWorkspace: false });
    assert.equal(LIMITS.maxK, 1000, "exbert_ls/limits.py MAX_K, through the generated schema");
    assert.equal(readSettings({ get: () => undefined }).k, LIMITS.defaultK);
    assert.equal(readSettings({ get: <T>(key: string) => (key === "defaultLayer" ? 0 : undefined) as T }).defaultLayer, 0, "0 = the embeddings");
    assert.equal(readSettings({ get: <T>(key: string) => (key === "defaultLayer" ? 3 : undefined) as T }).defaultLayer, 3);
    assert.deepEqual(serverSettings(s), { model: "minilm", databasePath: null, defaultLayer: null, k: 1000, hover: false, storageOptions: {}, allowOutsideWorkspace: false });
    const outside = readSettings({ get: <T>(key: string) => (key === "allowOutsideWorkspace" ? true : undefined) as T });
    assert.equal(serverSettings(outside).allowOutsideWorkspace, true, "forwarded to server/config.py");
    assert.equal(readSettings({ get: <T>(key: string) => (key === "allowOutsideWorkspace" ? "yes" : undefined) as T }).allowOutsideWorkspace, false);
    const opts = { storageOptions: { aws_endpoint: "http://127.0.0.1:8333", allow_http: true, nested: { no: 1 } } };
    const withOptions = readSettings({ get: <T>(key: string) => (opts as Record<string, unknown>)[key] as T });
    assert.deepEqual(serverSettings(withOptions).storageOptions, { aws_endpoint: "http://127.0.0.1:8333", allow_http: true });
  });
});

describe("status bar", () => {
  const status = {
    schema: "exbert.status/1" as const,
    model: "minilm",
    model_loaded: true,
    model_info: null,
    device: "cpu",
    indexing: false,
    settings: { model: "minilm", databasePath: null, defaultLayer: null, k: 50, hover: true, device: "cpu", preload: false },
    database: { uri: "/w/.exbert/index", open: true, rows: 12345, documents: 3, model: "minilm", head_summaries_current: true, error: null },
  };
  it("shows the model and corpus rows, indexing progress, or the failure", () => {
    assert.equal(describeStatus(status, null, null).text, "$(telescope) exBERT minilm · 12,345 rows");
    assert.match(describeStatus(status, "40 %", null).text, /Indexing 40%/);
    assert.match(describeStatus({ ...status, database: { ...status.database, open: false, rows: null } }, null, null).text, /no index/);
    assert.match(describeStatus(null, null, "could not start").tooltip, /could not start/);
  });
  it("says an index of another model is one, before that model loads, in a short line", () => {
    const error = "index built by 'minilm', not 'smollm2': select 'minilm' or index into another exbert.databasePath";
    const other = { ...status, model: "smollm2", model_loaded: false, database: { ...status.database, error } };
    const view = describeStatus(other, null, null);
    assert.equal(view.text, "$(telescope) exBERT smollm2 · index of minilm $(warning)");
    assert.match(view.tooltip, /⚠ index built by 'minilm', not 'smollm2'/);
  });
});

describe("indexing progress", () => {
  it("turns LSP percentages into increments", () => {
    const reports: unknown[] = [];
    const tracker = new ProgressTracker({ report: (v) => reports.push(v) });
    tracker.update({ kind: "begin", title: "Indexing", percentage: 0 });
    tracker.update({ kind: "report", message: "a.txt", percentage: 30 });
    tracker.update({ kind: "report", percentage: 25 }); // never backwards
    tracker.update({ kind: "report", message: "b.txt", percentage: 80 });
    tracker.update({ kind: "end", message: "done" });
    assert.deepEqual(reports, [{}, { message: "a.txt", increment: 30 }, {}, { message: "b.txt", increment: 50 }]);
    assert.equal(tracker.percentage, 80);
  });
});

describe("head summaries report", () => {
  it("lists heads in order with their best relation and escapes table cells", () => {
    const head = (layer: number, h: number, relation: string, accuracy: number) => ({
      layer, head: h, entropy: 2, to_special: 0.1, to_punct: 0, to_previous: 0.2, to_next: 0.3, to_self: 0,
      relations: [{ relation, direction: "dependent->head" as const, accuracy, baseline: 0.4, baseline_offset: 1, support: 30, rank: 0, z: 3 }], description: "", to_first: null, to_special_rest: null, normalised_entropy: null, role: null, induction: null, causal_effect: null,
    });
    const md = headsMarkdown({ schema: "exbert.heads/1", complete: false, documents: 3, layer_numbering: "", sentences: 1000, tokens: 20000, relations: [], heads: [head(2, 1, "a|b", 0.9), head(1, 5, "det", 0.8)] });
    const rows = md.split("\n").filter((l) => l.startsWith("| L"));
    assert.deepEqual(rows.map((r) => r.slice(0, 8)), ["| L1 H5 ", "| L2 H1 "]);
    assert.match(rows[1], /a\\\|b/);
    assert.match(md, /incomplete/);
    assert.match(md, /1,000 sentences/);
  });
});

describe("webview HTML", () => {
  it("has a strict CSP whose script nonce matches the only script", () => {
    const html = webviewHtml({ cspSource: "https://x.test", scriptUri: "https://x.test/w.js", styleUri: "https://x.test/w.css" }, "N0nce");
    assert.match(html, /content="default-src 'none'; img-src https:\/\/x.test data:; style-src https:\/\/x.test; font-src https:\/\/x.test; script-src 'nonce-N0nce'"/);
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, /<script nonce="N0nce" src="https:\/\/x.test\/w.js">/);
    assert.doesNotMatch(webviewCsp("s", "n"), /unsafe/);
  });

  it("embeds hostile payloads inertly in standalone pages", () => {
    const payload = { schema: "exbert.explain/1", text: "</script><script>alert(1)</script> \u2028" };
    const page = standalonePage("var a = '</script>';", "b{}", payload as never, null, "abc");
    const block = page.match(/<script type="application\/json" id="exbert-payload">(.*?)<\/script>/s)?.[1] ?? "";
    assert.deepEqual(JSON.parse(block), payload);
    assert.equal(page.match(/<script nonce="abc">/g)?.length, 1);
    assert.match(page, /var a = '<\\\/script>';/);
    assert.doesNotMatch(scriptJson({ t: "<>&" }), /[<>&]/);
  });
});

describe("explain arguments for a selection", () => {
  const range = { start: { line: 2, character: 1 }, end: { line: 2, character: 9 } };
  const doc = (scheme: string, languageId: string, isDirty: boolean) => ({
    uri: { scheme, toString: () => `${scheme}:///ws/a` },
    languageId,
    isDirty,
    getText: () => "selected",
  });
  it("sends documents the server can read by uri and range, others as text", () => {
    assert.deepEqual(explainArgs(doc("file", "markdown", true), range), { uri: "file:///ws/a", range });
    assert.deepEqual(explainArgs(doc("untitled", "plaintext", true), range), { uri: "untitled:///ws/a", range });
    assert.deepEqual(explainArgs(doc("file", "python", false), range), { uri: "file:///ws/a", range });
    assert.deepEqual(explainArgs(doc("file", "python", true), range), { text: "selected" });
    assert.deepEqual(explainArgs(doc("untitled", "python", false), range), { text: "selected" });
    assert.deepEqual(explainArgs(doc("git", "plaintext", false), range), { text: "selected" });
  });
});
