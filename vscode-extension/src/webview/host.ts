// Where the panel runs: inside VS Code (acquireVsCodeApi, messages to the extension) or in a
// standalone page (payload embedded as JSON; host-dependent actions disabled).
import type { ExplainResult, SearchPayload, ViewState, WebviewToHost } from "../protocol";

export interface SavedState {
  result: ExplainResult | null;
  view: ViewState | null;
  search?: SearchPayload | null;
}

export interface Host {
  /** Present when a host can run searches, masking, head summaries and file exports. */
  readonly connected: boolean;
  /** Why host actions are unavailable (shown beside disabled controls). */
  readonly offlineReason: string;
  post(message: WebviewToHost): void;
  load(): SavedState;
  save(state: SavedState): void;
}

declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};

class VsCodeHost implements Host {
  readonly connected = true;
  readonly offlineReason = "";
  private readonly api = acquireVsCodeApi();

  post(message: WebviewToHost): void {
    this.api.postMessage(message);
  }

  load(): SavedState {
    const state = this.api.getState() as Partial<SavedState> | undefined;
    return { result: state?.result ?? null, view: state?.view ?? null, search: state?.search ?? null };
  }

  save(state: SavedState): void {
    this.api.setState(state);
  }
}

export const STANDALONE_REASON =
  "This is a standalone page: corpus search, masking and head summaries need the exBERT extension (or `exbert-ls`) running.";

class StandaloneHost implements Host {
  readonly connected = false;
  readonly offlineReason = STANDALONE_REASON;
  private state: SavedState;

  constructor(doc: Document) {
    this.state = { result: readJson<ExplainResult>(doc, "exbert-payload"), view: readJson<ViewState>(doc, "exbert-view") };
  }

  post(): void {
    // Nothing to talk to; controls that would post are disabled in this mode.
  }

  load(): SavedState {
    return this.state;
  }

  save(state: SavedState): void {
    this.state = state;
  }
}

function readJson<T>(doc: Document, id: string): T | null {
  const text = doc.getElementById(id)?.textContent;
  return text ? (JSON.parse(text) as T) : null;
}

export function detectHost(doc: Document): Host {
  return typeof acquireVsCodeApi === "function" ? new VsCodeHost() : new StandaloneHost(doc);
}
