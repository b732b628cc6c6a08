// The UI commands the extension contributes (the server's own exbert.* commands are registered
// by the language client; these are named exbert.ui.* to stay apart from them).
import * as vscode from "vscode";
import { HEADS_URI, type HeadsDocument } from "./headsDocument";
import { errorMessage } from "./messages";
import { ExbertPanel, type PanelContext } from "./panel";
import type { ViewState } from "../protocol";
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
  heads: HeadsDocument;
}

/** Absolute paths in a server message shown relative to the workspace (shorter, no home dir). */
export function relativePaths(text: string, folders: readonly string[]): string {
  let out = text;
  for (const folder of folders) out = out.split(`${folder.replace(/\/+$/, "")}/`).join("").split(folder).join(".");
  return out;
}

const folderPaths = () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);

/** `exbert.corpusFolders` as absolute paths (undefined: the server indexes the whole workspace). */
export function corpusPaths(corpusFolders: readonly string[], root: string | undefined): string[] | undefined {
  const given = corpusFolders.map((f) => f.trim()).filter(Boolean);
  if (!given.length) return undefined;
  return given.map((f) => (f.startsWith("/") || !root ? f : `${root.replace(/\/+$/, "")}/${f}`));
}

function need(ctx: CommandContext): ExbertServer | undefined {
  const server = ctx.server();
  if (!server) void vscode.window.showErrorMessage("exBERT: The language server is not running (see the exBERT output).");
  return server;
}

async function explainSelection(ctx: CommandContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const server = need(ctx);
  if (!editor || !server) return;
  const selection = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
  if (editor.document.getText(selection).trim() === "") {
    void vscode.window.showWarningMessage("exBERT: Select some text (or put the cursor on a non-empty line) first.");
    return;
  }
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "exBERT: Running the model…" },
      () => server.explain(explainArgs(editor.document, selection)),
    );
    const { defaultLayer: layer, model } = ctx.settings();
    const view: Partial<ViewState> = layer !== null ? { layer } : {}; // 0 = the embeddings, a layer like the others
    // another model tokenises differently: a kept position would select another word
    if (ExbertPanel.current?.model !== model) Object.assign(view, { selected: null, heads: [] });
    ExbertPanel.show(ctx, result, Object.keys(view).length ? view : undefined).model = model;
  } catch (error) {
    void vscode.window.showErrorMessage(`exBERT: ${errorMessage(error)}`);
  }
}

async function indexWorkspace(ctx: CommandContext): Promise<void> {
  const server = need(ctx);
  if (!server) return;
  try {
    const report = await server.indexWorkspace(corpusPaths(ctx.settings().corpusFolders, folderPaths()[0]));
    const summary = relativePaths(report.summary, folderPaths());
    void vscode.window.showInformationMessage(`exBERT: ${report.cancelled ? "Indexing cancelled" : "Indexed"}: ${summary}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`exBERT: Indexing failed: ${relativePaths(errorMessage(error), folderPaths())}`);
  } finally {
    ctx.refreshStatus();
  }
}

async function showHeadSummaries(ctx: CommandContext): Promise<void> {
  const server = need(ctx);
  if (!server) return;
  try {
    ctx.heads.set(await server.headSummary());
    // a read-only virtual document, rendered: nothing to save when it is closed
    await vscode.commands.executeCommand("markdown.showPreviewToSide", HEADS_URI());
  } catch (error) {
    void vscode.window.showErrorMessage(`exBERT: Head summaries failed: ${relativePaths(errorMessage(error), folderPaths())}`);
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
  const pick = await vscode.window.showQuickPick(items, { title: "exBERT: Select Model", placeHolder: `current: ${current}` });
  if (!pick) return;
  const value = pick.value ?? (await vscode.window.showInputBox({ title: "exBERT: Model Directory or Hub Id", value: current }));
  if (!value) return;
  const folder = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration("exbert").update("model", value, folder);
  // say where it went: the workspace's .vscode/settings.json is a file the user may commit
  void vscode.window.showInformationMessage(
    `exBERT: Model set to ${value} in the ${folder === vscode.ConfigurationTarget.Workspace ? "workspace settings (.vscode/settings.json)" : "user settings"}.`,
  );
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
