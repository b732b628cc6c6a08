import * as assert from "node:assert/strict";
import { assertNever, isHostToWebview, isWebviewToHost } from "../../src/protocol";

describe("message protocol", () => {
  it("accepts only known message types on each side", () => {
    assert.ok(isWebviewToHost({ type: "search", requestId: 1, args: {} }));
    assert.ok(isHostToWebview({ type: "explain", result: {} }));
    assert.ok(!isWebviewToHost({ type: "explain" }), "explain flows host -> webview only");
    assert.ok(!isHostToWebview({ type: "mask" }), "mask flows webview -> host only");
    for (const junk of [null, undefined, 3, "search", {}, { type: 7 }, { type: "eval" }]) {
      assert.ok(!isWebviewToHost(junk) && !isHostToWebview(junk), JSON.stringify(junk));
    }
  });

  it("assertNever names the unhandled message", () => {
    assert.throws(() => assertNever({ type: "surprise" } as never), /unhandled message: {"type":"surprise"}/);
  });
});
