// Attention arithmetic for the views: head means, visible positions, the cumulative-mass
// threshold (exBERT's: keep each row's strongest weights until they hold `threshold` of it).
import type { TokenInfo } from "../protocol";
import type { Attention } from "./decode";

export interface Line {
  q: number; // query position (left column)
  k: number; // key position (right column)
  w: number; // the attention weight (mean over the selected heads), not renormalised
}

let memo: { att: Attention; key: string; value: Float32Array } | null = null;

/** Drop the memoised mean (exact rows arrived for `att`). */
export function forgetMean(): void {
  memo = null;
}

/** Mean over the selected heads of one layer (layer is 1-based); all heads when none selected. */
export function meanOfHeads(att: Attention, layer: number, heads: readonly number[]): Float32Array {
  // several views read the same mean in one render: compute it once (T x T at 2,048 is 16 MB)
  const key = `${layer}:${heads.join(",")}`;
  if (memo && memo.att === att && memo.key === key) return memo.value;
  const value = computeMean(att, layer, heads);
  memo = { att, key, value };
  return value;
}

function computeMean(att: Attention, layer: number, heads: readonly number[]): Float32Array {
  const chosen = heads.length ? heads : Array.from({ length: att.heads }, (_, h) => h);
  const out = new Float32Array(att.size * att.size);
  for (const h of chosen) {
    const m = att.head(layer - 1, h);
    for (let i = 0; i < out.length; i++) out[i] += m[i];
  }
  const n = chosen.length;
  for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}

export function visiblePositions(tokens: readonly TokenInfo[], hideSpecial: boolean): number[] {
  return tokens.filter((t) => !(hideSpecial && t.special)).map((t) => t.index);
}

/**
 * Lines to draw. Each row (query) is restricted to the visible keys; its weights are taken
 * strongest first until they hold `threshold` of the row's visible mass (the weight that crosses
 * it is kept); threshold >= 1 keeps every non-zero weight. Weights stay as they are: a row that
 * sends most of its mass to hidden special tokens draws faint lines, as it should.
 */
export function thresholdLines(
  matrix: Float32Array,
  size: number,
  visible: readonly number[],
  threshold: number,
  rows: readonly number[] = visible,
): Line[] {
  const lines: Line[] = [];
  const n = visible.length;
  const weights = new Float64Array(n);
  const order = new Uint32Array(n);
  for (const q of rows) {
    let mass = 0;
    for (let j = 0; j < n; j++) mass += matrix[q * size + visible[j]];
    if (mass <= 0) continue;
    for (let j = 0; j < n; j++) {
      weights[j] = matrix[q * size + visible[j]];
      order[j] = j;
    }
    order.sort((a, b) => weights[b] - weights[a]);
    let kept = 0;
    for (let r = 0; r < n; r++) {
      const j = order[r];
      if (weights[j] <= 0) break;
      lines.push({ q, k: visible[j], w: weights[j] });
      kept += weights[j] / mass;
      if (kept >= threshold - 1e-6) break; // float32 sums: tolerate rounding
    }
  }
  return lines;
}

/** The `max` strongest lines (all when there are fewer), and how many were dropped. */
export function strongest(lines: Line[], max: number): { lines: Line[]; dropped: number } {
  if (lines.length <= max) return { lines, dropped: 0 };
  return { lines: [...lines].sort((a, b) => b.w - a.w).slice(0, max), dropped: lines.length - max };
}

/** Per-row shares of mass going to special tokens, the previous/next token and itself. */
export function rowProfile(matrix: Float32Array, size: number, q: number, tokens: readonly TokenInfo[]) {
  let special = 0;
  for (const t of tokens) if (t.special) special += matrix[q * size + t.index];
  return {
    special,
    previous: q > 0 ? matrix[q * size + q - 1] : 0,
    self: matrix[q * size + q],
    next: q + 1 < size ? matrix[q * size + q + 1] : 0,
  };
}

/** The key this query attends to most among the visible ones (-1 when the row is empty). */
export function argmaxVisible(matrix: Float32Array, size: number, q: number, visible: readonly number[]): number {
  let best = -1;
  let bestW = -Infinity;
  for (const k of visible) {
    const w = matrix[q * size + k];
    if (w > bestW) {
      best = k;
      bestW = w;
    }
  }
  return best;
}
