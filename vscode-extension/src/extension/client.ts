// Starts `exbert-ls` (`<python> -m exbert_ls.server`) through vscode-languageclient, which also
// registers the server's own commands (exbert.explain, exbert.search, ...): we do not.
import * as fs from "node:fs";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { choosePython, type PythonChoice } from "./python";
import { SYNCED_LANGUAGES } from "./selection";
import type { CancelToken, CommandSender } from "./server";
import { serverSettings, type ExbertSettings } from "./settings";
import { ProgressTracker, type ProgressValue } from "./progress";

export function pythonFor(settings: ExbertSettings): PythonChoice {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return choosePython(settings.pythonPath, folders, (file) => fs.existsSync(file));
}

export function createClient(settings: ExbertSettings, output: vscode.LogOutputChannel): LanguageClient {
  const python = pythonFor(settings);
  output.info(`Starting ${python.command} -m exbert_ls.server (${python.source})`);
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const run = { command: python.command, args: ["-m", "exbert_ls.server"], options: cwd ? { cwd } : {} };
  const serverOptions: ServerOptions = { run, debug: { ...run, args: [...run.args, "--log-level", "DEBUG"] } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: SYNCED_LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    initializationOptions: { exbert: serverSettings(settings) },
    synchronize: { configurationSection: "exbert" },
    outputChannel: output,
  };
  return new LanguageClient("exbert", "exBERT", serverOptions, clientOptions);
}

/** The language client as the CommandSender the rest of the extension uses. */
export function commandSender(client: LanguageClient): CommandSender {
  return {
    executeCommand: (command, args, token?: CancelToken) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token as vscode.CancellationToken | undefined),
  };
}

/**
 * Server-created progress (indexing) shown as a cancellable notification. Replaces the
 * client's default handler, which would only show it in the status bar without Cancel.
 */
export function routeServerProgress(client: LanguageClient, onMessage: (message: string | null) => void): vscode.Disposable {
  return client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    let finish: (() => void) | undefined;
    let tracker: ProgressTracker | undefined;
    const listener = client.onProgress(WorkDoneProgress.type, token, (value: ProgressValue) => {
      if (value.kind === "begin") {
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: value.title ?? "exBERT", cancellable: true },
          (progress, cancel) => {
            tracker = new ProgressTracker(progress);
            tracker.update(value);
            cancel.onCancellationRequested(() => void client.sendNotification(WorkDoneProgressCancelNotification.type, { token }));
            return new Promise<void>((resolve) => (finish = resolve));
          },
        );
      } else {
        tracker?.update(value);
      }
      onMessage(value.kind === "end" ? null : value.message ?? `${Math.round(tracker?.percentage ?? 0)} %`);
      if (value.kind === "end") {
        finish?.();
        listener.dispose();
      }
    });
  });
}
