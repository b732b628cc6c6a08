// Wires the panel together: state, host messages, and which views re-render on which change.
import { assertNever, isHostToWebview, type ExplainPayload, type ExplainResult, type HostToWebview, type SearchPayload, type ViewState } from "../protocol";
import { renderAttention } from "./attentionView";
import { decodeExplain } from "./decode";
import { clear, el } from "./dom";
import { renderHeadStrip } from "./headStrip";
import { renderHeadSummaries } from "./headSummaries";
import { renderHistograms } from "./histograms";
import type { Host } from "./host";
import { renderMatches } from "./matches";
import { renderModelView } from "./modelView";
import { fitView, Store, type PanelState } from "./state";
import { renderDetails } from "./tokenDetails";
import { createToolbar } from "./toolbar";
import { downloadJson } from "./export";

export class App {
  private readonly store: Store;
  private readonly parts = {
    header: el("header", { class: "top" }),
    strip: el("div", { class: "strip" }),
    attention: el("div", { class: "attention-root" }),
    model: el("div", { class: "model-root" }),
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
    });
    const left = el("section", { class: "left" });
    left.append(this.parts.strip, this.parts.attention, this.parts.model);
    const right = el("aside", { class: "right" });
    right.append(this.parts.details, this.parts.heads, this.parts.histograms, this.parts.matches);
    const layout = el("main", { class: "layout" });
    layout.append(left, right);
    clear(root);
    root.append(this.parts.header, this.toolbar.root, layout, this.parts.status);
    this.store.subscribe((state, previous) => this.render(state, previous));
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
        });
        break;
      case "busy":
        this.store.update({ busy: message.message });
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
      const merged = { ...current.view, selected: sameText ? current.view.selected : null, ...(view ?? {}) };
      this.store.update({
        result,
        decoded,
        view: fitView(merged, attention.layers, attention.heads, payload.tokens.length),
        search,
        heads: null,
        error: null,
        busy: null,
      });
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

  private mask(position: number): void {
    const { decoded } = this.store.state;
    if (!decoded) return;
    const current = new Set(decoded.payload.masked);
    if (current.has(position)) current.delete(position);
    else current.add(position);
    this.store.update({ busy: "Re-running with the mask…" });
    this.host.post({ type: "mask", text: decoded.payload.text, model: decoded.payload.model.name, mask: [...current].sort((a, b) => a - b) });
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
    this.host.post({ type: "heads", requestId, layer: view.layer, heads: view.heads });
  }

  private exportAs(format: "html" | "json"): void {
    const { decoded, view } = this.store.state;
    if (!decoded) return;
    const payload: ExplainPayload = decoded.payload;
    if (this.host.connected) this.host.post({ type: "export", format, payload, view });
    else downloadJson(payload, view);
  }

  private renderEmpty(): void {
    this.parts.header.replaceChildren(el("h1", {}, "exBERT"), el("p", { class: "hint" }, "Select text in an editor and run “exBERT: Explain”."));
  }

  private render(state: PanelState, previous: PanelState): void {
    const { decoded, view } = state;
    this.host.save({ result: state.result, view: state.view, search: state.search });
    this.parts.status.textContent = state.error ?? state.busy ?? (state.searchPending !== null ? "Searching the corpus…" : "");
    this.parts.status.classList.toggle("error", state.error !== null);
    if (!decoded) return;
    const changed = decoded !== previous.decoded || view !== previous.view;
    if (decoded !== previous.decoded) this.renderHeader(decoded.payload);
    this.toolbar.sync(view, decoded.attention.layers, this.host.connected, this.host.offlineReason);
    if (changed) {
      const hadFocus = this.parts.attention.contains(document.activeElement);
      renderHeadStrip(this.parts.strip, decoded, view, { setHeads: (heads) => this.store.updateView({ heads }) });
      this.parts.attention.hidden = view.view !== "attention";
      this.parts.model.hidden = view.view !== "model";
      if (view.view === "attention") {
        renderAttention(this.parts.attention, decoded, view, {
          activate: (position) => {
            this.store.updateView({ selected: position });
            this.search(position);
          },
        });
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
    if (changed || state.heads !== previous.heads || state.headsPending !== previous.headsPending) {
      renderHeadSummaries(this.parts.heads, state.heads, state.headsPending !== null, view);
    }
    if (state.search !== previous.search || view.annotation !== previous.view.annotation) {
      if (state.search) {
        renderMatches(this.parts.matches, state.search, view.annotation);
        renderHistograms(this.parts.histograms, state.search, view.annotation);
      } else {
        clear(this.parts.matches);
        clear(this.parts.histograms);
      }
    }
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
    this.parts.header.replaceChildren(title, el("p", { class: "text" }, payload.text), notes);
  }
}
