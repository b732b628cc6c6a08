// Synthetic explain payloads of any length (dense uint8 or sparse top-mass rows), for the
// long-input browser tests. Rows are random, peaked (x^8), normalised to 1; seeded.
import { deflateSync } from "node:zlib";
import type { ExplainPayload, SearchPayload } from "../../src/protocol";

export interface Synthetic {
  payload: ExplainPayload;
  /** weight(layer 1-based, head, q, k) as the panel decodes it (uint8 x 1/255). */
  weight(layer: number, head: number, q: number, k: number): number;
}

export function synthetic(L: number, H: number, T: number, seed = 7): Synthetic {
  const bytes = new Uint8Array(L * H * T * T);
  let state = seed;
  const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const row = new Float64Array(T);
  for (let r = 0; r < L * H * T; r++) {
    let sum = 0;
    for (let k = 0; k < T; k++) sum += row[k] = rand() ** 8;
    for (let k = 0; k < T; k++) bytes[r * T + k] = Math.round((255 * row[k]) / sum);
  }
  const words = ["the", "wizard", "gave", "a", "brain", "to", "scarecrow", "and", "heart", "tin"];
  const tokens = Array.from({ length: T }, (_, i) => {
    const text = i === 0 ? "[CLS]" : i === T - 1 ? "[SEP]" : words[i % words.length];
    return { index: i, text, start: i * 10, end: i * 10 + text.length, special: i === 0 || i === T - 1, id: i, word: i, masked: false, display: text, range: null };
  });
  const text = tokens.map((t) => t.text.padEnd(9, " ")).join(" ");
  const payload: ExplainPayload = {
    schema: "exbert.explain/1",
    model: { name: "synthetic", source: "synthetic", num_layers: L, num_heads: H, causal: false, lm_head: null, model_type: "bert", d_model: 8, d_head: 4, max_positions: 4096, device: "cpu" },
    num_layers: L,
    num_heads: H,
    causal: false,
    text,
    tokens,
    words: tokens.map((t) => ({ index: t.index, text: t.text, start: t.start, end: t.end, pos: "NOUN", tag: "NN", dep: "dep", head: -1, ent_type: "", ent_iob: "", lemma: t.text, is_punct: false, range: null, tokens: [t.index] })),
    attention: { dtype: "uint8", scale: 1 / 255, shape: [L, H, T, T], encoding: "zlib+base64", data: Buffer.from(deflateSync(bytes)).toString("base64") },
    predictions: null,
    masked: [],
    notes: [],
    rollout: null,
    document: null,
  };
  return { payload, weight: (l, h, q, k) => bytes[((l - 1) * H + h) * T * T + q * T + k] / 255 };
}

/** A search answer with duplicates collapsed by the server (row 2 stands for 3 identical contexts). */
export function searchWithDuplicates(base: SearchPayload): SearchPayload {
  const matches = base.matches.map((m, i) => ({ ...m, rank: i, count: i === 1 ? 3 : 1, doc_path: `corpus/${m.doc.split("/").pop()}` }));
  return { ...base, matches, dedup: { collapsed: 2, counted_once: true }, max_attended_rule: { heads: base.query.heads ?? [], exclude_special: true, exclude_first: true, method: "mean" } };
}

/** A sparse (topmass/1) payload: each row keeps `keep` random keys whose weights sum to 0.95. */
export function syntheticSparse(L: number, H: number, T: number, keep = 6, seed = 11): ExplainPayload {
  const base = synthetic(1, 1, 4).payload; // for the shape of everything but attention
  let state = seed;
  const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const rows = L * H * T;
  const counts = new Uint16Array(rows);
  const gaps = new Uint16Array(rows * keep);
  const weights = new Uint8Array(rows * keep);
  let e = 0;
  const keys = new Set<number>();
  for (let r = 0; r < rows; r++) {
    keys.clear();
    while (keys.size < keep) keys.add(Math.floor(rand() * T));
    const sorted = [...keys].sort((a, b) => a - b);
    counts[r] = keep;
    sorted.forEach((k, j) => {
      gaps[e] = j === 0 ? k : k - sorted[j - 1];
      weights[e] = Math.round((255 * 0.95) / keep);
      e++;
    });
  }
  const enc = (bytes: Uint8Array, dtype: string, n: number) => ({ dtype, shape: [n], encoding: "zlib+base64", data: Buffer.from(deflateSync(bytes)).toString("base64") });
  const tokens = Array.from({ length: T }, (_, i) => ({ index: i, text: i === 0 ? "<s>" : `w${i}`, start: i * 6, end: i * 6 + 4, special: i === 0, id: i, word: i, masked: false, display: i === 0 ? "<s>" : `w${i}`, range: null }));
  return {
    ...base,
    model: { ...base.model, num_layers: L, num_heads: H, causal: false },
    num_layers: L,
    num_heads: H,
    text: tokens.map((t) => t.text.padEnd(5, " ")).join(" "),
    tokens,
    words: tokens.map((t) => ({ index: t.index, text: t.text, start: t.start, end: t.end, pos: "X", tag: "X", dep: "dep", head: -1, ent_type: "", ent_iob: "", lemma: t.text, is_punct: false, range: null, tokens: [t.index] })),
    attention: {
      sparse: "topmass/1",
      shape: [L, H, T, T],
      mass: 0.95,
      cap: keep,
      delta: true,
      counts: enc(new Uint8Array(counts.buffer), "uint16", rows),
      indices: enc(new Uint8Array(gaps.buffer), "uint16", e),
      weights: { ...enc(weights, "uint8", e), scale: 1 / 255 },
      kept: enc(new Uint8Array(rows * 2), "float16", rows),
    } as never,
  };
}
