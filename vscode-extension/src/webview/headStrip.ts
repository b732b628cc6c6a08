// Head selector: one toggle button per head with its heat-map; selected heads are averaged.
import { attentionLayer, type ViewState } from "../protocol";
import { visiblePositions } from "./attention";
import type { Decoded } from "./decode";
import { clear, el } from "./dom";
import { cssColor, drawHead } from "./heatmap";

export interface HeadStripHandlers {
  setHeads(heads: number[]): void;
}

export function renderHeadStrip(root: HTMLElement, decoded: Decoded, view: ViewState, on: HeadStripHandlers): void {
  clear(root);
  const { attention, payload } = decoded;
  const visible = visiblePositions(payload.tokens, view.hideSpecial);
  const color = cssColor("--accent", "#3b82f6");
  const all = view.heads.length === 0;
  const label = el("span", { class: "strip-label" }, all ? `all ${attention.heads} heads (mean)` : `${view.heads.length} selected (mean)`);
  const reset = el("button", { class: "link", type: "button", title: "Select every head" }, "all");
  reset.disabled = all;
  reset.addEventListener("click", () => on.setHeads([]));
  root.append(el("div", { class: "strip-head" }), label, reset);
  const list = el("div", { class: "heads", role: "group", "aria-label": "Heads" });
  for (let h = 0; h < attention.heads; h++) {
    const on_ = all || view.heads.includes(h);
    const button = el("button", {
      type: "button",
      class: `head${on_ ? " on" : ""}`,
      "aria-pressed": String(!all && on_),
      "data-head": String(h),
      title: `L${attentionLayer(view)} H${h}: click to toggle, Shift+click to show only this head`,
    });
    const canvas = el("canvas", { class: "heatmap", "aria-hidden": "true" });
    drawHead(canvas, attention, attentionLayer(view) - 1, h, visible, color);
    button.append(canvas, el("span", {}, `H${h}`));
    button.addEventListener("click", (event) => on.setHeads(toggle(view.heads, h, attention.heads, event.shiftKey)));
    list.append(button);
  }
  root.append(list);
}

/** Next head selection after clicking head `h` (an empty list means all heads). */
export function toggle(heads: readonly number[], h: number, total: number, only: boolean): number[] {
  if (only || heads.length === 0) return [h];
  const next = heads.includes(h) ? heads.filter((x) => x !== h) : [...heads, h].sort((a, b) => a - b);
  return next.length === total ? [] : next;
}
