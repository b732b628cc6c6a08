// Activation: start the language client, the status bar item, the commands and the panel serializer.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { commandSender, createClient, routeServerProgress } from "./client";
import { COMMANDS, registerCommands } from "./commands";
import { HeadsDocument } from "./headsDocument";
import { errorMessage } from "./messages";
import { ExbertPanel, PANEL_TYPE } from "./panel";
import { ExbertServer, type StatusResult } from "./server";
import { readSettings } from "./settings";
import { describeStatus } from "./statusBar";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("exBERT", { log: true });
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 90);
  item.command = COMMANDS.model;
  item.show();
  let server: ExbertServer | undefined;
  let status: StatusResult | null = null;
  let indexing: string | null = null;
  let failure: string | null = null;
  const settings = () => readSettings(vscode.workspace.getConfiguration("exbert"));
  const paint = () => Object.assign(item, describeStatus(status, indexing, failure));
  const refreshStatus = () => {
    if (!server) {
      paint();
      return;
    }
    server.status().then((s) => ((status = s), (failure = null), paint()), (e) => ((failure = errorMessage(e)), paint()));
  };
  const heads = new HeadsDocument();
  const ctx = { extensionUri: context.extensionUri, server: () => server, k: () => settings().k, settings, refreshStatus, heads };

  const start = async () => {
    if (!vscode.workspace.isTrusted) {
      // Restricted Mode: no interpreter runs until the user trusts the workspace
      failure = "Restricted Mode: trust the workspace to start exbert-ls.";
      paint();
      return;
    }
    failure = null;
    paint();
    client = createClient(settings(), output);
    try {
      await client.start();
      context.subscriptions.push(routeServerProgress(client, (message) => ((indexing = message), paint())));
      server = new ExbertServer(commandSender(client));
      refreshStatus();
    } catch (error) {
      server = undefined;
      failure = `Could not start exbert-ls: ${errorMessage(error)}. Set exbert.pythonPath to a Python with exbert-ls installed.`;
      paint();
      output.error(failure);
    }
  };

  context.subscriptions.push(
    output,
    item,
    heads.register(),
    ...registerCommands(ctx),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void start()),
    vscode.window.registerWebviewPanelSerializer(PANEL_TYPE, {
      deserializeWebviewPanel: async (panel) => void ExbertPanel.revive(panel, ctx),
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("exbert.pythonPath")) {
        await client?.stop();
        await start();
      } else if (event.affectsConfiguration("exbert")) {
        setTimeout(refreshStatus, 500); // the server pulls the new settings itself
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
