// Small attention heat-maps on canvas, scaled up by CSS. Long inputs are max-pooled to at most
// MAX_PIXELS per side: a thumbnail is ~40 px wide, so drawing 512 x 512 would be wasted work.
import * as d3 from "d3";
import { SparseTensor, type Attention } from "./decode";

export const MAX_PIXELS = 64;

/**
 * Rows = queries, columns = keys, restricted to `visible` (weights as they are), max-pooled
 * into at most MAX_PIXELS x MAX_PIXELS cells (returned row-major with its side).
 */
export function heatmapCells(matrix: Float32Array, size: number, visible: readonly number[]): { side: number; cells: Float32Array } {
  const n = visible.length;
  const side = Math.min(n, MAX_PIXELS);
  const cells = new Float32Array(side * side);
  for (let i = 0; i < n; i++) {
    const rowStart = visible[i] * size;
    const out = Math.floor((i * side) / n) * side;
    for (let j = 0; j < n; j++) {
      const w = matrix[rowStart + visible[j]];
      const cell = out + Math.floor((j * side) / n);
      if (w > cells[cell]) cells[cell] = w;
    }
  }
  return { side, cells };
}

/** heatmapCells of one head, read from the sparse rows directly when sparse (no T x T rebuild). */
export function headCells(att: Attention, layerIndex: number, head: number, visible: readonly number[]): { side: number; cells: Float32Array } {
  if (!(att instanceof SparseTensor)) return heatmapCells(att.head(layerIndex, head), att.size, visible);
  const n = visible.length;
  const side = Math.min(n, MAX_PIXELS);
  const bin = new Int32Array(att.size).fill(-1); // position -> pooled index
  visible.forEach((p, i) => (bin[p] = Math.floor((i * side) / n)));
  const cells = new Float32Array(side * side);
  att.forEach(layerIndex, head, (q, k, w) => {
    const r = bin[q];
    const c = bin[k];
    if (r >= 0 && c >= 0 && w > cells[r * side + c]) cells[r * side + c] = w;
  });
  return { side, cells };
}

export function drawHead(canvas: HTMLCanvasElement, att: Attention, layerIndex: number, head: number, visible: readonly number[], color: string): void {
  paint(canvas, headCells(att, layerIndex, head, visible), color);
}

export function drawHeatmap(
  canvas: HTMLCanvasElement,
  matrix: Float32Array,
  size: number,
  visible: readonly number[],
  color: string,
): void {
  paint(canvas, heatmapCells(matrix, size, visible), color);
}

function paint(canvas: HTMLCanvasElement, { side, cells }: { side: number; cells: Float32Array }, color: string): void {
  canvas.width = Math.max(1, side);
  canvas.height = Math.max(1, side);
  const ctx = canvas.getContext("2d");
  if (!ctx || side === 0) return;
  const rgb = d3.rgb(color);
  const image = ctx.createImageData(side, side);
  const data = image.data;
  for (let c = 0; c < cells.length; c++) {
    const o = c * 4;
    data[o] = rgb.r;
    data[o + 1] = rgb.g;
    data[o + 2] = rgb.b;
    data[o + 3] = Math.round(255 * Math.sqrt(cells[c])); // sqrt: weak structure stays visible
  }
  ctx.putImageData(image, 0, 0);
}

/** A CSS custom property resolved to a colour (canvas cannot use var() itself). */
export function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value && d3.color(value) ? value : fallback;
}
