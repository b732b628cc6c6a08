// Panel render timings in headless chromium for synthetic payloads of growing size.
// Usage (after `npm run build`): node bench/render.mjs [repeats] [--smoke]
// Prints a Markdown table: decode + first render (the view the panel picks by length: lines up to
// 160 tokens, the matrix above), a layer switch, and the line view, medians. Dense uint8 payloads
// up to 512 tokens; 2,048 tokens as the server sends them (sparse top-mass rows, 6 keys per row).
// --smoke: one small case, one repeat (seconds; run by the test command).
import { readFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const SMOKE = process.argv.includes("--smoke");
const REPEATS = SMOKE ? 1 : Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
const ORIGIN = "https://webview.test";
const CASES = SMOKE
  ? [{ name: "minilm-like 6x12", L: 6, H: 12, T: 32 }]
  : [
      { name: "minilm-like 6x12", L: 6, H: 12, T: 43 },
      { name: "minilm-like 6x12", L: 6, H: 12, T: 128 },
      { name: "minilm-like 6x12", L: 6, H: 12, T: 512 },
      { name: "smollm2-like 30x9, sparse", L: 30, H: 9, T: 2048, sparse: 6 },
    ];

function sparsePayload({ L, H, T, sparse: keep }) {
  const rows = L * H * T;
  const counts = new Uint16Array(rows).fill(keep);
  const gaps = new Uint16Array(rows * keep);
  const weights = new Uint8Array(rows * keep).fill(Math.round((255 * 0.95) / keep));
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let r = 0; r < rows; r++) {
    const keys = new Set();
    while (keys.size < keep) keys.add(Math.floor(rand() * T));
    [...keys].sort((a, b) => a - b).forEach((k, j, all) => (gaps[r * keep + j] = j ? k - all[j - 1] : k));
  }
  const enc = (bytes, dtype, n) => ({ dtype, shape: [n], encoding: "zlib+base64", data: Buffer.from(deflateSync(bytes)).toString("base64") });
  const p = payload({ L: 1, H: 1, T });
  return {
    ...p, num_layers: L, num_heads: H, model: { ...p.model, num_layers: L, num_heads: H },
    attention: {
      sparse: "topmass/1", shape: [L, H, T, T], mass: 0.95, cap: keep, delta: true,
      counts: enc(new Uint8Array(counts.buffer), "uint16", rows),
      indices: enc(new Uint8Array(gaps.buffer), "uint16", rows * keep),
      weights: { ...enc(weights, "uint8", rows * keep), scale: 1 / 255 },
      kept: enc(new Uint8Array(rows * 2), "float16", rows),
    },
  };
}

function payload({ L, H, T }) {
  // rows: random weights normalised to 1, as uint8 (x/255), zlib, base64, like the server's
  const bytes = new Uint8Array(L * H * T * T);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const row = new Float64Array(T);
  for (let r = 0; r < L * H * T; r++) {
    let sum = 0;
    for (let k = 0; k < T; k++) sum += row[k] = rand() ** 8;
    for (let k = 0; k < T; k++) bytes[r * T + k] = Math.round((255 * row[k]) / sum);
  }
  const tokens = Array.from({ length: T }, (_, i) => ({ index: i, text: `tok${i}`, start: i * 6, end: i * 6 + 5, special: i === 0 || i === T - 1, word: i, masked: false }));
  return {
    schema: "exbert.explain/1",
    model: { name: "synthetic", num_layers: L, num_heads: H, causal: false, lm_head: null, model_type: "bert" },
    num_layers: L, num_heads: H, causal: false, text: tokens.map((t) => t.text).join(" "),
    tokens, words: tokens.map((t) => ({ index: t.index, text: t.text, start: t.start, end: t.end, pos: "NOUN", tag: "NN", dep: "dep", head: -1, ent_type: "", tokens: [t.index] })),
    attention: { dtype: "uint8", scale: 1 / 255, shape: [L, H, T, T], encoding: "zlib+base64", data: Buffer.from(deflateSync(bytes)).toString("base64") },
    predictions: null, masked: [], notes: [],
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${ORIGIN}; script-src 'nonce-bench'"><link rel="stylesheet" href="${ORIGIN}/webview.css"></head><body><div id="app"></div><script nonce="bench" src="${ORIGIN}/webview.js"></script></body></html>`;

const browser = await chromium.launch({ executablePath: process.env.EXBERT_CHROMIUM ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
console.log("| case | T | message MB | explain → first view (ms) | first view | layer switch (ms) | line view (ms) |\n|---|---:|---:|---:|---|---:|---:|");
for (const c of CASES) {
  const message = { type: "explain", result: c.sparse ? sparsePayload(c) : payload(c) };
  const mb = (JSON.stringify(message).length / 1e6).toFixed(2);
  const times = { first: [], layer: [], lines: [] };
  let first = "";
  for (let i = 0; i < REPEATS; i++) {
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === "/") return route.fulfill({ contentType: "text/html", body: html });
      return route.fulfill({ contentType: url.pathname.endsWith(".js") ? "text/javascript" : "text/css", body: readFileSync(`dist${url.pathname}`, "utf8") });
    });
    const page = await context.newPage();
    await page.addInitScript(() => (window.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} })));
    await page.goto(`${ORIGIN}/`);
    await page.waitForSelector(".toolbar");
    times.first.push(await page.evaluate(async (m) => {
      const t0 = performance.now();
      window.postMessage(m, "*");
      while (!document.querySelector("svg.attention, svg.matrix-overlay")) await new Promise((r) => setTimeout(r, 1));
      return performance.now() - t0;
    }, message));
    first = await page.evaluate(() => (document.querySelector("svg.matrix-overlay") ? "matrix" : "lines"));
    times.layer.push(await page.evaluate(() => {
      const select = document.querySelector('[data-control="layer"]');
      const t0 = performance.now();
      select.value = "1";
      select.dispatchEvent(new Event("change"));
      return performance.now() - t0; // rendering is synchronous on change
    }));
    times.lines.push(await page.evaluate(() => {
      const t0 = performance.now();
      document.querySelector('button[data-view="attention"]').click();
      return performance.now() - t0;
    }));
    await context.close();
  }
  console.log(`| ${c.name} | ${c.T} | ${mb} | ${median(times.first).toFixed(0)} | ${first} | ${median(times.layer).toFixed(0)} | ${median(times.lines).toFixed(0)} |`);
}
await browser.close();
