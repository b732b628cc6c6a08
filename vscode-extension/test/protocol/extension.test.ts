// The bundled extension's activate() against the mocked `vscode` module and the REAL exbert-ls:
// vscode-languageclient starts `<exbert.pythonPath> -m exbert_ls.server`, the status bar fills,
// "exBERT: Explain" on a saved file opens the panel with the server's msgpack result, and the
// panel's search is answered by the server. Skipped when ../.venv is absent.
import * as assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS } from "../../src/extension/commands";
import { activate, deactivate } from "../../src/extension/extension";
import { ExbertPanel } from "../../src/extension/panel";
import type { ExplainResult, HostToWebview } from "../../src/protocol";
import { decodeExplain } from "../../src/webview/decode";
import { EXT_ROOT, REPO_ROOT } from "../helpers";
import { mock, window as mockWindow, workspace as mockWorkspace, type FakePanel } from "../mock/vscode";

const PYTHON = process.env.EXBERT_PYTHON ?? path.join(REPO_ROOT, ".venv", "bin", "python");
const TEXT = "The Wizard of Oz gave the Scarecrow a brain, but he was wise already.";

async function until<T>(what: string, probe: () => T | undefined | false, seconds = 120): Promise<T> {
  for (let i = 0; i < seconds * 10; i++) {
    const value = probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; log:\n${mock.log.slice(-20).join("\n")}`);
}

describe("extension activation with the real exbert-ls (vscode mocked)", function () {
  this.timeout(240_000);
  let workspace: string;

  before(function () {
    if (!existsSync(PYTHON)) this.skip(); // the Python side is not set up here (make setup)
    mock.reset();
    ExbertPanel.current?.dispose();
    workspace = mkdtempSync(path.join(tmpdir(), "exbert-ext-"));
    writeFileSync(path.join(workspace, "notes.py"), `# ${TEXT}\n`);
    writeFileSync(path.join(workspace, "oz.txt"), `${TEXT} The Tin Woodman wanted a heart. Dorothy gave Toto a bone.\n`);
    mock.config.set("exbert.pythonPath", PYTHON);
    mock.config.set("exbert.model", "minilm");
    mock.config.set("exbert.databasePath", path.join(workspace, "index"));
    mock.config.set("exbert.k", 5);
    mockWorkspace.workspaceFolders = [{ uri: vscode.Uri.file(workspace), name: "ws", index: 0 }];
  });

  after(async () => {
    ExbertPanel.current?.dispose();
    await deactivate();
  });

  it("starts the server, explains a selection into the panel, and relays the panel's search", async () => {
    const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file(EXT_ROOT) };
    await activate(context as never);
    const item = mock.statusItems[0];
    await until("the status bar", () => item.text.includes("exBERT minilm"));
    assert.match(item.text, /no index/, item.text);

    const file = vscode.Uri.file(path.join(workspace, "notes.py"));
    const start = { line: 0, character: 2 };
    const end = { line: 0, character: 2 + TEXT.length };
    mockWindow.activeTextEditor = {
      document: { uri: file, languageId: "python", isDirty: false, getText: () => TEXT, lineAt: () => ({ range: { start, end } }) },
      selection: { isEmpty: false, start, end, active: end },
    };
    await mock.commands.get(COMMANDS.explain)?.();
    assert.deepEqual(mock.messages.filter((m) => m.level === "error"), []);
    const webview = (mock.panels[0] as FakePanel).webview;
    webview.receive({ type: "ready" });
    const explain = webview.posted[0] as Extract<HostToWebview, { type: "explain" }>;
    assert.equal(explain.type, "explain");
    const { payload, attention } = await decodeExplain(explain.result as ExplainResult);
    assert.equal(payload.text, TEXT);
    assert.deepEqual([attention.layers, attention.heads], [6, 12]);
    const at = 2 + TEXT.indexOf("gave"); // the line starts with "# "
    assert.deepEqual(payload.tokens.find((t) => t.text === "gave")?.range, { start: { line: 0, character: at }, end: { line: 0, character: at + 4 } });

    // no index yet: the panel's search gets an error message, not silence
    const gave = payload.tokens.findIndex((t) => t.text === "gave");
    webview.receive({ type: "search", requestId: 1, args: { text: TEXT, token: gave, layer: 3, by: "embedding" } });
    const failed = await until("the search error", () => webview.posted.find((m) => (m as HostToWebview).type === "error")) as HostToWebview;
    assert.ok(failed.type === "error" && failed.requestId === 1, JSON.stringify(failed));

    await mock.commands.get(COMMANDS.index)?.();
    assert.match(mock.messages.at(-1)?.text ?? "", /exBERT: Indexed/);
    // the server's work-done progress became a cancellable notification with percentages
    const indexing = mock.progress.find((p) => (p.options as { location: number }).location === vscode.ProgressLocation.Notification);
    assert.ok(indexing, JSON.stringify(mock.progress.map((p) => p.options)));
    assert.equal((indexing.options as { cancellable: boolean }).cancellable, true);
    const increments = indexing.reports.map((r) => (r as { increment?: number }).increment ?? 0);
    assert.ok(Math.abs(increments.reduce((a, b) => a + b, 0) - 100) < 1e-6, `increments ${increments}`);
    await until("the status after indexing", () => /[1-9][\d,]* rows/.test(item.text) && item.text);
    webview.receive({ type: "search", requestId: 2, args: { text: TEXT, token: gave, layer: 3, by: "embedding" } });
    const answer = await until("the search answer", () => webview.posted.find((m) => (m as HostToWebview).type === "search")) as HostToWebview;
    assert.ok(answer.type === "search" && answer.requestId === 2);
    assert.equal(answer.result.matches.length, 5, "k comes from exbert.k");
    assert.equal(answer.result.matches[0].token.text, "gave", "the indexed file holds the same sentence");
  });
});
