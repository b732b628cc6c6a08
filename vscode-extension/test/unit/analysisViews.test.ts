// The lens grid and ablation heat map's data functions (no DOM needed).
import * as assert from "node:assert/strict";
import { scanBound, topHeads, type AblationScan } from "../../src/webview/ablation";
import { cellOpacity, lensCells, type LensResult } from "../../src/webview/lens";

describe("analysis views", () => {
  it("lens cells: one row per hidden state, the target marked", () => {
    const result: LensResult = {
      model: "tiny",
      tokens: ["The", "·cat"],
      head: "final norm + unembedding",
      k: 2,
      positions: [
        { position: 0, token: "The", target: "·cat", top_tokens: [["·a", "·cat"], ["·cat", "·a"]], top_probabilities: [[0.6, 0.3], [0.81, 0.1]], target_probability: [0.3, 0.81] },
        { position: 1, token: "·cat", target: null, top_tokens: [["·sat", "."], [".", "·sat"]], top_probabilities: [[0.5, 0.2], [0.4, 0.3]], target_probability: null },
      ],
    };
    const cells = lensCells(result);
    assert.equal(cells.length, 2);
    assert.deepEqual(cells[1].map((c) => c.hit), [true, false]);
    assert.equal(cells[0][0].hit, false);
    assert.ok(Math.abs(cellOpacity(cells[1][0]) - 0.9) < 1e-9); // sqrt(0.81)
    assert.ok(Math.abs(cellOpacity(cells[1][1]) - Math.sqrt(0.4)) < 1e-9); // no target: top-1
  });

  it("ablation scan: symmetric bound and the most harmful heads first", () => {
    const scan: AblationScan = { model: "tiny", mode: "zero", loss: 2, delta_loss: [[0.1, -0.5], [2.0, 0]], seconds: 0, forwards: 1, cached: false };
    assert.equal(scanBound(scan), 2.0);
    assert.deepEqual(topHeads(scan, 2), [[2, 0, 2.0], [1, 0, 0.1]]);
  });
});
