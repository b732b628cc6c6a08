// Small attention heat-maps on canvas (one pixel per query/key pair, scaled up by CSS).
import * as d3 from "d3";

/** Draws rows = queries, columns = keys, restricted to `visible` and renormalised per row. */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  matrix: Float32Array,
  size: number,
  visible: readonly number[],
  color: string,
): void {
  const n = visible.length;
  canvas.width = Math.max(1, n);
  canvas.height = Math.max(1, n);
  const ctx = canvas.getContext("2d");
  if (!ctx || n === 0) return;
  const rgb = d3.rgb(color);
  const image = ctx.createImageData(n, n);
  visible.forEach((q, i) => {
    let mass = 0;
    for (const k of visible) mass += matrix[q * size + k];
    visible.forEach((k, j) => {
      const w = mass > 0 ? matrix[q * size + k] / mass : 0;
      const o = (i * n + j) * 4;
      image.data[o] = rgb.r;
      image.data[o + 1] = rgb.g;
      image.data[o + 2] = rgb.b;
      image.data[o + 3] = Math.round(255 * Math.pow(w, 0.4)); // gamma: weak structure stays visible
    });
  });
  ctx.putImageData(image, 0, 0);
}

/** A CSS custom property resolved to a colour (canvas cannot use var() itself). */
export function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value && d3.color(value) ? value : fallback;
}
