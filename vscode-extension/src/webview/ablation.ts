// Ablation heat map (issue 12): the `exbert.ablate` scan's L x H grid of loss changes when each
// head alone is ablated (rows = layers 1..L, columns = heads 0..H-1). Red: ablating the head
// raises the loss (it helps the model on this text); blue: lowers it. Rendering only; the
// panel owns where it appears.
import { clear, el } from "./dom";

import type { AblationResult, AblationScan } from "../generated/payloads";

export type { AblationResult, AblationScan };

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

/** The causal side of "ablate selected heads": loss, per-position changes, and how much each later head's attention moved. */
export function renderAblationResult(container: HTMLElement, result: AblationResult): void {
  clear(container);
  const heads = result.heads.map(([l, h]) => `L${l} H${h}`).join(", ") || "no heads";
  container.append(
    el("div", { class: "ablation-caption" }, `${heads} ablated (${result.mode}) · loss ${result.loss.toFixed(3)} → ${result.ablated_loss.toFixed(3)} nats`),
  );
  const table = el("table", { class: "ablation-positions" });
  const head = el("tr");
  for (const name of ["token", "top-1", "Δ log p(top-1)", "target", "Δ log p(target)", "KL", "ablated top-1"]) head.append(el("th", {}, name));
  table.append(head);
  for (const p of result.positions) {
    const tr = el("tr", { "data-position": String(p.position) });
    const delta = (d: number | null) => (d === null ? "–" : `${d >= 0 ? "+" : ""}${d.toFixed(3)}`);
    for (const text of [p.token, p.original_top, delta(p.delta_logprob_top), p.target ?? "–", delta(p.delta_logprob_target), p.kl.toFixed(4), p.ablated_top]) {
      tr.append(el("td", {}, text));
    }
    table.append(tr);
  }
  container.append(table);
  container.append(el("div", { class: "ablation-caption" }, "attention downstream: mean total-variation distance of each head's rows (0 = unchanged)"));
  container.append(changeGrid(result.attention_change));
}

/** `[L][H]` grid of attention change (0..1), one shade. */
export function changeGrid(change: number[][]): HTMLTableElement {
  const table = el("table", { class: "ablation-grid attention-change" });
  const head = el("tr");
  head.append(el("th", {}, ""));
  (change[0] ?? []).forEach((_d, h) => head.append(el("th", {}, `H${h}`)));
  table.append(head);
  change.forEach((row, l) => {
    const tr = el("tr");
    tr.append(el("th", {}, `L${l + 1}`));
    for (const [h, d] of row.entries()) {
      const td = el("td", { class: "ablation-cell", title: `L${l + 1} H${h}: attention moved ${d.toFixed(4)}` });
      td.style.background = `color-mix(in srgb, var(--vscode-charts-orange, #d18616) ${Math.round(Math.sqrt(Math.max(0, Math.min(1, d))) * 100)}%, transparent)`;
      tr.append(td);
    }
    table.append(tr);
  });
  return table;
}
