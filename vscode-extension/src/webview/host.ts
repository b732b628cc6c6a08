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

/** The view state a standalone page keeps in its URL hash: `#layer=3&heads=8,11&threshold=0.5&view=matrix&token=5`. */
export function viewToHash(view: ViewState): string {
  const parts = [`layer=${view.layer}`, `heads=${view.heads.join(",")}`, `threshold=${view.threshold}`, `view=${view.view}`];
  if (view.selected !== null) parts.push(`token=${view.selected}`);
  if (view.hideSpecial === false) parts.push("special=1");
  return `#${parts.join("&")}`;
}

export function viewFromHash(hash: string): Partial<ViewState> {
  const out: Partial<ViewState> = {};
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const int = (v: string | null) => (v !== null && /^\d+$/.test(v) ? Number(v) : null);
  const layer = int(params.get("layer"));
  if (layer !== null) out.layer = layer;
  const heads = params.get("heads");
  if (heads !== null) out.heads = heads.split(",").map(int).filter((h): h is number => h !== null);
  const threshold = Number(params.get("threshold"));
  if (params.has("threshold") && Number.isFinite(threshold)) out.threshold = threshold;
  const view = params.get("view");
  if (view === "attention" || view === "matrix" || view === "model") out.view = view;
  if (params.has("token")) out.selected = int(params.get("token"));
  if (params.get("special") === "1") out.hideSpecial = false;
  return out;
}

class StandaloneHost implements Host {
  readonly connected = false;
  readonly offlineReason = STANDALONE_REASON;
  private state: SavedState;

  constructor(private readonly doc: Document) {
    // the hash wins over the view embedded at export: it is what this page showed before a reload
    const embedded = readJson<ViewState>(doc, "exbert-view");
    const fromHash = viewFromHash(doc.location?.hash ?? "");
    const view = embedded || Object.keys(fromHash).length ? ({ ...(embedded ?? {}), ...fromHash } as ViewState) : null;
    this.state = { result: readJson<ExplainResult>(doc, "exbert-payload"), view };
  }

  post(): void {
    // Nothing to talk to; controls that would post are disabled in this mode.
  }

  load(): SavedState {
    return this.state;
  }

  save(state: SavedState): void {
    this.state = state;
    if (state.view && state.result) {
      const hash = viewToHash(state.view);
      if (this.doc.location.hash !== hash) history.replaceState(null, "", hash);
    }
  }
}

function readJson<T>(doc: Document, id: string): T | null {
  const text = doc.getElementById(id)?.textContent;
  return text ? (JSON.parse(text) as T) : null;
}

export function detectHost(doc: Document): Host {
  return typeof acquireVsCodeApi === "function" ? new VsCodeHost() : new StandaloneHost(doc);
}
