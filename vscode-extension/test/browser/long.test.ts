// The panel at real lengths (issue 13): a 512-token payload in VS Code's webview (host stubbed)
// and a standalone page that keeps its state in the URL hash. Screenshots go to docs/img/.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { HostToWebview, SearchPayload, WebviewToHost } from "../../src/protocol";
import { standalonePage, webviewHtml } from "../../src/extension/webviewHtml";
import { dist, fixture, REPO_ROOT } from "../helpers";
import { launch, ORIGIN, screenshot, serve, watchedPage, type Watched } from "./browser";
import { searchWithDuplicates, synthetic, syntheticSparse } from "./synthetic";

const IMG = path.join(REPO_ROOT, "docs", "img");

async function openWebview(context: BrowserContext): Promise<Watched> {
  await serve(context, webviewHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/dist/webview.css` }));
  const watched = await watchedPage(context);
  await watched.page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    w.__posted = posted;
    w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(m), getState: () => w.__state, setState: (s: unknown) => (w.__state = s) });
  });
  await watched.page.goto(`${ORIGIN}/index.html`);
  return watched;
}

async function send(page: Page, message: HostToWebview): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, "*"), message);
}

async function lastPosted(page: Page, type: WebviewToHost["type"]): Promise<WebviewToHost> {
  await page.waitForFunction((t) => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === t), type);
  const all = await page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted);
  return all.filter((m) => m.type === type).pop() as WebviewToHost;
}

async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const size = page.viewportSize();
  return !!box && !!size && box.y >= 0 && box.y + Math.min(box.height, 40) <= size.height && box.x >= 0 && box.x < size.width;
}

describe("panel at 512 tokens", function () {
  this.timeout(120_000);
  let browser: Browser;
  let context: BrowserContext;
  const long = synthetic(6, 12, 512);

  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: "dark" });
  });
  afterEach(async () => context?.close());

  it("opens on the matrix view; hovering a pair shows its weight; a drag zooms in", async () => {
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: long.payload, view: { layer: 3 } });
    await page.waitForSelector("svg.matrix-overlay");
    assert.equal(await page.getAttribute('button[data-view="matrix"]', "aria-selected"), "true", "long inputs open on the matrix");
    await page.locator("button.head[data-head='4']").click(); // one head: the exact stored weights
    await page.waitForSelector("svg.matrix-overlay");
    const overlay = page.locator("svg.matrix-overlay .brush .overlay");
    await overlay.scrollIntoViewIfNeeded();
    const box = (await overlay.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
    const tip = page.locator(".matrix-tip");
    await tip.waitFor({ state: "visible" });
    const [q, k, w] = await Promise.all([tip.getAttribute("data-q"), tip.getAttribute("data-k"), tip.getAttribute("data-weight")]);
    assert.ok(Math.abs(Number(w) - long.weight(3, 4, Number(q), Number(k))) < 1e-4, `hover weight ${w} for (${q}, ${k})`);
    assert.match((await tip.textContent()) ?? "", new RegExp(`\\(${q}\\) → .*\\(${k}\\): ${w}`));

    await page.mouse.move(box.x + 10, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => Number(document.querySelector("svg.matrix-overlay")?.getAttribute("data-rows")) < 100);
    assert.ok(!(await page.locator('button[data-action="zoom-out"]').isDisabled()));
    await page.locator('button[data-action="zoom-out"]').click();
    await page.waitForFunction(() => document.querySelector("svg.matrix-overlay")?.getAttribute("data-rows") === "510");
    assert.deepEqual(problems, []);
  });

  it("lines: a bounded window; toolbar and details stay visible after scrolling to the last token and clicking it", async () => {
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: long.payload, view: { layer: 3 } });
    await page.waitForSelector("svg.matrix-overlay");
    await page.locator('button[data-view="attention"]').click();
    await page.waitForSelector("svg.attention");
    await page.locator('[data-control="threshold"]').fill("100");
    const drawn = await page.locator("svg.attention .lines path").count();
    assert.ok(drawn <= 1000, `${drawn} lines drawn`);
    assert.ok(Number(await page.getAttribute("svg.attention", "data-hidden")) > 0);
    assert.match((await page.locator(".attention-root p.legend").textContent()) ?? "", /hidden: .*outside rows/);
    assert.ok((await page.locator("svg.attention .tokens.left .token").count()) <= 96, "token columns are windowed");

    // move the window to the end, scroll the page down, click the last token
    await page.locator('[data-control="window"]').evaluate((el: HTMLInputElement) => {
      el.value = el.max;
      el.dispatchEvent(new Event("change"));
    });
    const last = page.locator('svg.attention .tokens.left .token[data-position="510"]');
    await last.scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await last.click();
    await page.waitForFunction(() => document.querySelector(".details h3")?.textContent?.includes("position 510"));
    assert.ok(await page.evaluate(() => window.scrollY > 200), "the page was scrolled");
    assert.ok(await inViewport(page, ".toolbar"), "toolbar visible");
    assert.ok(await inViewport(page, ".details h3"), "details visible");
    await screenshot(page, "panel-512-lines.png", path.join(IMG, "panel-512-lines.png"));
    assert.deepEqual(problems, []);
  });

  it("matches: duplicates collapse with a count; results go stale after a layer change; screenshots", async () => {
    const { page, problems } = await openWebview(context);
    const oz = fixture("explain-minilm.msgpack.json");
    await send(page, { type: "explain", result: oz as never, view: { layer: 3, heads: [8, 11], by: "context" } });
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    await page.locator('svg.attention .tokens.left .token[data-position="5"]').click();
    const request = await lastPosted(page, "search");
    assert.ok(request.type === "search");
    const search = searchWithDuplicates(fixture<SearchPayload>("search-minilm.json"));
    await send(page, { type: "search", requestId: request.requestId, result: search });
    await page.waitForSelector("table.matches tbody tr");
    assert.equal(await page.locator("table.matches tbody tr").first().locator("td").first().textContent(), "1", "ranks are 1-based");
    assert.equal(await page.locator("table.matches .count").count(), 1);
    assert.equal(await page.locator("table.matches .count").textContent(), "×3");
    assert.match((await page.locator(".results-header").textContent()) ?? "", /2 identical contexts collapsed/);
    assert.match((await page.locator(".results-header h3").textContent()) ?? "", /context at layer L3 \(H8\+H11\)/);
    assert.match((await page.locator(".results-header").textContent()) ?? "", /excluding special tokens and position 0/);
    assert.ok(await inViewport(page, "table.matches tbody tr"), "first matches in view");
    await page.mouse.move(20, 880);
    await screenshot(page, "panel-1400.png", path.join(IMG, "panel-1400x900.png"));
    await page.screenshot({ path: path.join(IMG, "panel.png") }); // the README's picture: what fits on a screen
    await page.locator('button[data-action="open-doc"]').first().click();
    const open = await lastPosted(page, "openDocument");
    assert.ok(open.type === "openDocument" && open.doc === search.matches[0].doc && open.text === search.matches[0].text);

    await page.selectOption('[data-control="layer"]', "4");
    await page.waitForSelector(".matches-root.stale");
    assert.match((await page.locator(".stale-note").textContent()) ?? "", /^from L3 H8\+H11/);
    assert.ok(await page.locator(".histograms-root.stale").count());

    await page.setViewportSize({ width: 900, height: 700 });
    await page.selectOption('[data-control="layer"]', "3");
    await page.locator('svg.attention .tokens.left .token[data-position="7"]').click();
    const again = await lastPosted(page, "search");
    assert.ok(again.type === "search");
    await send(page, { type: "search", requestId: again.requestId, result: search });
    await page.waitForSelector(".matches-root:not(.stale) table.matches tbody tr");
    assert.ok(await inViewport(page, ".details h3"), "details in view at 900 x 700");
    assert.ok(await inViewport(page, "table.matches tbody tr"), "matches in view at 900 x 700");
    await page.screenshot({ path: path.join(IMG, "panel-900x700.png") });
    assert.deepEqual(problems, []);
  });
});

describe("panel with sparse attention (2,048 tokens)", function () {
  this.timeout(120_000);
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  it("renders the matrix from sparse rows and fetches the selected token's exact rows", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, problems } = await openWebview(context);
    await send(page, { type: "explain", result: syntheticSparse(4, 3, 2048), view: { layer: 2 } });
    await page.waitForSelector("svg.matrix-overlay");
    assert.match((await page.locator('[data-role="threshold-note"]').textContent()) ?? "", /strongest 95 %/);
    await page.locator("button.head[data-head='1']").click();
    await page.locator('button[data-view="attention"]').click();
    await page.locator('svg.attention .tokens.left .token[data-position="40"]').click();
    const request = await lastPosted(page, "attentionRows");
    assert.ok(request.type === "attentionRows");
    assert.deepEqual([request.args.layer, request.args.heads, request.args.rows], [2, [1], [40]]);
    // the exact row puts 60 % on key 1,000: outside what was sent (random keys), now the top
    const row = new Float32Array(2048);
    row[1000] = 0.6;
    row[39] = 0.4;
    const weights = { dtype: "float32" as const, shape: [1, 1, 2048], encoding: "base64" as const, data: Buffer.from(row.buffer).toString("base64"), scale: null };
    await send(page, { type: "attentionRows", requestId: request.requestId, result: { schema: "exbert.attentionRows/1", layer: 2, heads: [1], rows: [40], size: 2048, weights } });
    await page.waitForFunction(() => document.querySelector(".details .facts")?.textContent?.includes("(+960) 60 %"));
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe("standalone page state in the URL hash", function () {
  this.timeout(60_000);
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  it("restores layer, heads, threshold, view and token from the hash, and writes them back", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const payload = fixture("explain-minilm.json") as never;
    await serve(context, standalonePage(dist("webview.js"), dist("webview.css"), payload, null as never));
    const { page, problems } = await watchedPage(context);
    await page.goto(`${ORIGIN}/index.html#layer=2&heads=5,7&threshold=0.4&view=matrix&token=3`);
    await page.waitForSelector("svg.matrix-overlay");
    assert.equal(await page.inputValue('[data-control="layer"]'), "2");
    assert.equal(await page.inputValue('[data-control="threshold"]'), "40");
    assert.equal(await page.getAttribute("button.head[data-head='5']", "aria-pressed"), "true");
    assert.equal(await page.getAttribute("button.head[data-head='7']", "aria-pressed"), "true");
    assert.match((await page.locator(".details h3").textContent()) ?? "", /position 3/);
    await page.selectOption('[data-control="layer"]', "4");
    await page.locator('button[data-view="attention"]').click();
    assert.match(new URL(page.url()).hash, /layer=4&heads=5,7&threshold=0.4&view=attention&token=3/);
    await page.reload();
    await page.waitForSelector("svg.attention");
    assert.equal(await page.inputValue('[data-control="layer"]'), "4");
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("says what a page without a payload can and cannot do", async () => {
    const context = await browser.newContext();
    await serve(context, standalonePage(dist("webview.js"), dist("webview.css"), null as never, null as never));
    const { page } = await watchedPage(context);
    await page.goto(`${ORIGIN}/index.html`);
    await page.waitForSelector(".empty-state");
    assert.match((await page.locator(".empty-state").textContent()) ?? "", /cannot search the corpus/);
    await context.close();
  });
});
