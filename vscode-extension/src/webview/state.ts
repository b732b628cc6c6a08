// The panel's state: the decoded explanation, the view settings and the latest answers.
import { DEFAULT_VIEW } from "../protocol";
import type { AblationPayload, AblationScanPayload, ExplainResult, HeadsPayload, LensPayload, SearchPayload, ViewState } from "../protocol";
import type { Decoded } from "./decode";

export interface PanelState {
  result: ExplainResult | null; // as received (kept for saving and export)
  decoded: Decoded | null;
  view: ViewState;
  search: SearchPayload | null;
  searchPending: number | null; // requestId awaited
  heads: HeadsPayload | null;
  headsPending: number | null;
  error: string | null;
  busy: string | null;
  rowsPending: number | null; // requestId of an exbert.attentionRows call awaited
  exactVersion: number; // bumped when exact rows arrive (views re-render)
  lens: LensPayload | null; // logit lens of the shown text
  ablation: AblationPayload | null; // the last "ablate selected heads" answer
  scan: AblationScanPayload | null; // the ablation scan of the shown text (beside the model view)
  analysisPending: number | null; // requestId of a lens / ablate call awaited
}

type Listener = (state: PanelState, previous: PanelState) => void;

export class Store {
  private current: PanelState;
  private readonly listeners: Listener[] = [];
  // request ids start anywhere, so an answer meant for a webview before a reload cannot match
  private nextId = Math.floor(Math.random() * 1e9);

  constructor(view: Partial<ViewState> | null) {
    this.current = {
      result: null,
      decoded: null,
      view: { ...DEFAULT_VIEW, ...(view ?? {}) },
      search: null,
      searchPending: null,
      heads: null,
      headsPending: null,
      error: null,
      busy: null,
      rowsPending: null,
      exactVersion: 0,
      lens: null,
      ablation: null,
      scan: null,
      analysisPending: null,
    };
  }

  get state(): PanelState {
    return this.current;
  }

  requestId(): number {
    return this.nextId++;
  }

  update(patch: Partial<PanelState>): void {
    const previous = this.current;
    this.current = { ...previous, ...patch };
    for (const listener of this.listeners) listener(this.current, previous);
  }

  updateView(patch: Partial<ViewState>): void {
    this.update({ view: { ...this.current.view, ...patch } });
  }

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }
}

/** A view state that fits a model with `layers` x `heads`; out-of-range settings are reset. */
export function fitView(view: ViewState, layers: number, heads: number, tokens: number): ViewState {
  // 0 (the embeddings) is a layer too: only null (auto) and out-of-range values become the middle
  const layer = view.layer !== null && view.layer >= 0 && view.layer <= layers ? view.layer : Math.max(1, Math.floor(layers / 2));
  return {
    ...view,
    layer,
    heads: view.heads.filter((h) => h >= 0 && h < heads),
    threshold: Math.min(1, Math.max(0.05, view.threshold)),
    selected: view.selected !== null && view.selected >= 0 && view.selected < tokens ? view.selected : null,
    view: view.view === "matrix" || view.view === "model" || view.view === "lens" ? view.view : "attention",
  };
}
