import * as assert from "node:assert/strict";
import { attentionLayer, DEFAULT_VIEW, type TokenInfo } from "../../src/protocol";
import { argmaxVisible, meanOfHeads, strongest, thresholdLines, visiblePositions } from "../../src/webview/attention";
import { heatmapCells, MAX_PIXELS } from "../../src/webview/heatmap";
import { AttentionTensor, decodeExplain } from "../../src/webview/decode";
import { toggle } from "../../src/webview/headStrip";
import { fitView } from "../../src/webview/state";
import { fixture } from "../helpers";

const ROW = new Float32Array([0.5, 0.3, 0.15, 0.05]); // one query row over 4 keys

function square(rows: number[][]): Float32Array {
  return new Float32Array(rows.flat());
}

describe("attention arithmetic", () => {
  it("keeps each row's strongest weights until they hold the threshold of its mass", () => {
    const m = square([[...ROW], [...ROW], [...ROW], [...ROW]]);
    const all = [0, 1, 2, 3];
    const firstRow = (t: number) => thresholdLines(m, 4, all, t).filter((l) => l.q === 0).map((l) => l.k);
    assert.deepEqual(firstRow(0.5), [0]);
    assert.deepEqual(firstRow(0.7), [0, 1]); // 0.5 < 0.7 <= 0.8
    assert.deepEqual(firstRow(0.9), [0, 1, 2]);
    assert.equal(thresholdLines(m, 4, all, 1).length, 16);
  });

  it("applies the threshold to the mass on visible keys and keeps raw weights", () => {
    const m = square([[0.8, 0.15, 0.05], [0.8, 0.15, 0.05], [0.8, 0.05, 0.15]]);
    // visible mass of each row is 0.2: 0.15 is 75 % of it, enough for a 70 % threshold
    const lines = thresholdLines(m, 3, [1, 2], 0.7);
    assert.deepEqual(lines.map((l) => [l.q, l.k, +l.w.toFixed(3)]), [[1, 1, 0.15], [2, 2, 0.15]]);
    assert.equal(thresholdLines(m, 3, [1, 2], 0.8).length, 4);
  });

  it("line counts grow with the threshold on a real payload", async () => {
    const { payload, attention } = await decodeExplain(fixture("explain-minilm.json"));
    const visible = visiblePositions(payload.tokens, true);
    const matrix = meanOfHeads(attention, 3, []);
    const counts = [0.3, 0.5, 0.7, 0.9, 1].map((t) => thresholdLines(matrix, attention.size, visible, t).length);
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `${counts}`);
    assert.ok(counts[0] >= visible.length && counts[4] <= visible.length ** 2);
  });

  it("caps the drawn lines to the strongest ones and counts the rest", () => {
    const lines = [0.1, 0.5, 0.3, 0.2].map((w, i) => ({ q: i, k: 0, w }));
    assert.deepEqual(strongest(lines, 2).lines.map((l) => l.w), [0.5, 0.3]);
    assert.equal(strongest(lines, 2).dropped, 2);
    assert.equal(strongest(lines, 10).lines, lines);
  });

  it("max-pools long inputs into at most MAX_PIXELS heat-map cells per side", () => {
    const n = 200;
    const m = new Float32Array(n * n);
    for (let q = 0; q < n; q++) m[q * n + q] = 1; // a diagonal head
    const { side, cells } = heatmapCells(m, n, Array.from({ length: n }, (_, i) => i));
    assert.equal(side, MAX_PIXELS);
    for (let i = 0; i < side; i++) assert.equal(cells[i * side + i], 1, `diagonal cell ${i}`);
    assert.equal(cells.reduce((a, b) => a + b, 0), side, "nothing off the diagonal");
    assert.equal(heatmapCells(m, n, [3, 4, 5]).side, 3);
  });

  it("averages the selected heads (all heads when none is selected)", () => {
    const data = new Float32Array([1, 0, 0, 1, /* head 1 */ 0, 1, 1, 0]);
    const att = new AttentionTensor(1, 2, 2, data);
    assert.deepEqual([...meanOfHeads(att, 1, [])], [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual([...meanOfHeads(att, 1, [1])], [0, 1, 1, 0]);
    assert.equal(argmaxVisible(meanOfHeads(att, 1, [1]), 2, 0, [0, 1]), 1);
  });

  it("hides special tokens only when asked", () => {
    const tokens = [{ index: 0, special: true }, { index: 1, special: false }, { index: 2, special: true }] as TokenInfo[];
    assert.deepEqual(visiblePositions(tokens, true), [1]);
    assert.deepEqual(visiblePositions(tokens, false), [0, 1, 2]);
  });

  it("toggles heads: first click isolates, shift-click isolates, selecting all means all", () => {
    assert.deepEqual(toggle([], 3, 4, false), [3]);
    assert.deepEqual(toggle([3], 1, 4, false), [1, 3]);
    assert.deepEqual(toggle([1, 3], 3, 4, false), [1]);
    assert.deepEqual(toggle([1, 3], 2, 4, true), [2]);
    assert.deepEqual(toggle([0, 1, 2], 3, 4, false), []);
  });

  it("fits a saved view to another model", () => {
    const view = fitView({ ...DEFAULT_VIEW, layer: 9, heads: [1, 11], threshold: 3, selected: 40 }, 6, 4, 10);
    assert.deepEqual([view.layer, view.heads, view.threshold, view.selected], [3, [1], 1, null]);
    assert.equal(fitView({ ...DEFAULT_VIEW, layer: null }, 30, 9, 5).layer, 15, "null = auto: the middle layer");
    assert.equal(fitView({ ...DEFAULT_VIEW, layer: 0 }, 30, 9, 5).layer, 0, "0 = the embeddings, kept");
    assert.equal(fitView({ ...DEFAULT_VIEW, layer: 31 }, 30, 9, 5).layer, 15);
    // the embeddings have no attention: the views draw layer 1's (which reads them)
    assert.deepEqual([attentionLayer({ layer: 0 }), attentionLayer({ layer: null }), attentionLayer({ layer: 7 })], [1, 1, 7]);
  });
});
