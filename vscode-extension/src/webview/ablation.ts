// Ablation heat map (issue 12): the `exbert.ablate` scan's L x H grid of loss changes when each
// head alone is ablated (rows = layers 1..L, columns = heads 0..H-1). Red: ablating the head
// raises the loss (it helps the model on this text); blue: lowers it. Rendering only; the
// panel owns where it appears.
import { clear, el } from "./dom";

import type { AblationScan } from "../generated/payloads";

export type { AblationScan };

/** Symmetric colour scale bound: the largest |Δ loss| (at least 1e-6, so an all-zero grid is blank). */
export function scanBound(scan: AblationScan): number {
  let bound = 1e-6;
  for (const row of scan.delta_loss) for (const d of row) bound = Math.max(bound, Math.abs(d));
  return bound;
}

/** The `n` heads whose ablation raises the loss most, as [layer (1-based), head (0-based), Δ]. */
export function topHeads(scan: AblationScan, n: number): [number, number, number][] {
  const all: [number, number, number][] = [];
  scan.delta_loss.forEach((row, l) => row.forEach((d, h) => all.push([l + 1, h, d])));
  return all.sort((a, b) => b[2] - a[2]).slice(0, n);
}

export function renderAblationScan(container: HTMLElement, scan: AblationScan): void {
  clear(container);
  const bound = scanBound(scan);
  container.append(
    el("div", { class: "ablation-caption" }, `Δ loss when one head is ablated (${scan.mode}) · base loss ${scan.loss.toFixed(3)} nats`),
  );
  const table = el("table", { class: "ablation-grid" });
  const head = el("tr");
  head.append(el("th", {}, ""));
  (scan.delta_loss[0] ?? []).forEach((_d, h) => head.append(el("th", {}, `H${h}`)));
  table.append(head);
  scan.delta_loss.forEach((row, l) => {
    const tr = el("tr");
    tr.append(el("th", {}, `L${l + 1}`));
    for (const [h, d] of row.entries()) {
      const td = el("td", { class: "ablation-cell", title: `L${l + 1} H${h}: Δ loss ${d >= 0 ? "+" : ""}${d.toFixed(4)} nats` });
      const share = Math.round((Math.sqrt(Math.abs(d) / bound)) * 100);
      const colour = d >= 0 ? "var(--vscode-charts-red, #f14c4c)" : "var(--vscode-charts-blue, #3794ff)";
      td.style.background = `color-mix(in srgb, ${colour} ${share}%, transparent)`;
      tr.append(td);
    }
    table.append(tr);
  });
  container.append(table);
}
