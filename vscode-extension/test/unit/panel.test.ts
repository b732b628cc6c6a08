// The panel and commands against the mocked `vscode` module.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { COMMANDS, registerCommands, type CommandContext } from "../../src/extension/commands";
import { HeadsDocument } from "../../src/extension/headsDocument";
import { ExbertPanel, PANEL_TYPE } from "../../src/extension/panel";
import { ExbertServer } from "../../src/extension/server";
import { DEFAULT_VIEW } from "../../src/protocol";
import { EXT_ROOT, fixture } from "../helpers";
import { mock, type FakePanel } from "../mock/vscode";

function context(sent: [string, unknown][] = [], fail?: string, defaultLayer: number | null = 2): CommandContext {
  const server = new ExbertServer({
    executeCommand: async (command, args) => {
      sent.push([command, args[0]]);
      if (fail) throw new Error(fail);
      if (command === "exbert.search") return fixture("search-minilm.json");
      if (command === "exbert.headSummary") return { schema: "exbert.heads/1", complete: true, documents: 1, sentences: 1, tokens: 2, heads: [], relations: [] };
      return fixture("explain-minilm.json");
    },
  });
  return {
    extensionUri: vscode.Uri.file(EXT_ROOT),
    server: () => server,
    k: () => 11,
    settings: () => ({ pythonPath: "", model: "minilm", databasePath: "", defaultLayer, k: 11, hover: true, corpusFolders: [], allowOutsideWorkspace: false }),
    heads: new HeadsDocument(),
    refreshStatus: () => undefined,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("ExbertPanel", () => {
  beforeEach(() => {
    mock.reset();
    ExbertPanel.current?.dispose();
  });

  it("creates one webview limited to dist/, with scripts by nonce only", () => {
    ExbertPanel.show(context(), fixture("explain-minilm.json"));
    ExbertPanel.show(context(), fixture("explain-minilm.json"));
    assert.equal(mock.panels.length, 1, "the second show reveals the same panel");
    const panel = mock.panels[0] as FakePanel;
    assert.equal(panel.viewType, PANEL_TYPE);
    assert.equal(panel.revealed, 1);
    const roots = panel.webview.options.localResourceRoots as vscode.Uri[];
    assert.deepEqual(roots.map((u) => u.fsPath), [vscode.Uri.joinPath(vscode.Uri.file(EXT_ROOT), "dist").fsPath]);
    const nonce = panel.webview.html.match(/script-src 'nonce-([^']+)'/)?.[1];
    assert.ok(nonce && nonce.length >= 20);
    assert.match(panel.webview.html, new RegExp(`<script nonce="${nonce}" src="https://fake.vscode-cdn.test[^"]*/dist/webview.js">`));
  });

  it("queues messages until the webview is ready, then answers its searches", async () => {
    const sent: [string, unknown][] = [];
    ExbertPanel.show(context(sent), fixture("explain-minilm.json"), { layer: 4 });
    const webview = (mock.panels[0] as FakePanel).webview;
    assert.equal(webview.posted.length, 0);
    webview.receive({ type: "ready" });
    assert.deepEqual((webview.posted[0] as { type: string; view: unknown }).view, { layer: 4 });
    webview.receive({ type: "search", requestId: 3, args: { text: "t", token: 2, layer: 4, by: "embedding" } });
    webview.receive({ type: "no such message" });
    await tick();
    assert.deepEqual(sent, [["exbert.search", { k: 11, text: "t", token: 2, layer: 4, by: "embedding" }]]);
    assert.ok((webview.posted[1] as { type: string; requestId: number }).type === "search");
    assert.equal((webview.posted[1] as { requestId: number }).requestId, 3);
  });

  it("holds messages while the panel is hidden and delivers them when it is ready again", async () => {
    const panelCtx = context();
    ExbertPanel.show(panelCtx, fixture("explain-minilm.json"));
    const panel = mock.panels[0] as FakePanel;
    panel.webview.receive({ type: "ready" });
    assert.equal(panel.webview.posted.length, 1);
    panel.setVisible(false);
    ExbertPanel.show(panelCtx, fixture("explain-tiny-mlm.json"));
    assert.equal(panel.webview.posted.length, 1, "nothing is sent to a hidden webview");
    panel.setVisible(true);
    panel.webview.receive({ type: "ready" });
    assert.equal(panel.webview.posted.length, 2);
    assert.equal((panel.webview.posted[1] as { result: { model: { name: string } } }).result.model.name, "tiny-random-bert-mlm");
  });

  it("selects a token's range in its document when the webview asks", async () => {
    ExbertPanel.show(context(), fixture("explain-minilm.json"));
    const webview = (mock.panels[0] as FakePanel).webview;
    webview.receive({ type: "ready" });
    webview.receive({ type: "reveal", uri: "file:///ws/notes.txt", range: { start: { line: 3, character: 4 }, end: { line: 3, character: 9 } } });
    await tick();
    assert.equal(String(mock.shown[0].target), "file:///ws/notes.txt");
    const selection = (mock.shown[0].options as { selection: vscode.Range }).selection;
    assert.deepEqual([selection.start.line, selection.start.character, selection.end.line, selection.end.character], [3, 4, 3, 9]);
    assert.equal(mock.revealed[0], selection);
  });

  it("exports a standalone HTML page built from dist/", async () => {
    mock.saveTarget = vscode.Uri.file("/tmp/exbert-export.html");
    ExbertPanel.show(context(), fixture("explain-minilm.json"));
    const webview = (mock.panels[0] as FakePanel).webview;
    webview.receive({ type: "ready" });
    webview.receive({ type: "export", format: "html", payload: fixture("explain-minilm.json"), view: { ...DEFAULT_VIEW, layer: 5 } });
    await tick();
    const page = mock.written.get(vscode.Uri.file("/tmp/exbert-export.html").fsPath) ?? "";
    assert.match(page, /<script type="application\/json" id="exbert-payload">\{"schema":"exbert.explain\/1"/);
    assert.match(page, /<script type="application\/json" id="exbert-view">\{"layer":5/);
    assert.ok(page.length > 50_000, "the bundle is inlined");
  });
});

describe("commands", () => {
  beforeEach(() => {
    mock.reset();
    ExbertPanel.current?.dispose();
  });

  function editor(text: string, selection: { start: number; end: number }) {
    const pos = (character: number) => ({ line: 0, character });
    return {
      document: {
        uri: vscode.Uri.file("/ws/notes.txt"),
        languageId: "plaintext",
        isDirty: false,
        getText: (r?: { start: { character: number }; end: { character: number } }) => (r ? text.slice(r.start.character, r.end.character) : text),
        lineAt: () => ({ range: { start: pos(0), end: pos(text.length) } }),
      },
      selection: { isEmpty: selection.start === selection.end, start: pos(selection.start), end: pos(selection.end), active: pos(selection.end) },
    };
  }

  it("explains the editor selection by uri and range, and opens the panel at the default layer", async () => {
    const sent: [string, unknown][] = [];
    registerCommands(context(sent));
    mock.commands.get(COMMANDS.explain);
    vscode.window.activeTextEditor = editor("The cat sat on the mat.", { start: 4, end: 11 }) as never;
    await mock.commands.get(COMMANDS.explain)?.();
    assert.deepEqual(sent, [["exbert.explain", { format: "msgpack", uri: "file:///ws/notes.txt", range: { start: { line: 0, character: 4 }, end: { line: 0, character: 11 } } }]]);
    const webview = (mock.panels[0] as FakePanel).webview;
    webview.receive({ type: "ready" });
    // a first explain (no model shown yet) starts with no selection
    assert.deepEqual((webview.posted[0] as { view: unknown }).view, { layer: 2, selected: null, heads: [] });
    await mock.commands.get(COMMANDS.explain)?.(); // same model again: the selection is kept
    assert.deepEqual((webview.posted[1] as { view: unknown }).view, { layer: 2 });
  });

  it("opens the panel at defaultLayer 0 (the embeddings), and leaves null to the panel (auto)", async () => {
    registerCommands(context([], undefined, 0));
    vscode.window.activeTextEditor = editor("The cat sat on the mat.", { start: 4, end: 11 }) as never;
    await mock.commands.get(COMMANDS.explain)?.();
    const webview = (mock.panels[0] as FakePanel).webview;
    webview.receive({ type: "ready" });
    assert.deepEqual((webview.posted[0] as { view: unknown }).view, { layer: 0, selected: null, heads: [] });
    ExbertPanel.current?.dispose();
    mock.reset();
    registerCommands(context([], undefined, null));
    vscode.window.activeTextEditor = editor("The cat sat on the mat.", { start: 4, end: 11 }) as never;
    await mock.commands.get(COMMANDS.explain)?.();
    const auto = (mock.panels[0] as FakePanel).webview;
    auto.receive({ type: "ready" });
    assert.deepEqual((auto.posted[0] as { view: unknown }).view, { selected: null, heads: [] });
  });

  it("uses the cursor's line when nothing is selected, and refuses blank lines", async () => {
    const sent: [string, unknown][] = [];
    registerCommands(context(sent));
    vscode.window.activeTextEditor = editor("   ", { start: 1, end: 1 }) as never;
    await mock.commands.get(COMMANDS.explain)?.();
    assert.deepEqual(sent, []);
    assert.equal(mock.messages[0].level, "warning");
  });

  it("reports server errors instead of throwing", async () => {
    registerCommands(context([], "IndexMismatchError: built by smollm2"));
    vscode.window.activeTextEditor = editor("Hello there.", { start: 0, end: 5 }) as never;
    await mock.commands.get(COMMANDS.explain)?.();
    await mock.commands.get(COMMANDS.index)?.();
    assert.deepEqual(mock.messages.map((m) => m.level), ["error", "error"]);
    assert.match(mock.messages[1].text, /Indexing failed: IndexMismatchError/);
  });

  it("selects a model into the workspace settings, says so, and opens head summaries read-only", async () => {
    const ctx = context();
    registerCommands(ctx);
    mock.quickPick = { label: "smollm2", value: "smollm2" };
    await mock.commands.get(COMMANDS.model)?.();
    assert.deepEqual(mock.configUpdates, [["exbert.model", "smollm2"]]);
    await mock.commands.get(COMMANDS.heads)?.();
    assert.match(mock.messages.at(-1)?.text ?? "", /Model set to smollm2 in the user settings/); // no folder is open here
    assert.equal(mock.documents.length, 0, "no untitled document");
    assert.equal(mock.executed.at(-1)?.[0], "markdown.showPreviewToSide");
    assert.match(ctx.heads.provideTextDocumentContent(), /# exBERT head summaries/);
  });
});
