import * as assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import type { ExplainPayload } from "../../src/protocol";
import { bytesToFloats, decodeAttention, decodeExplain, DecodeError } from "../../src/webview/decode";
import { fixture } from "../helpers";

describe("decode", () => {
  it("decodes the msgpack form to the same attention as the zlib+base64 form", async () => {
    const plain = await decodeExplain(fixture("explain-minilm.json"));
    const packed = await decodeExplain(fixture("explain-minilm.msgpack.json"));
    assert.deepEqual([packed.attention.layers, packed.attention.heads, packed.attention.size], [6, 12, plain.payload.tokens.length]);
    assert.deepEqual(packed.attention.data, plain.attention.data);
    assert.deepEqual(packed.payload.tokens, plain.payload.tokens);
  });

  it("gives rows that sum to 1 for uint8, float16 and nested-list attention", async () => {
    for (const [name, tolerance] of [["explain-minilm.json", 0.05], ["explain-smollm2.json", 0.01], ["explain-minilm-lists.json", 0.002]] as const) {
      const { attention } = await decodeExplain(fixture(name));
      const T = attention.size;
      for (let l = 0; l < attention.layers; l++) {
        for (let h = 0; h < attention.heads; h++) {
          const m = attention.head(l, h);
          for (let q = 0; q < T; q++) {
            const sum = m.subarray(q * T, q * T + T).reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(sum - 1) < tolerance, `${name} L${l + 1} H${h} row ${q} sums to ${sum}`);
          }
        }
      }
    }
  });

  it("reads float16 and float32 little-endian values exactly", () => {
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0x38, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]); // 1, 0.5, -2, 2^-24, inf
    assert.deepEqual([...bytesToFloats(half, "float16")], [1, 0.5, -2, 2 ** -24, Infinity]);
    const f32 = new Uint8Array(new Float32Array([0.25, -3.5]).buffer);
    assert.deepEqual([...bytesToFloats(f32, "<f4")], [0.25, -3.5]);
    assert.deepEqual([...bytesToFloats(new Uint8Array([0, 255, 51]), "uint8", 1 / 255)].map((x) => +x.toFixed(4)), [0, 1, 0.2]);
  });

  it("decodes a binary zlib array as msgpack carries it", async () => {
    const values = new Uint8Array([255, 0, 0, 255]);
    const att = await decodeAttention({ dtype: "uint8", scale: 1 / 255, shape: [1, 1, 2, 2], encoding: "zlib", data: new Uint8Array(deflateSync(values)) });
    assert.deepEqual([...att.head(0, 0)], [1, 0, 0, 1]);
  });

  it("rejects malformed input with a DecodeError that says what is wrong", async () => {
    await assert.rejects(decodeAttention({ dtype: "uint8", scale: 1 / 255, shape: [1, 1, 2, 3], encoding: "base64", data: "AAAAAAAA" }), /shape \[L, H, T, T\]/);
    await assert.rejects(decodeAttention({ dtype: "int8" as "uint8", scale: null, shape: [1, 1, 1, 1], encoding: "base64", data: "AA==" }), DecodeError);
    await assert.rejects(decodeExplain({ schema: "something/else" }), /not an exbert.explain\/1 payload/);
    const payload = fixture<ExplainPayload>("explain-tiny-mlm.json");
    payload.tokens = payload.tokens.slice(1);
    await assert.rejects(decodeExplain(payload), /attention covers \d+ positions but the payload has/);
  });
});
