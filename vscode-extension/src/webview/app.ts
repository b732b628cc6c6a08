// Wires the panel together: state, host messages, and which views re-render on which change.
import { assertNever, attentionLayer, isHostToWebview, type ExplainPayload, type ExplainResult, type HostToWebview, type SearchPayload, type ViewState } from "../protocol";
import { forgetMean } from "./attention";
import { renderAblationResult, renderAblationScan } from "./ablation";
import { renderAttention } from "./attentionView";
import { decodeExplain, decodeFloats, SparseTensor } from "./decode";
import { clear, el } from "./dom";
import { renderHeadStrip } from "./headStrip";
import { renderHeadSummaries } from "./headSummaries";
import { renderHistograms } from "./histograms";
import type { Host } from "./host";
import { renderLens } from "./lens";
import { renderMatches } from "./matches";
import { renderMatrix } from "./matrixView";
import { renderModelView } from "./modelView";
import { fitView, Store, type PanelState } from "./state";
import { renderDetails } from "./tokenDetails";
import { createToolbar } from "./toolbar";
import { downloadJson } from "./export";

/** Above this many tokens the panel opens on the matrix view (lines stay one click away). */
export const LONG_INPUT = 160;

export class App {
  private readonly store: Store;
  private readonly parts = {
    header: el("header", { class: "top" }),
    strip: el("div", { class: "strip" }),
    attention: el("div", { class: "attention-root" }),
    matrix: el("div", { class: "matrix-root" }),
    model: el("div", { class: "model-root" }),
    lens: el("div", { class: "lens-root" }),
    scan: el("section", { class: "ablation-scan-root", "aria-label": "Ablation scan" }),
    ablation: el("section", { class: "ablation-root", "aria-label": "Ablation" }),
    details: el("section", { class: "details", "aria-label": "Selected token" }),
    heads: el("section", { class: "head-summary-root", "aria-label": "Head summaries" }),
    histograms: el("section", { class: "histograms-root", "aria-label": "Histograms" }),
    matches: el("section", { class: "matches-root", "aria-label": "Matches" }),
    status: el("div", { class: "status", role: "status", "aria-live": "polite" }),
  };
  private readonly toolbar;

  constructor(root: HTMLElement, private readonly host: Host) {
    const saved = host.load();
    this.store = new Store(saved.view);
    this.toolbar = createToolbar({
      view: (patch) => this.store.updateView(patch),
      headSummaries: () => this.requestHeads(),
      exportAs: (format) => this.exportAs(format),
      ablate: () => this.ablate(false),
      ablationScan: () => this.ablate(true),
    });
    const left = el("section", { class: "left" });
    // the scan's heat map sits beside the model view (same rows: layers; same columns: heads)
    const model = el("div", { class: "model-pair" });
    model.append(this.parts.model, this.parts.scan);
    left.append(this.parts.strip, this.parts.attention, this.parts.matrix, model, this.parts.lens, this.parts.ablation);
    // details, then the matches, then their histograms (after the first matches), then head summaries
    const right = el("aside", { class: "right" });
    right.append(this.parts.details, this.parts.matches, this.parts.histograms, this.parts.heads);
    const layout = el("main", { class: "layout" });
    layout.append(left, right);
    clear(root);
    root.append(this.parts.header, this.toolbar.root, layout, this.parts.status);
    this.store.subscribe((state, previous) => this.render(state, previous));
    // the right column sticks below the toolbar, whose height changes as it wraps
    const bar = this.toolbar.root;
    new ResizeObserver(() => document.documentElement.style.setProperty("--toolbar-h", `${bar.offsetHeight + 4}px`)).observe(bar);
    if (saved.result) void this.show(saved.result, saved.view ?? undefined, saved.search);
    else this.renderEmpty();
  }

  /** Entry point for host messages (window "message" events). */
  receive(data: unknown): void {
    if (!isHostToWebview(data)) return;
    const message: HostToWebview = data;
    const state = this.store.state;
    switch (message.type) {
      case "explain":
        void this.show(message.result, message.view);
        break;
      case "search":
        if (message.requestId === state.searchPending) this.store.update({ search: message.result, searchPending: null, error: null });
        break;
      case "heads":
        if (message.requestId === state.headsPending) this.store.update({ heads: message.result, headsPending: null });
        break;
      case "error":
        this.store.update({
          error: message.message,
          busy: null,
          searchPending: message.requestId === state.searchPending ? null : state.searchPending,
          headsPending: message.requestId === state.headsPending ? null : state.headsPending,
          rowsPending: message.requestId === state.rowsPending ? null : state.rowsPending,
          analysisPending: message.requestId === state.analysisPending ? null : state.analysisPending,
        });
        break;
      case "busy":
        this.store.update({ busy: message.message });
        break;
      case "attentionRows":
        if (message.requestId === state.rowsPending) void this.exactRows(message.result);
        break;
      case "lens":
        if (message.requestId === state.analysisPending) this.store.update({ lens: message.result, analysisPending: null, busy: null });
        break;
      case "ablation":
        if (message.requestId === state.analysisPending) this.store.update({ ablation: message.result, analysisPending: null, busy: null });
        break;
      case "ablationScan":
        if (message.requestId === state.analysisPending) this.store.update({ scan: message.result, analysisPending: null, busy: null });
        break;
      default:
        assertNever(message);
    }
  }

  private async show(result: ExplainResult, view?: Partial<ViewState>, search: SearchPayload | null = null): Promise<void> {
    try {
      const decoded = await decodeExplain(result);
      const { attention, payload } = decoded;
      // a new text drops the selected token (a re-run of the same text, e.g. masked, keeps it)
      const current = this.store.state;
      const sameText = current.decoded?.payload.text === payload.text;
      const fresh = sameText ? {} : { selected: null, window: null, zoom: null, view: payload.tokens.length > LONG_INPUT ? ("matrix" as const) : ("attention" as const) };
      const merged = { ...current.view, ...fresh, ...(view ?? {}) };
      this.store.update({
        result,
        decoded,
        view: fitView(merged, attention.layers, attention.heads, payload.tokens.length),
        search,
        heads: null,
        error: null,
        busy: null,
        rowsPending: null,
        // analyses belong to a text: a new text drops them (a re-run of the same text keeps them)
        ...(sameText ? {} : { lens: null, ablation: null, scan: null, analysisPending: null }),
      });
      this.fetchRows();
      this.requestLens();
      this.requestRollout();
    } catch (error) {
      this.store.update({ error: `Cannot show this result: ${(error as Error).message}`, busy: null });
    }
  }

  private search(position: number): void {
    const { decoded, view } = this.store.state;
    if (!decoded || !this.host.connected || decoded.payload.tokens[position]?.special) return;
    const requestId = this.store.requestId();
    this.store.update({ searchPending: requestId, error: null });
    this.host.post({
      type: "search",
      requestId,
      args: { text: decoded.payload.text, token: position, layer: view.layer, by: view.by, ...(view.heads.length ? { heads: view.heads } : {}) },
    });
  }

  /**
   * Sparse payloads: fetch the exact rows of the selected token for the selected heads (all heads
   * when none), so its details and lines use every weight, not only the strongest sent.
   */
  private fetchRows(): void {
    const { decoded, view, rowsPending } = this.store.state;
    if (!decoded || !(decoded.attention instanceof SparseTensor) || !this.host.connected || view.selected === null || rowsPending !== null) return;
    const att = decoded.attention;
    const heads = view.heads.length ? view.heads : Array.from({ length: att.heads }, (_, h) => h);
    const q = view.selected;
    const missing = heads.filter((h) => !att.exactRow(attentionLayer(view) - 1, h, q));
    if (!missing.length) return;
    const requestId = this.store.requestId();
    this.store.update({ rowsPending: requestId });
    const p = decoded.payload;
    this.host.post({ type: "attentionRows", requestId, args: { text: p.text, model: p.model.name, ...(p.masked.length ? { mask: p.masked } : {}), layer: attentionLayer(view), heads: missing, rows: [q] } });
  }

  private async exactRows(result: import("../protocol").AttentionRowsPayload): Promise<void> {
    const { decoded } = this.store.state;
    if (!decoded || !(decoded.attention instanceof SparseTensor)) return;
    try {
      const weights = await decodeFloats(result.weights);
      const T = decoded.attention.size;
      const rows = result.rows ?? Array.from({ length: T }, (_, i) => i);
      const per = rows.length * T;
      result.heads.forEach((h, i) => (decoded.attention as SparseTensor).setExactRows(result.layer - 1, h, rows, weights.subarray(i * per, (i + 1) * per)));
      forgetMean();
      this.store.update({ rowsPending: null, exactVersion: this.store.state.exactVersion + 1 });
      this.fetchRows(); // the selection may have moved meanwhile
    } catch (error) {
      this.store.update({ rowsPending: null, error: `Cannot read the exact rows: ${(error as Error).message}` });
    }
  }

  /** The lens tab is open and this text has no lens yet: ask the host (exbert.lens). */
  private requestLens(): void {
    const { decoded, view, lens, analysisPending } = this.store.state;
    if (!decoded || view.view !== "lens" || lens !== null || analysisPending !== null || !this.host.connected || decoded.payload.model.lm_head === null) return;
    const requestId = this.store.requestId();
    this.store.update({ analysisPending: requestId, busy: "Running the logit lens…" });
    this.host.post({ type: "lens", requestId, args: { text: decoded.payload.text, model: decoded.payload.model.name } });
  }

  /** "Ablate selected heads" (`scan` false: the selected heads of the layer together) or the scan (every head alone). */
  private ablate(scan: boolean): void {
    const { decoded, view } = this.store.state;
    if (!decoded || !this.host.connected || (!scan && !view.heads.length)) return;
    const requestId = this.store.requestId();
    this.store.update({ analysisPending: requestId, busy: scan ? "Ablating every head alone…" : "Re-running with the heads ablated…" });
    const text = decoded.payload.text;
    const model = decoded.payload.model.name;
    const args = scan ? { text, model, scan: true } : { text, model, heads: view.heads.map((h) => [attentionLayer(view), h]), mode: "zero" as const };
    this.host.post({ type: "ablate", requestId, args });
    if (scan && view.view !== "model") this.store.updateView({ view: "model" });
  }

  /** Rollout asked for but not in the payload: re-run the text with it (exbert.explain rollout). */
  private requestRollout(): void {
    const { decoded, view, busy } = this.store.state;
    if (!decoded || !view.rollout || decoded.rollout !== null || !this.host.connected || busy !== null) return;
    this.store.update({ busy: "Computing the attention rollout…" });
    const p = decoded.payload;
    this.host.post({ type: "mask", text: p.text, model: p.model.name, mask: [...p.masked], rollout: true });
  }

  private openDocument(doc: string, sentence: number, text: string): void {
    if (this.host.connected) this.host.post({ type: "openDocument", doc, sentence, text });
  }

  private mask(position: number): void {
    const { decoded } = this.store.state;
    if (!decoded) return;
    const current = new Set(decoded.payload.masked);
    if (current.has(position)) current.delete(position);
    else current.add(position);
    this.store.update({ busy: "Re-running with the mask…" });
    const rollout = this.store.state.view.rollout ? { rollout: true } : {};
    this.host.post({ type: "mask", text: decoded.payload.text, model: decoded.payload.model.name, mask: [...current].sort((a, b) => a - b), ...rollout });
  }

  private reveal(position: number): void {
    const { decoded } = this.store.state;
    const range = decoded?.payload.tokens[position]?.range;
    const uri = decoded?.payload.document?.uri;
    if (uri && range) this.host.post({ type: "reveal", uri, range });
  }

  private requestHeads(): void {
    const { view } = this.store.state;
    const requestId = this.store.requestId();
    this.store.update({ headsPending: requestId });
    this.host.post({ type: "heads", requestId, layer: attentionLayer(view), heads: view.heads });
  }

  private exportAs(format: "html" | "json"): void {
    const { decoded, view } = this.store.state;
    if (!decoded) return;
    const payload: ExplainPayload = decoded.payload;
    if (this.host.connected) this.host.post({ type: "export", format, payload, view });
    else downloadJson(payload, view);
  }

  private renderEmpty(): void {
    const hint = this.host.connected
      ? "Select text in an editor and run “exBERT: Explain”."
      : "This standalone page has no explain payload in it. Write one with `exbert explain \"TEXT\" --html page.html` (or Export HTML in VS Code): such a page shows the attention lines, the matrix and model views, token details and predictions, and keeps its view in the address (#layer=…). It cannot search the corpus, mask tokens or load head summaries: those need the exBERT extension or `exbert-ls`.";
    this.parts.header.replaceChildren(el("h1", {}, "exBERT"), el("p", { class: "hint empty-state" }, hint));
  }

  private render(state: PanelState, previous: PanelState): void {
    const { decoded, view } = state;
    this.host.save({ result: state.result, view: state.view, search: state.search });
    this.parts.status.textContent = state.error ?? state.busy ?? (state.searchPending !== null ? "Searching the corpus…" : "");
    this.parts.status.classList.toggle("error", state.error !== null);
    if (!decoded) return;
    const changed = decoded !== previous.decoded || view !== previous.view || state.exactVersion !== previous.exactVersion;
    if (decoded !== previous.decoded) this.renderHeader(decoded.payload);
    const model = decoded.payload.model;
    const noAnalyses = model.lm_head === null ? `${model.name} has no LM head: the logit lens and ablations need a causal or masked LM` : "";
    this.toolbar.sync(view, decoded.attention.layers, this.host.connected, this.host.offlineReason, this.thresholdNote(state), noAnalyses);
    if (view.selected !== previous.view.selected || view.layer !== previous.view.layer || view.heads !== previous.view.heads) this.fetchRows();
    if (view.view !== previous.view.view) this.requestLens();
    if (view.rollout !== previous.view.rollout) this.requestRollout();
    if (changed) {
      const hadFocus = this.parts.attention.contains(document.activeElement);
      renderHeadStrip(this.parts.strip, decoded, view, { setHeads: (heads) => this.store.updateView({ heads }) });
      this.parts.attention.hidden = view.view !== "attention";
      this.parts.matrix.hidden = view.view !== "matrix";
      this.parts.model.hidden = view.view !== "model";
      this.parts.lens.hidden = view.view !== "lens";
      const activate = (position: number) => {
        this.store.updateView({ selected: position, window: null });
        this.search(position);
      };
      if (view.view === "matrix") {
        renderMatrix(this.parts.matrix, decoded, view, { activate, zoom: (zoom) => this.store.updateView({ zoom }) });
      } else if (view.view === "attention") {
        renderAttention(this.parts.attention, decoded, view, { activate, scrollWindow: (first) => this.store.updateView({ window: first }) });
        if (hadFocus && view.selected !== null) {
          this.parts.attention.querySelector<SVGGElement>(`.tokens.left .token[data-position="${view.selected}"]`)?.focus();
        }
      } else {
        renderModelView(this.parts.model, decoded, view, { focus: (layer, head) => this.store.updateView({ layer, heads: [head], view: "attention" }) });
      }
      renderDetails(this.parts.details, decoded, view, this.host, {
        search: (p) => this.search(p),
        mask: (p) => this.mask(p),
        reveal: (p) => this.reveal(p),
      });
    }
    this.renderAnalyses(state, previous);
    if (changed || state.heads !== previous.heads || state.headsPending !== previous.headsPending) {
      renderHeadSummaries(this.parts.heads, state.heads, state.headsPending !== null, view);
    }
    if (state.search !== previous.search || view.annotation !== previous.view.annotation || view.layer !== previous.view.layer || view.heads !== previous.view.heads || view.by !== previous.view.by) {
      if (state.search) {
        const open = this.parts.histograms.querySelector("details")?.open ?? true;
        renderMatches(this.parts.matches, state.search, view.annotation, view, this.host.connected ? { open: (m) => this.openDocument(m.doc, m.sentence, m.text) } : {});
        renderHistograms(this.parts.histograms, state.search, view.annotation, view, open);
        // a new answer: bring the first matches into view (the right column scrolls on its own)
        if (state.search !== previous.search) this.revealMatches();
      } else {
        clear(this.parts.matches);
        clear(this.parts.histograms);
      }
    }
  }

  private renderAnalyses(state: PanelState, previous: PanelState): void {
    const { view } = state;
    if (state.lens !== previous.lens || view.view !== previous.view.view) {
      if (state.lens && view.view === "lens") renderLens(this.parts.lens, state.lens);
      else if (view.view === "lens") this.parts.lens.replaceChildren(el("p", { class: "hint" }, this.host.connected ? "Running the logit lens…" : this.host.offlineReason));
    }
    this.parts.scan.hidden = view.view !== "model" || state.scan === null;
    if (state.scan !== previous.scan) {
      if (state.scan) renderAblationScan(this.parts.scan, state.scan);
      else clear(this.parts.scan);
    }
    this.parts.ablation.hidden = state.ablation === null;
    if (state.ablation !== previous.ablation) {
      if (state.ablation) renderAblationResult(this.parts.ablation, state.ablation);
      else clear(this.parts.ablation);
    }
  }

  /** Scroll the first matches into view, keeping the token details above them when both fit. */
  private revealMatches(): void {
    const aside = this.parts.matches.parentElement;
    const first = this.parts.matches.querySelector("tbody tr") ?? this.parts.matches;
    if (!aside) return;
    const box = first.getBoundingClientRect();
    const view = aside.getBoundingClientRect();
    const bottom = Math.min(view.bottom, window.innerHeight);
    if (box.top >= Math.max(view.top, 0) && box.bottom <= bottom) return; // already visible
    first.scrollIntoView({ block: "end" });
    if (first.getBoundingClientRect().bottom > window.innerHeight) window.scrollBy(0, first.getBoundingClientRect().bottom - window.innerHeight + 8);
  }

  private thresholdNote(state: PanelState): string {
    const att = state.decoded?.attention;
    if (!att || att.sparseMass === null) return "";
    const sent = `sent: each row's strongest ${Math.round(att.sparseMass * 100)} %`;
    if (state.rowsPending !== null) return `${sent}; fetching the selected token's exact rows…`;
    if (state.view.threshold <= att.sparseMass) return sent;
    return this.host.connected ? `${sent}; above it only fetched rows (the selected token's) are exact` : `${sent}; a standalone page cannot fetch more`;
  }

  private renderHeader(payload: ExplainPayload): void {
    const m = payload.model;
    const title = el("div", { class: "title" });
    title.append(el("h1", {}, "exBERT"), el("span", { class: "model" }, `${m.name} · ${m.model_type ?? "model"} · ${m.num_layers} layers × ${m.num_heads} heads`));
    if (payload.causal) {
      title.append(el("span", { class: "badge", title: "Causal model: each token attends only to itself and earlier tokens" }, "causal: attends left only"));
    }
    if (payload.masked.length) title.append(el("span", { class: "badge" }, `masked: ${payload.masked.join(", ")}`));
    const notes = el("ul", { class: "notes" });
    for (const note of payload.notes) notes.append(el("li", {}, note));
    // long inputs: three lines of the text, the rest on click (the view matters more than the prose)
    const text = el("p", { class: "text", title: "Click to show the whole text" }, payload.text);
    text.addEventListener("click", () => text.classList.toggle("open"));
    this.parts.header.replaceChildren(title, text, notes);
  }
}
