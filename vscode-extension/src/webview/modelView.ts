// Model view: every layer x head as a thumbnail; clicking one focuses it in the attention view.
import type { ViewState } from "../protocol";
import { visiblePositions } from "./attention";
import type { Decoded } from "./decode";
import { clear, el } from "./dom";
import { cssColor, drawHead } from "./heatmap";

export interface ModelViewHandlers {
  focus(layer: number, head: number): void;
}

export function renderModelView(root: HTMLElement, decoded: Decoded, view: ViewState, on: ModelViewHandlers): void {
  clear(root);
  const { attention, payload } = decoded;
  const visible = visiblePositions(payload.tokens, view.hideSpecial);
  const color = cssColor("--accent", "#3b82f6");
  const grid = el("div", { class: "model-grid", role: "group", "aria-label": "All layers and heads" });
  grid.style.setProperty("--heads", String(attention.heads));
  grid.append(el("span", { class: "corner" }));
  for (let h = 0; h < attention.heads; h++) grid.append(el("span", { class: "col-label" }, `H${h}`));
  for (let l = 1; l <= attention.layers; l++) {
    grid.append(el("span", { class: "row-label" }, `L${l}`));
    for (let h = 0; h < attention.heads; h++) {
      const current = l === view.layer && (view.heads.length === 0 || view.heads.includes(h));
      const button = el("button", {
        type: "button",
        class: `thumb${current ? " current" : ""}`,
        "data-layer": String(l),
        "data-head": String(h),
        "aria-label": `Layer ${l} head ${h}`,
        title: `L${l} H${h}: open in the attention view`,
      });
      const canvas = el("canvas", { class: "heatmap", "aria-hidden": "true" });
      drawHead(canvas, attention, l - 1, h, visible, color);
      button.append(canvas);
      button.addEventListener("click", () => on.focus(l, h));
      grid.append(button);
    }
  }
  root.append(grid);
}
