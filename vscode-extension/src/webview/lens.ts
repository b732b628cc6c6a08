// Logit-lens grid (issue 12): hidden states 0..L (rows, 0 = embeddings) x token positions
// (columns); each cell shows the state's top-1 token, coloured by the probability it gives the
// actual next token (causal LMs) or the input token (masked LMs); the top-1 cell is outlined
// when it is that target. Data: the `exbert.lens` result (exbert_ls/payloads/analysis.py).
// Registration in the panel's app/toolbar is the panel's; this module only renders.
import { clear, el, percent } from "./dom";

import type { LensPosition, LensResult } from "../generated/payloads";

export type { LensPosition, LensResult };

export interface LensCell {
  layer: number;
  position: number;
  top: string;
  topProbability: number;
  targetProbability: number | null;
  hit: boolean;
}

/** Cells row-major: `cells[layer][column]`, one column per position of the result. */
export function lensCells(result: LensResult): LensCell[][] {
  const layers = result.positions.length ? result.positions[0].top_tokens.length : 0;
  const rows: LensCell[][] = [];
  for (let layer = 0; layer < layers; layer++) {
    rows.push(
      result.positions.map((p) => ({
        layer,
        position: p.position,
        top: p.top_tokens[layer][0] ?? "",
        topProbability: p.top_probabilities[layer][0] ?? 0,
        targetProbability: p.target_probability ? p.target_probability[layer] : null,
        hit: p.target !== null && p.top_tokens[layer][0] === p.target,
      })),
    );
  }
  return rows;
}

/** Background of a cell: the target's probability as opacity of the accent colour (sqrt, so small values show). */
export function cellOpacity(cell: LensCell): number {
  const p = cell.targetProbability ?? cell.topProbability;
  return Math.sqrt(Math.max(0, Math.min(1, p)));
}

export function renderLens(container: HTMLElement, result: LensResult): void {
  clear(container);
  container.append(el("div", { class: "lens-caption" }, `logit lens · ${result.model} · ${result.head}`));
  const table = el("table", { class: "lens-grid" });
  const head = el("tr");
  head.append(el("th", {}, "state"));
  for (const p of result.positions) {
    head.append(el("th", { title: p.target ? `next: ${p.target}` : "" }, p.token));
  }
  table.append(head);
  const rows = lensCells(result);
  for (let layer = rows.length - 1; layer >= 0; layer--) {
    const tr = el("tr");
    tr.append(el("th", {}, layer === 0 ? "emb" : `h${layer}`));
    for (const cell of rows[layer]) {
      const td = el("td", { class: cell.hit ? "lens-cell lens-hit" : "lens-cell" }, cell.top);
      td.style.background = `color-mix(in srgb, var(--vscode-charts-blue, #3794ff) ${Math.round(cellOpacity(cell) * 100)}%, transparent)`;
      const target = cell.targetProbability === null ? "" : ` · target ${percent(cell.targetProbability, 1)}`;
      td.title = `${cell.top} ${percent(cell.topProbability, 1)}${target}`;
      tr.append(td);
    }
    table.append(tr);
  }
  container.append(table);
}
