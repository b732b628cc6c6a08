// The UI commands the extension contributes (the server's own exbert.* commands are registered
// by the language client; these are named exbert.ui.* to stay apart from them).
import * as vscode from "vscode";
import { headsMarkdown } from "./headsMarkdown";
import { errorMessage } from "./messages";
import { ExbertPanel, type PanelContext } from "./panel";
import type { ExbertServer } from "./server";
import { explainArgs } from "./selection";
import type { ExbertSettings } from "./settings";

export const COMMANDS = {
  explain: "exbert.ui.explain",
  index: "exbert.ui.indexWorkspace",
  heads: "exbert.ui.showHeadSummaries",
  model: "exbert.ui.selectModel",
} as const;

export interface CommandContext extends PanelContext {
  settings(): ExbertSettings;
  refreshStatus(): void;
}

function need(ctx: CommandContext): ExbertServer | undefined {
  const server = ctx.server();
  if (!server) void vscode.window.showErrorMessage("exBERT: the language server is not running (see the exBERT output).");
  return server;
}

async function explainSelection(ctx: CommandContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const server = need(ctx);
  if (!editor || !server) return;
  const selection = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
  if (editor.document.getText(selection).trim() === "") {
    void vscode.window.showWarningMessage("exBERT: select some text (or put the cursor on a non-empty line) first.");
    return;
  }
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "exBERT: running the model…" },
      () => server.explain(explainArgs(editor.document, selection)),
    );
    const layer = ctx.settings().defaultLayer;
    ExbertPanel.show(ctx, result, layer !== null && layer > 0 ? { layer } : undefined); // the panel shows L1..L{L}
  } catch (error) {
    void vscode.window.showErrorMessage(`exBERT: ${errorMessage(error)}`);
  }
}

async function indexWorkspace(ctx: CommandContext): Promise<void> {
  const server = need(ctx);
  if (!server) return;
  try {
    const report = await server.indexWorkspace();
    void vscode.window.showInformationMessage(`exBERT: ${report.cancelled ? "indexing cancelled" : "indexed"}: ${report.summary}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`exBERT: indexing failed: ${errorMessage(error)}`);
  } finally {
    ctx.refreshStatus();
  }
}

async function showHeadSummaries(ctx: CommandContext): Promise<void> {
  const server = need(ctx);
  if (!server) return;
  try {
    const payload = await server.headSummary();
    const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: headsMarkdown(payload) });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  } catch (error) {
    void vscode.window.showErrorMessage(`exBERT: head summaries: ${errorMessage(error)}`);
  }
}

async function selectModel(ctx: CommandContext): Promise<void> {
  const current = ctx.settings().model;
  const items: (vscode.QuickPickItem & { value?: string })[] = [
    { label: "minilm", description: "embedded · BERT encoder, 6 × 12 (no LM head)", value: "minilm" },
    { label: "smollm2", description: "embedded · causal LM (Llama), 30 × 9", value: "smollm2" },
    { label: "Other…", description: "a local model directory or a hub id" },
  ];
  for (const item of items) if (item.value === current) item.detail = "current";
  const pick = await vscode.window.showQuickPick(items, { title: "exBERT: model", placeHolder: `current: ${current}` });
  if (!pick) return;
  const value = pick.value ?? (await vscode.window.showInputBox({ title: "exBERT: model directory or hub id", value: current }));
  if (!value) return;
  await vscode.workspace.getConfiguration("exbert").update("model", value, vscode.ConfigurationTarget.Workspace);
  ctx.refreshStatus();
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.explain, () => explainSelection(ctx)),
    vscode.commands.registerCommand(COMMANDS.index, () => indexWorkspace(ctx)),
    vscode.commands.registerCommand(COMMANDS.heads, () => showHeadSummaries(ctx)),
    vscode.commands.registerCommand(COMMANDS.model, () => selectModel(ctx)),
  ];
}
