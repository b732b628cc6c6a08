// The matrix view: one head (or the selected heads' mean) as a heat-map, rows = queries, columns =
// keys, for inputs too long for lines. Drag a rectangle to zoom into a region (brush), double-click
// or "whole matrix" to zoom out; hovering shows the pair and its exact weight; clicking a cell
// selects its query token. Cells are max-pooled when the region has more tokens than pixels.
import * as d3 from "d3";
import { attentionLayer, type TokenInfo, type ViewState } from "../protocol";
import { meanOfHeads, visiblePositions } from "./attention";
import type { Decoded } from "./decode";
import { el, shorten, tokenLabel } from "./dom";
import { cssColor } from "./heatmap";

export const SIDE = 560; // px, the drawn square
const LABELS = 56; // at most this many rows/columns get token labels
const MARGIN = 92;

export interface MatrixHandlers {
  activate(position: number): void;
  zoom(region: [number, number, number, number] | null): void;
}

/** The region shown, clamped to the visible tokens: [q0, q1, k0, k1) in visible indices. */
export function region(view: ViewState, n: number): [number, number, number, number] {
  const z = view.zoom;
  if (!z) return [0, n, 0, n];
  const c = (v: number) => Math.max(0, Math.min(n, Math.round(v)));
  const [q0, q1, k0, k1] = [c(z[0]), c(z[1]), c(z[2]), c(z[3])];
  return q1 - q0 >= 1 && k1 - k0 >= 1 ? [q0, q1, k0, k1] : [0, n, 0, n];
}

export function renderMatrix(root: HTMLElement, decoded: Decoded, view: ViewState, on: MatrixHandlers): void {
  const { payload, attention } = decoded;
  const visible = visiblePositions(payload.tokens, view.hideSpecial);
  const n = visible.length;
  const [q0, q1, k0, k1] = region(view, n);
  const rows = q1 - q0;
  const cols = k1 - k0;
  const matrix = meanOfHeads(attention, attentionLayer(view), view.heads);
  const T = attention.size;

  // pooled cells: at most SIDE per side, each the max of the pairs it covers
  const height = Math.min(rows, SIDE);
  const width = Math.min(cols, SIDE);
  const cells = new Float32Array(width * height);
  for (let i = 0; i < rows; i++) {
    const rowStart = visible[q0 + i] * T;
    const out = Math.floor((i * height) / rows) * width;
    for (let j = 0; j < cols; j++) {
      const w = matrix[rowStart + visible[k0 + j]];
      const c = out + Math.floor((j * width) / cols);
      if (w > cells[c]) cells[c] = w;
    }
  }
  let max = 0;
  for (let c = 0; c < cells.length; c++) if (cells[c] > max) max = cells[c];

  root.replaceChildren();
  const heads = view.heads.length ? view.heads.map((h) => `H${h}`).join("+") : `mean of all ${attention.heads} heads`;
  const bar = el("div", { class: "matrix-bar" });
  const reset = el("button", { type: "button", "data-action": "zoom-out" }, "whole matrix");
  reset.disabled = rows === n && cols === n;
  reset.addEventListener("click", () => on.zoom(null));
  bar.append(
    el("span", { class: "caption" }, `L${attentionLayer(view)} ${heads} · rows ${q0 + 1}–${q1} × columns ${k0 + 1}–${k1} of ${n} · drag to zoom`),
    reset,
  );
  root.append(bar);

  const frame = el("div", { class: "matrix-frame" });
  const drawnW = cols <= LABELS ? Math.max(width, cols * 12) : SIDE;
  const drawnH = rows <= LABELS ? Math.max(height, rows * 12) : SIDE;
  const canvas = el("canvas", { class: "matrix", "aria-hidden": "true" });
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${drawnW}px`;
  canvas.style.height = `${drawnH}px`;
  canvas.style.left = `${MARGIN}px`;
  canvas.style.top = `${MARGIN}px`;
  const ctx = canvas.getContext("2d");
  if (ctx && cells.length) {
    const rgb = d3.rgb(cssColor("--accent", "#3b82f6"));
    const image = ctx.createImageData(width, height);
    // sqrt of the weight relative to the region's strongest: weak structure stays visible
    const scale = max > 0 ? 1 / max : 0;
    for (let c = 0; c < cells.length; c++) {
      const o = c * 4;
      image.data[o] = rgb.r;
      image.data[o + 1] = rgb.g;
      image.data[o + 2] = rgb.b;
      image.data[o + 3] = Math.round(255 * Math.sqrt(cells[c] * scale));
    }
    ctx.putImageData(image, 0, 0);
  }
  frame.style.width = `${MARGIN + drawnW + 8}px`;
  frame.style.height = `${MARGIN + drawnH + 8}px`;
  frame.append(canvas);

  const tokens = payload.tokens;
  const label = (t: TokenInfo) => shorten(tokenLabel(t, payload.text), 10);
  const svg = d3
    .select(frame)
    .append("svg")
    .attr("class", "matrix-overlay")
    .attr("width", MARGIN + drawnW + 8)
    .attr("height", MARGIN + drawnH + 8)
    .attr("role", "img")
    .attr("aria-label", `Attention matrix, L${attentionLayer(view)} ${heads}, rows ${q0 + 1} to ${q1}`)
    .attr("data-rows", String(rows))
    .attr("data-cols", String(cols));
  const y = (i: number) => MARGIN + ((i + 0.5) * drawnH) / rows;
  const x = (j: number) => MARGIN + ((j + 0.5) * drawnW) / cols;
  const tickEvery = (count: number) => (count <= LABELS ? 1 : Math.ceil(count / 16));
  const rowTicks = d3.range(0, rows, tickEvery(rows));
  const colTicks = d3.range(0, cols, tickEvery(cols));
  svg
    .append("g")
    .attr("class", "row-labels")
    .selectAll("text")
    .data(rowTicks)
    .join("text")
    .attr("x", MARGIN - 4)
    .attr("y", (i) => y(i))
    .attr("dy", "0.35em")
    .attr("text-anchor", "end")
    .classed("selected", (i) => visible[q0 + i] === view.selected)
    .text((i) => (rows <= LABELS ? label(tokens[visible[q0 + i]]) : String(visible[q0 + i])));
  svg
    .append("g")
    .attr("class", "col-labels")
    .selectAll("text")
    .data(colTicks)
    .join("text")
    .attr("transform", (j) => `translate(${x(j)},${MARGIN - 4}) rotate(-60)`)
    .attr("dy", "0.35em")
    .text((j) => (cols <= LABELS ? label(tokens[visible[k0 + j]]) : String(visible[k0 + j])));
  svg.append("text").attr("class", "axis-title").attr("x", 4).attr("y", 12).text("query ↓  key →");
  if (view.selected !== null) {
    const i = visible.indexOf(view.selected) - q0;
    if (i >= 0 && i < rows) {
      svg
        .append("rect")
        .attr("class", "selected-row")
        .attr("x", MARGIN)
        .attr("y", MARGIN + (i * drawnH) / rows)
        .attr("width", drawnW)
        .attr("height", Math.max(1, drawnH / rows));
    }
  }

  const tip = el("div", { class: "matrix-tip", role: "status" });
  tip.hidden = true;
  const pairAt = (event: MouseEvent): [number, number] | null => {
    const [px, py] = d3.pointer(event, svg.node());
    const i = Math.floor(((py - MARGIN) * rows) / drawnH);
    const j = Math.floor(((px - MARGIN) * cols) / drawnW);
    return i >= 0 && i < rows && j >= 0 && j < cols ? [visible[q0 + i], visible[k0 + j]] : null;
  };
  const brush = d3
    .brush<unknown>()
    .extent([
      [MARGIN, MARGIN],
      [MARGIN + drawnW, MARGIN + drawnH],
    ])
    .on("end", (event: d3.D3BrushEvent<unknown>) => {
      const sel = event.selection as [[number, number], [number, number]] | null;
      if (!sel) {
        // a click without a drag: select the query row under the pointer
        const source = event.sourceEvent as MouseEvent | undefined;
        const pair = source ? pairAt(source) : null;
        if (pair) on.activate(pair[0]);
        return;
      }
      const [[x0, y0], [x1, y1]] = sel;
      const toRow = (v: number) => q0 + ((v - MARGIN) * rows) / drawnH;
      const toCol = (v: number) => k0 + ((v - MARGIN) * cols) / drawnW;
      const next: [number, number, number, number] = [Math.floor(toRow(y0)), Math.ceil(toRow(y1)), Math.floor(toCol(x0)), Math.ceil(toCol(x1))];
      if (next[1] - next[0] >= 2 && next[3] - next[2] >= 2) on.zoom(next);
    });
  const brushGroup = svg.append("g").attr("class", "brush").call(brush);
  svg
    .on("mousemove.tip", (event: MouseEvent) => {
      const pair = pairAt(event);
      if (!pair) {
        tip.hidden = true;
        return;
      }
      const [q, k] = pair;
      const w = matrix[q * T + k];
      tip.hidden = false;
      tip.dataset.q = String(q);
      tip.dataset.k = String(k);
      tip.dataset.weight = w.toFixed(4);
      tip.textContent = `${tokenLabel(tokens[q], payload.text)} (${q}) → ${tokenLabel(tokens[k], payload.text)} (${k}): ${w.toFixed(4)}${
        attention.sparseMass !== null && w === 0 ? " (not among the weights sent)" : ""
      }`;
      const [px, py] = d3.pointer(event, frame);
      tip.style.left = `${Math.min(px + 14, MARGIN + drawnW - 160)}px`;
      tip.style.top = `${py + 14}px`;
    })
    .on("mouseleave.tip", () => (tip.hidden = true));
  brushGroup.on("dblclick", () => on.zoom(null));
  frame.append(tip);
  root.append(frame);
  root.append(
    el(
      "p",
      { class: "caption legend" },
      `Rows: the attending token (query); columns: the attended (key). Colour: √(weight / the region's strongest, ${max.toFixed(3)}).` +
        (rows > height || cols > width ? ` ${rows} × ${cols} pairs drawn in ${height} × ${width} cells: each cell is the maximum of the pairs it covers; hover still reads single pairs.` : "") +
        (attention.sparseMass !== null ? ` Rows carry their strongest ${Math.round(attention.sparseMass * 100)} % of mass; the rest reads 0.` : ""),
    ),
  );
}
