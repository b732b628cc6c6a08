// The exBERT webview panel: one instance, created or revealed; restored after a reload by the
// serializer. Message handling lives in messages.ts, HTML in webviewHtml.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import { isWebviewToHost, type DocRange, type ExplainPayload, type ExplainResult, type HostToWebview, type ViewState } from "../protocol";
import { handleWebviewMessage } from "./messages";
import type { ExbertServer } from "./server";
import { standalonePage, webviewHtml } from "./webviewHtml";

export const PANEL_TYPE = "exbert.panel";

export interface PanelContext {
  extensionUri: vscode.Uri;
  server(): ExbertServer | undefined;
  k(): number;
}

export class ExbertPanel {
  static current: ExbertPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private pending: HostToWebview[] = [];
  private ready = false;
  /** The model of the last explain shown (undefined after a reload). */
  model: string | undefined;

  static show(ctx: PanelContext, result: ExplainResult, view?: Partial<ViewState>): ExbertPanel {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    if (ExbertPanel.current) {
      ExbertPanel.current.panel.reveal(column, true);
    } else {
      const panel = vscode.window.createWebviewPanel(PANEL_TYPE, "exBERT", { viewColumn: column, preserveFocus: true }, ExbertPanel.options(ctx.extensionUri));
      ExbertPanel.current = new ExbertPanel(panel, ctx);
    }
    ExbertPanel.current.post({ type: "explain", result, ...(view ? { view } : {}) });
    return ExbertPanel.current;
  }

  /** Called by the serializer: the webview restores its own state with getState(). */
  static revive(panel: vscode.WebviewPanel, ctx: PanelContext): ExbertPanel {
    panel.webview.options = ExbertPanel.options(ctx.extensionUri);
    ExbertPanel.current = new ExbertPanel(panel, ctx);
    return ExbertPanel.current;
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist")],
    };
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly ctx: PanelContext) {
    const dist = vscode.Uri.joinPath(ctx.extensionUri, "dist");
    const webview = panel.webview;
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.css")).toString(),
    });
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    // Without retainContextWhenHidden a hidden webview is torn down and misses messages: queue
    // them until it is shown again and says "ready" (it restores its own state from getState()).
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    }, null, this.disposables);
    webview.onDidReceiveMessage((message: unknown) => this.receive(message), null, this.disposables);
  }

  post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
    else this.pending.push(message);
  }

  private receive(message: unknown): void {
    if (!isWebviewToHost(message)) return;
    const server = this.ctx.server();
    const needsServer = ["search", "mask", "heads", "attentionRows", "lens", "ablate"];
    if (!server && needsServer.includes(message.type)) {
      this.post({ type: "error", requestId: "requestId" in message ? message.requestId : null, message: "The exBERT language server is not running." });
      return;
    }
    void handleWebviewMessage(message, {
      server: server ?? OFFLINE,
      post: (m) => this.post(m),
      save: (format, content) => this.save(format, content),
      standaloneHtml: (payload, view) => this.standaloneHtml(payload, view),
      reveal: (uri, range) => this.reveal(uri, range),
      openDocument: (doc, text) => this.openDocument(doc, text),
      ready: () => this.flush(),
      k: () => this.ctx.k(),
      offerIndex: () => void this.offerIndex(),
    });
  }

  private async offerIndex(): Promise<void> {
    const pick = await vscode.window.showInformationMessage("exBERT: Search needs an index of the corpus folders.", "Index Workspace");
    if (pick === "Index Workspace") await vscode.commands.executeCommand("exbert.ui.indexWorkspace");
  }

  private flush(): void {
    this.ready = true;
    const queued = this.pending;
    this.pending = [];
    for (const message of queued) void this.panel.webview.postMessage(message);
  }

  private standaloneHtml(payload: ExplainPayload, view: ViewState): string {
    const dist = vscode.Uri.joinPath(this.ctx.extensionUri, "dist").fsPath;
    const js = fs.readFileSync(`${dist}/webview.js`, "utf8");
    const css = fs.readFileSync(`${dist}/webview.css`, "utf8");
    return standalonePage(js, css, payload, view);
  }

  private async reveal(uri: string, range: DocRange): Promise<void> {
    const selection = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
    const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri), { viewColumn: vscode.ViewColumn.One, selection });
    editor.revealRange(selection);
  }

  private async openDocument(doc: string, text: string): Promise<void> {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(doc));
    const at = document.getText().indexOf(text); // the sentence as indexed; -1 when the file changed since
    const selection = at >= 0 ? new vscode.Range(document.positionAt(at), document.positionAt(at + text.length)) : undefined;
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection });
    if (selection) editor.revealRange(selection);
  }

  private async save(format: "html" | "json", content: string): Promise<boolean> {
    const target = await vscode.window.showSaveDialog({
      title: format === "html" ? "Export the exBERT view as a standalone page" : "Export the explain payload and view",
      filters: format === "html" ? { "HTML page": ["html"] } : { JSON: ["json"] },
      // in the workspace (a bare Uri.file would offer the file system's root)
      defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir()), `exbert-view.${format}`),
    });
    if (!target) return false;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
    void vscode.window.showInformationMessage(`exBERT: saved ${target.fsPath}`);
    return true;
  }

  dispose(): void {
    ExbertPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

const notRunning = () => Promise.reject(new Error("The exBERT language server is not running."));
const OFFLINE = { search: notRunning, explain: notRunning, headSummary: notRunning, attentionRows: notRunning, lens: notRunning, ablate: notRunning };
