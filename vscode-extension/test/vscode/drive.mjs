// Drives code-server (a real VS Code 1.100.3) in headless chromium through the exBERT extension
// and asserts on what a user sees. Env: CS_URL, WS, SHOTS, LOGS, PLAYWRIGHT_CORE. Exits 1 on the
// first failed step (screenshot fail-*.png), after the log checks otherwise.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const { CS_URL, SHOTS, LOGS, WS } = process.env;
const { chromium } = createRequire(import.meta.url)(process.env.PLAYWRIGHT_CORE);
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`, ...a);
let n = 0;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
await context.route("**/*", (r) => (["127.0.0.1"].includes(new URL(r.request().url()).hostname) || !/^https?:/.test(r.request().url()) ? r.continue() : r.abort()));
const page = await context.newPage();

function assert(ok, message) {
  if (!ok) throw new Error(message);
}
async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, `${String(++n).padStart(2, "0")}-${name}.png`) });
}
async function step(name, fn) {
  log(`▶ ${name}`);
  try {
    const detail = await fn();
    await shot(name);
    log(`✔ ${name}${detail ? `: ${detail}` : ""}`);
  } catch (error) {
    log(`✘ ${name}: ${String(error?.message ?? error).split("\n").slice(0, 4).join(" | ")}`);
    await page.screenshot({ path: path.join(SHOTS, `fail-${name}.png`) }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
}
const statusText = async () => ((await page.locator(".statusbar-item", { hasText: "exBERT" }).first().innerText().catch(() => "")) || "").trim();
async function waitStatus(re, timeout = 120000) {
  await page.waitForFunction((src) => [...document.querySelectorAll(".statusbar-item")].some((e) => new RegExp(src).test(e.textContent ?? "")), re.source, { timeout, polling: 100 });
  return statusText();
}
async function waitToast(re, timeout = 120000) {
  const t = page.locator(".notifications-toasts .notification-list-item-message", { hasText: re }).first();
  await t.waitFor({ timeout });
  return (await t.textContent()).trim();
}
async function focusEditor() {
  await page.locator(".tabs-container .tab", { hasText: "notes.txt" }).first().click();
  await page.mouse.move(150, 700);
}
async function runCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: title.replace(/^.*: /, "") }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press("Enter");
}
async function selectLine(line) {
  await focusEditor();
  await page.keyboard.press("Control+Home");
  for (let i = 1; i < line; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Home");
  await page.keyboard.press("Shift+End");
}
async function panelFrame(timeout = 60000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const f of page.frames()) if (f !== page.mainFrame() && (await f.$("#app .top").catch(() => null))) return f;
    await page.waitForTimeout(100);
  }
  throw new Error("no webview frame with the exBERT panel");
}
const clickToken = (frame, word) => frame.locator("svg.attention .tokens.left .token", { hasText: word }).first().click();

let frame;
await step("workbench", async () => {
  await page.goto(CS_URL);
  await page.waitForSelector(".explorer-folders-view .monaco-list-row", { timeout: 90000 });
  const rows = await page.locator(".explorer-folders-view .monaco-list-row").allInnerTexts();
  assert(!rows.some((r) => r.includes(".exbert")), `.exbert/ shown in the Explorer: ${rows}`);
});
await step("activated-status-bar", async () => {
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label^="notes.txt"]').click();
  const text = await waitStatus(/exBERT minilm · no index/);
  // files.exclude hides .exbert/ from the Explorer anyway: look on disk (the status call must not create it)
  assert(!existsSync(path.join(WS, ".exbert")), ".exbert/ exists before any indexing");
  return text;
});
await step("explain-panel", async () => {
  await selectLine(2);
  await runCommand("exBERT: Explain");
  frame = await panelFrame(120000);
  await frame.waitForSelector("svg.attention .lines path", { timeout: 120000, state: "attached" });
  const model = await frame.locator(".top .model").textContent();
  assert(/minilm/.test(model), model);
  // the panel opens beside the editor: two editor groups
  assert((await page.locator(".editor-group-container").count()) === 2, "panel is not beside the editor");
  return `${await frame.locator("svg.attention .tokens.left .token").count()} tokens, ${model}`;
});
await step("search-needs-index", async () => {
  await clickToken(frame, "gave");
  const toast = await waitToast(/Search needs an index/, 60000);
  const button = page.locator(".notifications-toasts .monaco-button", { hasText: "Index Workspace" }).first();
  await button.waitFor({ timeout: 10000 });
  return toast;
});
// the indexing notification: the one toast with a Cancel button (cancellable progress)
const progressToast = () => page.locator(".notifications-toasts .notification-toast").filter({ has: page.locator(".monaco-button", { hasText: /^Cancel$/ }) }).first();
await step("index-cancel", async () => {
  await page.locator(".notifications-toasts .monaco-button", { hasText: "Index Workspace" }).first().click();
  const progress = progressToast();
  await progress.waitFor({ timeout: 60000 });
  const title = (await progress.innerText()).replace(/\s+/g, " ");
  assert(/exBERT: Indexing the corpus/.test(title) && !title.includes(WS), `toast: ${title}`);
  const bar = await statusText();
  assert(bar.length < 40, `status bar too long while indexing: ${bar}`);
  // the notification's own Cancel button, as a user would press it
  await progress.locator(".monaco-button", { hasText: "Cancel" }).first().click({ timeout: 10000 });
  const done = await waitToast(/exBERT: Indexing cancelled/, 60000);
  await progress.waitFor({ state: "detached", timeout: 20000 });
  // what the report says is what the index holds: its token count, or no index when it kept none
  const tokens = Number((/([\d,]+) tokens/.exec(done)?.[1] ?? "").replace(/,/g, ""));
  assert(Number.isFinite(tokens), `no token count in ${done}`);
  const after = await waitStatus(tokens ? new RegExp(`exBERT minilm · ${tokens.toLocaleString("en-US")} rows`) : /exBERT minilm · (no index|0 rows)/, 30000);
  return `${title.slice(0, 80)} / ${done.slice(0, 120)} / ${after}`;
});
await step("index-progress", async () => {
  await focusEditor();
  await runCommand("exBERT: Index Workspace");
  // the progress toast, or (a fast run) the report already there
  await Promise.race([progressToast().waitFor({ timeout: 60000 }), waitToast(/exBERT: Indexed/, 60000)]);
  return (await statusText()).slice(0, 60);
});
await step("indexed", async () => {
  const done = await waitToast(/exBERT: Indexed/, 180000);
  assert(!done.includes(WS), `absolute path in ${done}`);
  await progressToast().waitFor({ state: "detached", timeout: 20000 });
  const bar = await waitStatus(/exBERT minilm · [\d,]+ rows/, 30000);
  return `${done} / ${bar}`;
});
await step("neighbours", async () => {
  frame = await panelFrame();
  await clickToken(frame, "gave");
  await frame.waitForSelector("table.matches tbody tr", { timeout: 120000 });
  const rows = await frame.locator("table.matches tbody tr").count();
  const first = (await frame.locator("table.matches tbody tr").first().innerText()).replace(/\s+/g, " ");
  assert(rows > 0, "no matches");
  assert(!/sister gave her old bicycle/.test(first), `the note itself was indexed: ${first}`);
  return `${rows} matches; first ${first.slice(0, 100)}`;
});
await step("export-html", async () => {
  const target = path.join(WS, "exbert-view.html");
  await frame.locator('[data-action="export-html"]').click();
  // code-server's save dialog is VS Code's simple one: a quick input holding the path
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: 20000 });
  // the dialog fills its value in steps (folder, then the name): wait for the name
  let offered = "";
  for (let i = 0; i < 50 && !offered.endsWith(".html"); i++) offered = await input.inputValue().catch(() => "") || (await page.waitForTimeout(100), "");
  await page.waitForTimeout(300);
  offered = await input.inputValue();
  assert(offered === target, `save dialog offers ${offered}, not ${target}`);
  await input.fill(target);
  await page.keyboard.press("Enter");
  const toast = await waitToast(/exBERT: saved/, 20000);
  const html = readFileSync(target, "utf8");
  assert(/id="exbert-view"/.test(html) && /exbert-payload|__ndarray__|"tokens"/.test(html), "the saved page holds no view or payload");
  return `${toast} (${Math.round(html.length / 1024)} KiB)`;
});
await step("hover", async () => {
  await focusEditor();
  await page.keyboard.press("Control+Home");
  const box = await page.evaluate(() => {
    const lines = [...document.querySelectorAll(".monaco-editor .view-lines .view-line")].sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    const walker = document.createTreeWalker(lines[2], NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const i = t.textContent.indexOf("watched");
      if (i < 0) continue;
      const r = document.createRange();
      r.setStart(t, i);
      r.setEnd(t, i + 7);
      const b = r.getBoundingClientRect();
      return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    }
    return null;
  });
  assert(box, "word not found");
  await page.mouse.move(box.x - 30, box.y + 150);
  await page.mouse.move(box.x, box.y, { steps: 5 });
  await page.waitForFunction(() => [...document.querySelectorAll(".monaco-hover")].some((e) => /L\d+\s*H\d+/.test(e.textContent ?? "")), null, { timeout: 60000 });
  await page.waitForTimeout(600);
  const text = (await page.locator(".monaco-hover", { hasText: /L\d/ }).first().innerText()).replace(/\s+/g, " ");
  return text.slice(0, 160);
});
await step("head-summaries", async () => {
  await page.mouse.move(10, 700);
  await focusEditor();
  await runCommand("exBERT: Show Head Summaries");
  await page.locator(".tabs-container .tab", { hasText: /Head Summaries/ }).first().waitFor({ timeout: 120000 });
  const untitled = await page.locator(".tabs-container .tab", { hasText: /Untitled/ }).count();
  assert(untitled === 0, "an untitled document was opened");
  let text = "";
  for (let i = 0; i < 100 && !/L1 H0/.test(text); i++) {
    for (const f of page.frames()) text += (await f.locator("table").first().innerText({ timeout: 200 }).catch(() => "")) || "";
    await page.waitForTimeout(200);
  }
  assert(/L1 H0/.test(text), "no head table in the preview");
  return text.split("\n").slice(0, 2).join(" / ").slice(0, 140);
});
await step("select-model", async () => {
  await focusEditor();
  await runCommand("exBERT: Select Model");
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: "smollm2" }).first().click();
  const toast = await waitToast(/Model set to smollm2/, 20000);
  // the index is minilm's: known from its meta, before smollm2 loads
  const bar = await waitStatus(/exBERT smollm2 · index of minilm/, 60000);
  return `${toast} / ${bar}`;
});
await step("explain-smollm2", async () => {
  await selectLine(2);
  await runCommand("exBERT: Explain");
  frame = await panelFrame();
  await frame.waitForFunction(() => /smollm2/.test(document.querySelector(".top .model")?.textContent ?? ""), null, { timeout: 240000 });
  await frame.waitForSelector("svg.attention .lines path", { timeout: 60000, state: "attached" });
  const badge = await frame.locator(".top .badge").allInnerTexts();
  assert(badge.some((b) => /causal/i.test(b)), `badges: ${badge}`);
  const next = await frame.locator("text=/next/i").count();
  assert(next > 0, "no next-token column");
  return `badges ${badge.join(", ")}`;
});
await step("reload-restores-panel", async () => {
  await focusEditor();
  await runCommand("Developer: Reload Window");
  await page.waitForEvent("load", { timeout: 60000 });
  await page.waitForSelector(".explorer-folders-view .monaco-list-row", { timeout: 90000 });
  frame = await panelFrame(120000);
  await frame.waitForSelector("svg.attention .lines path", { timeout: 120000, state: "attached" });
  const model = await frame.locator(".top .model").textContent();
  assert(/smollm2/.test(model), model);
  return `${model}; status ${await waitStatus(/exBERT smollm2 · index of minilm/, 120000)}`;
});
await browser.close();

// the logs: no error line from the extension host about exbert, none in the exBERT channel
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
const bad = [];
for (const file of files(LOGS)) {
  const name = path.basename(file);
  if (!/exthost|exBERT/i.test(name)) continue;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/\[error\]/.test(line) && (/exBERT/.test(name) || /exbert/i.test(line))) bad.push(`${name}: ${line.slice(0, 240)}`);
  }
}
// one line per event at its level: the failed search (no index yet) once, as a warning
const channel = files(LOGS).filter((f) => /exBERT/.test(path.basename(f))).flatMap((f) => readFileSync(f, "utf8").split("\n"));
const failed = channel.filter((l) => /exbert\.search failed/.test(l));
if (failed.length !== 1 || !/\[warning\]/.test(failed[0])) bad.push(`search failure logged ${failed.length} times: ${failed.join(" | ").slice(0, 300)}`);
// the bug was each record twice: once as window/logMessage, once as raw stderr (at [error]);
// the stderr copy has the server's stderr format "<time> exbert_ls.x LEVEL message"
const raw = channel.filter((l) => /\d\d:\d\d:\d\d,\d+ exbert_ls[.\w]* (DEBUG|INFO|WARNING|ERROR) /.test(l));
if (raw.length) bad.push(`stderr copies of log records: ${raw.slice(0, 3).join(" | ").slice(0, 300)}`);
const levels = new Map();
for (const l of channel) {
  const m = /^\S+ \S+ \[(\w+)\] (.{20,})$/.exec(l);
  if (m) levels.set(m[2], new Set([...(levels.get(m[2]) ?? []), m[1]]));
}
const twice = [...levels].filter(([, seen]) => seen.size > 1).map(([message, seen]) => `${[...seen]}: ${message}`);
if (twice.length) bad.push(`one message at two levels: ${twice.slice(0, 3).join(" | ").slice(0, 300)}`);
for (const b of bad) log("  error line:", b);
log(bad.length ? `✘ ${bad.length} error lines in the logs` : "✔ no error lines in the extension host or exBERT logs");
process.exit(bad.length ? 1 : 0);
