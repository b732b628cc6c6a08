// The controls row. Built once; `sync` writes the state into it (so a dragged slider keeps focus).
import { attentionLayer, type AnnotationKind, type SearchBy, type ViewState } from "../protocol";
import { el, percent } from "./dom";

export interface ToolbarHandlers {
  view(patch: Partial<ViewState>): void;
  headSummaries(): void;
  exportAs(format: "html" | "json"): void;
  /** Re-run the text with the selected heads ablated (exbert.ablate). */
  ablate(): void;
  /** Every head ablated alone: the L x H heat map beside the model view. */
  ablationScan(): void;
}

export interface Toolbar {
  root: HTMLElement;
  /** `noAnalyses`: why the lens and ablations are unavailable for this model ("" when they are). */
  sync(view: ViewState, layers: number, connected: boolean, offlineReason: string, note?: string, noAnalyses?: string): void;
}

function labelled(text: string, control: HTMLElement, ...rest: HTMLElement[]): HTMLLabelElement {
  const label = el("label", { class: "control" });
  label.append(el("span", { class: "control-name" }, text), control, ...rest);
  return label;
}

function options<T extends string>(select: HTMLSelectElement, items: [T, string][]): void {
  select.replaceChildren(...items.map(([value, text]) => el("option", { value }, text)));
}

export function createToolbar(on: ToolbarHandlers): Toolbar {
  const root = el("div", { class: "toolbar", role: "toolbar", "aria-label": "View controls" });
  const tabs = el("div", { class: "tabs", role: "tablist" });
  const tab = (id: ViewState["view"], text: string) => {
    const button = el("button", { type: "button", role: "tab", "data-view": id }, text);
    button.addEventListener("click", () => on.view({ view: id }));
    return button;
  };
  const attentionTab = tab("attention", "Lines");
  attentionTab.title = "Two token columns joined by lines (a window of rows for long inputs)";
  const matrixTab = tab("matrix", "Matrix");
  matrixTab.title = "Heat-map of the selected heads' mean: drag to zoom, hover for a pair's weight";
  const modelTab = tab("model", "Model view");
  const lensTab = tab("lens", "Logit lens");
  lensTab.title = "What each layer's hidden state predicts: layers x tokens, the target's probability as colour";
  tabs.append(attentionTab, matrixTab, modelTab, lensTab);

  const layer = el("select", { "aria-label": "Layer", "data-control": "layer" });
  layer.addEventListener("change", () => on.view({ layer: Number(layer.value) }));
  const threshold = el("input", { type: "range", min: "5", max: "100", step: "5", "aria-label": "Cumulative attention kept per token", "data-control": "threshold" });
  const thresholdOut = el("output", { class: "value" });
  const thresholdNote = el("span", { class: "threshold-note", "data-role": "threshold-note" });
  threshold.addEventListener("input", () => on.view({ threshold: Number(threshold.value) / 100 }));
  const rollout = el("input", { type: "checkbox", "data-control": "rollout" });
  rollout.addEventListener("change", () => on.view({ rollout: rollout.checked }));
  const hide = el("input", { type: "checkbox", "data-control": "hide-special" });
  hide.addEventListener("change", () => on.view({ hideSpecial: hide.checked }));
  const by = el("select", { "aria-label": "Search by", "data-control": "by" });
  options<SearchBy>(by, [["embedding", "hidden state"], ["context", "context (selected heads)"]]);
  by.addEventListener("change", () => on.view({ by: by.value as SearchBy }));
  const colour = el("select", { "aria-label": "Colour annotations by", "data-control": "annotation" });
  options<AnnotationKind>(colour, [["pos", "POS"], ["dep", "DEP"], ["ent_type", "entity"]]);
  colour.addEventListener("change", () => on.view({ annotation: colour.value as AnnotationKind }));

  const summaries = el("button", { type: "button", "data-action": "heads" }, "Head summaries");
  summaries.addEventListener("click", () => on.headSummaries());
  const ablate = el("button", { type: "button", "data-action": "ablate" }, "Ablate selected heads");
  ablate.addEventListener("click", () => on.ablate());
  const scan = el("button", { type: "button", "data-action": "ablation-scan" }, "Ablation scan");
  scan.addEventListener("click", () => on.ablationScan());
  const exportHtml = el("button", { type: "button", "data-action": "export-html" }, "Export HTML");
  exportHtml.addEventListener("click", () => on.exportAs("html"));
  const exportJson = el("button", { type: "button", "data-action": "export-json" }, "Export JSON");
  exportJson.addEventListener("click", () => on.exportAs("json"));

  const hideLabel = el("label", { class: "control check" });
  hideLabel.append(hide, el("span", {}, "Hide special tokens"));
  hideLabel.title = "Hide [CLS], [SEP], <s>…: the threshold then applies to each row's mass to the visible tokens";
  const rolloutLabel = el("label", { class: "control check" });
  rolloutLabel.append(rollout, el("span", {}, "Rollout"));
  rolloutLabel.title = "Lines: attention rollout through the layer (heads averaged, residual added, multiplied through the layers; Abnar & Zuidema 2020)";
  root.append(
    tabs,
    labelled("Layer", layer),
    labelled("Threshold", threshold, thresholdOut, thresholdNote),
    hideLabel,
    rolloutLabel,
    labelled("Search by", by),
    labelled("Colour", colour),
    el("span", { class: "spacer" }),
    summaries,
    ablate,
    scan,
    exportHtml,
    exportJson,
  );

  return {
    root,
    sync(view, layers, connected, offlineReason, note = "", noAnalyses = "") {
      thresholdNote.textContent = note;
      thresholdNote.hidden = !note;
      if (layer.options.length !== layers + 1) {
        options(layer, Array.from({ length: layers + 1 }, (_, i) => [String(i), i ? `L${i}` : "L0 · embeddings"] as [string, string]));
      }
      layer.value = String(view.layer ?? "");
      threshold.value = String(Math.round(view.threshold * 100));
      thresholdOut.textContent = percent(view.threshold);
      hide.checked = view.hideSpecial;
      rollout.checked = view.rollout ?? false;
      rollout.disabled = view.view !== "attention";
      by.value = view.by;
      colour.value = view.annotation;
      for (const [button, id] of [[attentionTab, "attention"], [matrixTab, "matrix"], [modelTab, "model"], [lensTab, "lens"]] as const) {
        button.setAttribute("aria-selected", String(view.view === id));
      }
      summaries.disabled = !connected;
      summaries.title = connected ? `Corpus statistics of the selected heads of L${attentionLayer(view)}` : offlineReason;
      const chosen = view.heads.length ? view.heads.map((h) => `H${h}`).join(" ") : "";
      const unavailable = !connected ? offlineReason : noAnalyses;
      ablate.disabled = unavailable !== "" || !chosen;
      ablate.title = unavailable || (chosen ? `Re-run with L${attentionLayer(view)} ${chosen} ablated (zero)` : "Select heads in the head strip first");
      scan.disabled = unavailable !== "";
      scan.title = unavailable || "Ablate every head alone: Δ loss per head, shown beside the model view";
      lensTab.disabled = unavailable !== "";
      lensTab.title = unavailable || "What each layer's hidden state predicts (exbert.lens)";
      exportHtml.disabled = !connected;
      exportHtml.title = connected ? "Save this view as a standalone HTML page" : "This page is already standalone: save it with your browser (Ctrl+S)";
      exportJson.title = "Save the explain payload and the view settings as JSON";
    },
  };
}
