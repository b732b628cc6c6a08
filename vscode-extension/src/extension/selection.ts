// What `exbert.explain` is asked to run for an editor selection. The server reads documents it
// was sent (plaintext / markdown, see client.ts) or saved files; anything else goes as text.
import type { ExplainArgs } from "../protocol";

export interface DocumentLike {
  uri: { scheme: string; toString(): string };
  languageId: string;
  isDirty: boolean;
  getText(range?: RangeLike): string;
}

export interface RangeLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export const SYNCED_LANGUAGES = ["plaintext", "markdown"];

export function explainArgs(document: DocumentLike, range: RangeLike): ExplainArgs {
  const synced = SYNCED_LANGUAGES.includes(document.languageId) && (document.uri.scheme === "file" || document.uri.scheme === "untitled");
  const onDisk = document.uri.scheme === "file" && !document.isDirty;
  if (synced || onDisk) {
    return {
      uri: document.uri.toString(),
      range: { start: { line: range.start.line, character: range.start.character }, end: { line: range.end.line, character: range.end.character } },
    };
  }
  return { text: document.getText(range) };
}
