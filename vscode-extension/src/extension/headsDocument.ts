// Head summaries as a read-only virtual Markdown document (scheme exbert-heads), shown in the
// Markdown preview: closing it asks nothing, re-running the command refreshes it.
import * as vscode from "vscode";
import type { HeadsPayload } from "../protocol";
import { headsMarkdown } from "./headsMarkdown";

export const HEADS_SCHEME = "exbert-heads";
export const HEADS_URI = () => vscode.Uri.parse(`${HEADS_SCHEME}:/exBERT%20Head%20Summaries.md`);

export class HeadsDocument implements vscode.TextDocumentContentProvider {
  private text = headsMarkdown({ schema: "exbert.heads/1", current: true, sentences: 0, tokens: 0, relations: [], heads: [] } as never);
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(payload: HeadsPayload): void {
    this.text = headsMarkdown(payload);
    this.changed.fire(HEADS_URI());
  }

  provideTextDocumentContent(): string {
    return this.text;
  }

  register(): vscode.Disposable {
    return vscode.Disposable.from(vscode.workspace.registerTextDocumentContentProvider(HEADS_SCHEME, this), this.changed);
  }
}
