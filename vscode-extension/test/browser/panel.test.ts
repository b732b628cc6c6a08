// The panel in headless chromium, as VS Code would host it (acquireVsCodeApi stubbed, the
// extension's own webview HTML and CSP) and as a standalone page (exported HTML).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ExplainPayload, HostToWebview, SearchPayload, WebviewToHost } from "../../src/protocol";
import { standalonePage, webviewHtml } from "../../src/extension/webviewHtml";
import { dist, EXT_ROOT, fixture, REPO_ROOT } from "../helpers";
import { launch, ORIGIN, screenshot, serve, watchedPage, type Watched } from "./browser";

const DARK_MODERN: Record<string, string> = {
  "--vscode-editor-background": "#1f1f1f",
  "--vscode-editor-foreground": "#cccccc",
  "--vscode-descriptionForeground": "#9d9d9d",
  "--vscode-panel-border": "#2b2b2b",
  "--vscode-sideBar-background": "#181818",
  "--vscode-charts-blue": "#3794ff",
  "--vscode-button-background": "#0078d4",
  "--vscode-button-foreground": "#ffffff",
  "--vscode-button-secondaryBackground": "#313131",
  "--vscode-button-secondaryForeground": "#cccccc",
  "--vscode-input-background": "#313131",
  "--vscode-input-foreground": "#cccccc",
  "--vscode-focusBorder": "#0078d4",
  "--vscode-list-activeSelectionBackground": "#04395e",
  "--vscode-editor-findMatchHighlightBackground": "rgba(234, 92, 0, 0.33)",
};

const XSS_IMG = `<img src=x onerror="window.__xss = 'img'">`;
const XSS_SCRIPT = `</script><script>window.__xss = 'script'</script>`;

async function openWebview(context: BrowserContext, saved: unknown = null): Promise<Watched> {
  await serve(
    context,
    webviewHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/dist/webview.css` }),
  );
  const watched = await watchedPage(context);
  await watched.page.addInitScript((state) => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    w.__posted = posted;
    w.__state = state;
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => posted.push(m),
      getState: () => w.__state,
      setState: (s: unknown) => (w.__state = s),
    });
  }, saved);
  await watched.page.goto(`${ORIGIN}/index.html`);
  await waitForPosted(watched.page, (m) => m.type === "ready");
  return watched;
}

async function theme(page: Page, vars: Record<string, string>): Promise<void> {
  await page.evaluate((v) => {
    for (const [k, value] of Object.entries(v)) document.documentElement.style.setProperty(k, value);
  }, vars);
}

async function send(page: Page, message: HostToWebview): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, "*"), message);
}

async function posted(page: Page): Promise<WebviewToHost[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted);
}

async function waitForPosted(page: Page, match: (m: WebviewToHost) => boolean): Promise<WebviewToHost> {
  for (let i = 0; i < 400; i++) { // up to 20 s: CI machines can be busy
    const found = (await posted(page)).find(match);
    if (found) return found;
    await page.waitForTimeout(50);
  }
  throw new Error(`no matching message posted; got ${JSON.stringify(await posted(page))}`);
}

async function lineCount(page: Page): Promise<number> {
  const drawn = await page.locator("svg.attention .lines path").count();
  assert.equal(String(drawn), await page.getAttribute("svg.attention", "data-lines"));
  return drawn;
}

async function setThreshold(page: Page, percent: number): Promise<void> {
  await page.locator('[data-control="threshold"]').fill(String(percent));
}

describe("panel in chromium (VS Code host stubbed)", function () {
  this.timeout(60_000);
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1320, height: 900 }, colorScheme: "dark" });
  });
  afterEach(async () => context?.close());

  it("renders a real payload; the threshold slider changes how many lines are drawn", async () => {
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm.json") });
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    const payload = fixture<ExplainPayload>("explain-minilm.json");
    const visible = payload.tokens.filter((t) => !t.special).length;
    assert.equal(await page.locator("svg.attention .tokens.left .token").count(), visible);
    assert.equal(await page.locator(".heads button.head").count(), payload.num_heads);
    assert.equal(await page.locator('[data-control="layer"] option').count(), payload.num_layers + 1, "L0 (the embeddings) .. L");

    await setThreshold(page, 30);
    const low = await lineCount(page);
    await setThreshold(page, 70);
    const mid = await lineCount(page);
    await setThreshold(page, 100);
    const all = await lineCount(page);
    assert.ok(low >= visible, "at least one line per visible row");
    assert.ok(low < mid && mid < all, `lines should grow with the threshold: ${low} < ${mid} < ${all}`);
    assert.ok(all <= visible * visible);

    // showing special tokens adds their rows and columns
    await page.locator('[data-control="hide-special"]').uncheck();
    assert.equal(await page.locator("svg.attention .tokens.left .token").count(), payload.tokens.length);
    assert.deepEqual(problems, []);
  });

  it("opens at layer 0 (exbert.defaultLayer 0): searches the embeddings, draws layer 1's attention", async () => {
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm.json"), view: { layer: 0 } });
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    assert.equal(await page.inputValue('[data-control="layer"]'), "0");
    assert.match((await page.locator("svg.attention").getAttribute("aria-label")) ?? "", /^Layer 1 attention/);
    await page.locator('svg.attention .tokens.left .token[data-position="5"]').click();
    const request = await waitForPosted(page, (m) => m.type === "search");
    assert.ok(request.type === "search" && request.args.layer === 0, JSON.stringify(request));
    assert.deepEqual(problems, []);
  });

  it("clicking a token asks for a search and renders the answer as matches and histograms", async () => {
    const { page, problems } = await openWebview(context);
    await theme(page, DARK_MODERN);
    await send(page, { type: "explain", result: fixture("explain-minilm.msgpack.json"), view: { layer: 3 } });
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    await page.locator("button.head[data-head='8']").click();
    await page.locator("button.head[data-head='11']").click();
    await page.selectOption('[data-control="by"]', "context");
    await page.locator('svg.attention .tokens.left .token[data-position="5"]').click();
    const request = await waitForPosted(page, (m) => m.type === "search");
    assert.ok(request.type === "search");
    assert.deepEqual(request.args, { text: fixture<ExplainPayload>("explain-minilm.json").text, token: 5, layer: 3, by: "context", heads: [8, 11] });

    const search = fixture<SearchPayload>("search-minilm.json");
    await send(page, { type: "search", requestId: request.requestId, result: search });
    await page.waitForSelector("table.matches tbody tr");
    await page.mouse.move(1300, 880); // away from the tokens: every line drawn
    await screenshot(page, "panel-vscode-dark.png");
    const saved = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    const reopened = await openWebview(context, saved);
    await reopened.page.waitForSelector("table.matches tbody tr");
    assert.equal(await reopened.page.locator("table.matches tbody tr").count(), search.matches.length, "matches restored after a reload");
    await reopened.page.close();

    // the same search answered again, now with hostile corpus text
    await page.locator('svg.attention .tokens.left .token[data-position="5"]').click();
    const again = await waitForPosted(page, (m) => m.type === "search" && m.requestId !== request.requestId);
    assert.ok(again.type === "search");
    search.matches[1].text = `He gave her ${XSS_IMG} the silver shoes ${XSS_SCRIPT}`;
    search.matches[1].token = { position: 2, text: "gave", start: 3, end: 7 };
    search.matches[2].left = { text: XSS_IMG, pos: XSS_IMG, dep: "x", ent_type: "" };
    await send(page, { type: "search", requestId: request.requestId, result: fixture("search-minilm.json") }); // stale: ignored
    await send(page, { type: "search", requestId: again.requestId, result: search });
    await page.waitForFunction(() => document.querySelector('table.matches tr[data-rank="1"] td.sentence')?.textContent?.includes("<img"));
    await page.waitForSelector("table.matches tbody tr");
    assert.equal(await page.locator("table.matches tbody tr").count(), search.matches.length);
    const top = search.matches[0];
    assert.equal(await page.locator("table.matches tbody tr").first().locator("mark").textContent(), top.text.slice(top.token.start, top.token.end));
    assert.equal(await page.locator("figure.histogram").count(), 3);
    const posBars = await page.locator('figure[data-chart="matched"] g.bar').count();
    assert.equal(posBars, Object.keys(search.summary.pos).length);
    const offsets = await page.locator('figure[data-chart="offset"] g.bar text.label').allTextContents();
    assert.deepEqual(offsets, Object.keys(search.summary.max_attended.offset).map(Number).sort((a, b) => a - b).map((o) => (o > 0 ? `+${o}` : String(o))));

    // corpus text is text: no element was created from it, nothing ran
    const row = page.locator('table.matches tbody tr[data-rank="1"] td.sentence');
    if (await row.locator("button.expand").count()) await row.locator("button.expand").click(); // snippet -> whole sentence
    assert.ok((await row.textContent())?.includes(XSS_IMG));
    assert.ok((await row.textContent())?.includes(XSS_SCRIPT));
    assert.equal(await page.locator("table.matches img, table.matches script").count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined);

    await page.selectOption('[data-control="annotation"]', "dep");
    assert.equal(await page.locator("table.matches tbody tr").first().locator("td.ann").nth(1).textContent(), search.matches[0].word?.dep);
    await screenshot(page, "panel-vscode-dark-xss.png");
    await page.setViewportSize({ width: 760, height: 900 }); // a panel beside an editor
    await screenshot(page, "panel-narrow.png");
    assert.deepEqual(problems, []);
  });

  it("is usable by keyboard: arrows move between tokens, Enter searches", async () => {
    const { page } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm.json") });
    await page.waitForSelector("svg.attention .tokens.left .token");
    await page.locator('svg.attention .tokens.left .token[data-position="1"]').focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    const request = await waitForPosted(page, (m) => m.type === "search");
    assert.ok(request.type === "search" && request.args.token === 3);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-position")), "3");
  });

  it("model view shows every layer x head; clicking one focuses it", async () => {
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm-lists.json") });
    await page.waitForSelector("svg.attention");
    await page.locator('button[data-view="model"]').click();
    assert.equal(await page.locator(".model-grid button.thumb").count(), 6 * 12);
    await screenshot(page, "panel-model-view.png");
    await page.locator('.model-grid button.thumb[data-layer="2"][data-head="5"]').click();
    await page.waitForSelector("svg.attention");
    assert.equal(await page.inputValue('[data-control="layer"]'), "2");
    assert.equal(await page.getAttribute("button.head[data-head='5']", "aria-pressed"), "true");
    assert.equal(await page.locator("button.head.on").count(), 1);
    assert.deepEqual(problems, []);
  });

  it("shows causal models as such, with next-token predictions (float16 attention)", async () => {
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm.json") });
    await page.locator('svg.attention .tokens.left .token[data-position="5"]').click();
    await page.waitForSelector(".details h3");
    await send(page, { type: "explain", result: fixture("explain-smollm2.json") });
    await page.waitForSelector(".details p.hint"); // a new text: no token selected
    assert.equal(await page.locator("svg.attention .token.selected").count(), 0);
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    assert.match((await page.locator(".top .badge").first().textContent()) ?? "", /causal/);
    // no line may go from a token to a later one
    await setThreshold(page, 100);
    const pairs = await page.$$eval("svg.attention .lines path", (ps) => ps.map((p) => [Number(p.getAttribute("data-q")), Number(p.getAttribute("data-k"))]));
    assert.ok(pairs.length > 0);
    assert.deepEqual(pairs.filter(([q, k]) => k > q), []);
    const beside = await page.locator("svg.attention text.prediction").allTextContents();
    const causal = fixture<ExplainPayload>("explain-smollm2.json");
    assert.equal(beside.length, causal.tokens.length);
    assert.equal(beside[4], `·Paris ${Math.round(causal.predictions![4][0].probability * 100)}%`);
    await page.locator('svg.attention .tokens.left .token[data-position="4"]').click();
    const predictions = await page.locator("ol.predictions li .ptext").allTextContents();
    const expected = fixture<ExplainPayload>("explain-smollm2.json").predictions?.[4].map((p) => p.token.replace(/^[Ġ ]/, "·"));
    assert.deepEqual(predictions, expected);
    await screenshot(page, "panel-causal.png");
    assert.deepEqual(problems, []);
  });

  it("masks a token of a masked LM and re-runs; restores its state after a reload", async () => {
    const first = await openWebview(context);
    await send(first.page, { type: "explain", result: fixture("explain-tiny-mlm.json") });
    await first.page.waitForSelector("svg.attention");
    await setThreshold(first.page, 40);
    await first.page.selectOption('[data-control="layer"]', "1");
    await first.page.locator('svg.attention .tokens.left .token[data-position="2"]').click();
    await first.page.locator('button[data-action="mask"]').click();
    const mask = await waitForPosted(first.page, (m) => m.type === "mask");
    assert.ok(mask.type === "mask");
    assert.deepEqual(mask.mask, [2, 3]); // position 3 was already masked in the fixture
    const saved = await first.page.evaluate(() => (window as unknown as { __state: unknown }).__state);

    const second = await openWebview(context, saved);
    await second.page.waitForSelector("svg.attention");
    assert.equal(await second.page.inputValue('[data-control="threshold"]'), "40");
    assert.equal(await second.page.inputValue('[data-control="layer"]'), "1");
    assert.equal(await second.page.getAttribute('svg.attention .tokens.left .token[data-position="2"]', "class"), "token selected");
    assert.deepEqual([...first.problems, ...second.problems], []);
  });

  it("shows a token of an explained document in the editor", async () => {
    const { page, problems } = await openWebview(context);
    const payload = fixture<ExplainPayload>("explain-minilm.json");
    payload.document = { uri: "file:///ws/oz.txt", version: 1, offset: 0, range: { start: { line: 2, character: 0 }, end: { line: 2, character: payload.text.length } } };
    for (const t of payload.tokens) t.range = t.special ? null : { start: { line: 2, character: t.start }, end: { line: 2, character: t.end } };
    await send(page, { type: "explain", result: payload });
    await page.locator('svg.attention .tokens.left .token[data-position="2"]').click();
    await page.locator('button[data-action="reveal"]').click();
    const reveal = await waitForPosted(page, (m) => m.type === "reveal");
    assert.deepEqual(reveal, { type: "reveal", uri: "file:///ws/oz.txt", range: { start: { line: 2, character: 4 }, end: { line: 2, character: 10 } } });
    // a payload for raw text has no document: no such button
    await send(page, { type: "explain", result: fixture("explain-minilm.json") });
    await page.locator('svg.attention .tokens.left .token[data-position="2"]').click();
    await page.waitForSelector(".details h3");
    assert.equal(await page.locator('button[data-action="reveal"]').count(), 0);
    assert.deepEqual(problems, []);
  });

  it("shows head summaries answered by the host, and reports host errors", async () => {
    const { page } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm.json") });
    await page.waitForSelector("svg.attention");
    await page.locator("button.head[data-head='2']").click();
    await page.locator('button[data-action="heads"]').click();
    const request = await waitForPosted(page, (m) => m.type === "heads");
    assert.ok(request.type === "heads" && request.heads.length === 1 && request.heads[0] === 2);
    const relation = { relation: "det", direction: "dependent->head" as const, accuracy: 0.8, baseline: 0.5, baseline_offset: 1, support: 40, rank: 0, z: 3 };
    const head = (h: number) => ({ layer: request.layer, head: h, entropy: 1.5, to_special: 0.2, to_punct: 0.1, to_previous: 0.3, to_next: 0.1, to_self: 0.05, relations: [relation], to_first: null, to_special_rest: null, normalised_entropy: null, role: null, induction: null, causal_effect: null, description: `L${request.layer} H${h}` });
    await send(page, { type: "heads", requestId: request.requestId, result: { schema: "exbert.heads/1", complete: true, documents: 1, layer_numbering: "", sentences: 10, tokens: 100, heads: [head(1), head(2)], relations: [] } });
    await page.waitForSelector("table.head-summaries tbody tr");
    assert.equal(await page.locator("table.head-summaries tbody tr").count(), 1);
    const cells = await page.locator("table.head-summaries tbody tr td").allTextContents();
    assert.deepEqual(cells.slice(5), ["det", "dependent->head", "80 %", "50 %", "+1", "3.0" /* the server's z wins over the panel's own estimate */, "40"]);
    await send(page, { type: "error", requestId: null, message: "Search failed: no index" });
    assert.equal(await page.locator(".status.error").textContent(), "Search failed: no index");
  });
});

describe("panel as a standalone page", function () {
  this.timeout(60_000);
  let browser: Browser;

  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  it("renders from the embedded JSON, disables host actions, keeps hostile text as text", async () => {
    const context = await browser.newContext({ viewport: { width: 1320, height: 860 }, colorScheme: "light" });
    const payload = fixture<ExplainPayload>("explain-minilm.json");
    payload.text = `${payload.text} ${XSS_IMG} ${XSS_SCRIPT}`;
    payload.tokens[2].text = XSS_IMG;
    const html = standalonePage(dist("webview.js"), dist("webview.css"), payload, { ...defaults(), layer: 3, threshold: 0.5 });
    await serve(context, html);
    const { page, problems } = await watchedPage(context);
    await page.goto(`${ORIGIN}/index.html`);
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    assert.equal(await page.inputValue('[data-control="layer"]'), "3");
    assert.ok((await page.locator(".top .text").textContent())?.endsWith(`${XSS_IMG} ${XSS_SCRIPT}`));
    const token = page.locator('svg.attention .tokens.left .token[data-position="2"]');
    assert.equal(await token.locator("text").textContent(), "<img src=x onerro…"); // long tokens are shortened
    assert.equal(await token.locator("title").textContent(), `${XSS_IMG} (position 2)`);
    assert.equal(await page.locator("#app img, #app script").count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined);
    await page.locator('svg.attention .tokens.left .token[data-position="5"]').click();
    assert.ok(await page.locator('button[data-action="search"]').isDisabled());
    assert.ok(await page.locator('button[data-action="mask"]').isDisabled());
    assert.match((await page.locator(".details .offline").textContent()) ?? "", /standalone page/);
    await screenshot(page, "panel-standalone-light.png");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator('button[data-action="export-json"]').click()]);
    const exported = JSON.parse(readFileSync((await download.path()) ?? "", "utf8"));
    assert.equal(exported.schema, "exbert.page/1");
    assert.equal(exported.view.layer, 3);
    assert.equal(exported.payload.text, payload.text);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

function defaults() {
  return { layer: 1, heads: [], threshold: 0.7, hideSpecial: true, view: "attention" as const, by: "embedding" as const, annotation: "pos" as const, selected: null };
}

describe("page written by exbert_ls/html.py", function () {
  this.timeout(60_000);
  const python = path.join(REPO_ROOT, ".venv", "bin", "python");

  it("renders in chromium with no CSP violation", async function () {
    if (!existsSync(python)) this.skip(); // the Python side is not set up (make setup)
    const out = path.join(mkdtempSync(path.join(tmpdir(), "exbert-html-")), "page.html");
    const code = "import json, sys; from exbert_ls.html import write_standalone_html; write_standalone_html(sys.argv[2], json.load(open(sys.argv[1])))";
    execFileSync(python, ["-c", code, path.join(EXT_ROOT, "test", "fixtures", "explain-smollm2.json"), out], {
      env: { ...process.env, EXBERT_WEBVIEW_DIST: path.join(EXT_ROOT, "dist") },
    });
    const browser = await launch();
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 700 } });
      await serve(context, readFileSync(out, "utf8"));
      const { page, problems } = await watchedPage(context);
      await page.goto(`${ORIGIN}/index.html`);
      await page.waitForSelector("svg.attention .lines path", { state: "attached" });
      assert.equal(await page.locator('[data-control="layer"] option').count(), 31);
      assert.match((await page.locator(".top .badge").textContent()) ?? "", /causal/);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
