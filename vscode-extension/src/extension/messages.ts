// What the host does for each webview message. Kept free of `vscode` so it is unit-tested with
// fakes; the panel supplies the dependencies.
import { assertNever, type DocRange, type ExplainPayload, type HostToWebview, type ViewState, type WebviewToHost } from "../protocol";
import type { ExbertServer } from "./server";

export interface MessageDeps {
  server: Pick<ExbertServer, "search" | "explain" | "headSummary"> & Partial<Pick<ExbertServer, "attentionRows" | "lens" | "ablate">>;
  post(message: HostToWebview): void;
  /** Ask the user where to save and write the file; resolves false when they cancel. */
  save(format: "html" | "json", content: string): Promise<boolean>;
  standaloneHtml(payload: ExplainPayload, view: ViewState): string;
  /** Show a document range in an editor. */
  reveal(uri: string, range: DocRange): Promise<void>;
  /** Open a corpus document at the sentence whose text is `text` (panel: jump to a match). */
  openDocument?(doc: string, text: string): Promise<void>;
  ready(): void;
  k(): number;
  /** Offer "exBERT: Index Workspace" when a search needs an index (optional: tests omit it). */
  offerIndex?(): void;
}

/** The server's words for "there is no index yet" (EmptyIndexError, a missing database). */
export const NEEDS_INDEX = /no index|EmptyIndexError|index has no rows|exbert index|does not exist/i;

export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return String(error);
}

export async function handleWebviewMessage(message: WebviewToHost, deps: MessageDeps): Promise<void> {
  switch (message.type) {
    case "ready":
      deps.ready();
      return;
    case "search":
      try {
        const result = await deps.server.search({ k: deps.k(), ...message.args });
        deps.post({ type: "search", requestId: message.requestId, result });
      } catch (error) {
        const text = errorMessage(error);
        if (NEEDS_INDEX.test(text) && deps.offerIndex) {
          deps.offerIndex();
          deps.post({ type: "error", requestId: message.requestId, message: "No index yet: run exBERT: Index Workspace, then click the token again." });
        } else {
          deps.post({ type: "error", requestId: message.requestId, message: `Search failed: ${text}` });
        }
      }
      return;
    case "mask":
      try {
        const result = await deps.server.explain({ text: message.text, model: message.model, mask: message.mask, ...(message.rollout ? { rollout: true } : {}) });
        deps.post({ type: "explain", result });
      } catch (error) {
        deps.post({ type: "error", requestId: null, message: `Re-run with mask failed: ${errorMessage(error)}` });
      }
      return;
    case "heads":
      try {
        const result = await deps.server.headSummary(message.layer);
        deps.post({ type: "heads", requestId: message.requestId, result });
      } catch (error) {
        deps.post({ type: "error", requestId: message.requestId, message: `Head summaries failed: ${errorMessage(error)}` });
      }
      return;
    case "reveal":
      try {
        await deps.reveal(message.uri, message.range);
      } catch (error) {
        deps.post({ type: "error", requestId: null, message: `Cannot show ${message.uri}: ${errorMessage(error)}` });
      }
      return;
    case "attentionRows":
      try {
        if (!deps.server.attentionRows) throw new Error("this server has no exbert.attentionRows");
        const result = await deps.server.attentionRows(message.args);
        deps.post({ type: "attentionRows", requestId: message.requestId, result });
      } catch (error) {
        deps.post({ type: "error", requestId: message.requestId, message: `Exact attention rows failed: ${errorMessage(error)}` });
      }
      return;
    case "lens":
      try {
        if (!deps.server.lens) throw new Error("this server has no exbert.lens");
        const result = await deps.server.lens(message.args);
        deps.post({ type: "lens", requestId: message.requestId, result });
      } catch (error) {
        deps.post({ type: "error", requestId: message.requestId, message: `Logit lens failed: ${errorMessage(error)}` });
      }
      return;
    case "ablate":
      try {
        if (!deps.server.ablate) throw new Error("this server has no exbert.ablate");
        if (message.args.scan) {
          const result = await deps.server.ablate({ ...message.args, scan: true });
          deps.post({ type: "ablationScan", requestId: message.requestId, result });
        } else {
          const result = await deps.server.ablate({ ...message.args, scan: false });
          deps.post({ type: "ablation", requestId: message.requestId, result });
        }
      } catch (error) {
        deps.post({ type: "error", requestId: message.requestId, message: `Ablation failed: ${errorMessage(error)}` });
      }
      return;
    case "openDocument":
      try {
        await deps.openDocument?.(message.doc, message.text);
      } catch (error) {
        deps.post({ type: "error", requestId: null, message: `Cannot open ${message.doc}: ${errorMessage(error)}` });
      }
      return;
    case "export": {
      const content =
        message.format === "html"
          ? deps.standaloneHtml(message.payload, message.view)
          : JSON.stringify({ schema: "exbert.page/1", payload: message.payload, view: message.view }, null, 1);
      await deps.save(message.format, content);
      return;
    }
    default:
      assertNever(message);
  }
}
