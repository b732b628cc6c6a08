// The model analyses in the panel (issue 12), in headless chromium with the VS Code host stubbed:
// the logit-lens tab, "ablate selected heads", the ablation scan beside the model view, rollout.
import * as assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { AblationPayload, AblationScanPayload, ExplainPayload, HostToWebview, LensPayload, WebviewToHost } from "../../src/protocol";
import { webviewHtml } from "../../src/extension/webviewHtml";
import { fixture } from "../helpers";
import { launch, ORIGIN, screenshot, serve, watchedPage, type Watched } from "./browser";

async function openWebview(context: BrowserContext): Promise<Watched> {
  await serve(context, webviewHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/dist/webview.css` }));
  const watched = await watchedPage(context);
  await watched.page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    w.__posted = posted;
    w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(m), getState: () => null, setState: () => undefined });
  });
  await watched.page.goto(`${ORIGIN}/index.html`);
  await waitForPosted(watched.page, (m) => m.type === "ready");
  return watched;
}

async function send(page: Page, message: HostToWebview): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, "*"), message);
}

async function waitForPosted(page: Page, match: (m: WebviewToHost) => boolean): Promise<WebviewToHost> {
  for (let i = 0; i < 400; i++) {
    const all = await page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted);
    const found = all.find(match);
    if (found) return found;
    await page.waitForTimeout(50);
  }
  throw new Error("no matching message posted");
}

const PAYLOAD = fixture<ExplainPayload>("explain-tiny-mlm.json"); // a masked LM: lens and ablation apply
const L = PAYLOAD.num_layers;
const H = PAYLOAD.num_heads;

async function shown(context: BrowserContext): Promise<Watched> {
  const watched = await openWebview(context);
  await send(watched.page, { type: "explain", result: PAYLOAD, view: { layer: 2 } });
  await watched.page.waitForSelector("svg.attention .lines path", { state: "attached" });
  return watched;
}

function lensResult(): LensPayload {
  const tokens = ["[CLS]", "the", "cat"];
  return {
    model: PAYLOAD.model.name,
    tokens,
    head: "MLM head",
    k: 2,
    positions: tokens.map((token, position) => ({
      position,
      token,
      target: token,
      // layers 0..2: the last layer's top-1 is the token itself (a hit), the others are not
      top_tokens: [["x", "y"], ["y", "x"], [token, "x"]],
      top_probabilities: [[0.2, 0.1], [0.4, 0.2], [0.9, 0.05]],
      target_probability: [0.01, 0.1, 0.9],
    })),
  };
}

describe("model analyses in the panel (chromium)", function () {
  this.timeout(60_000);
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1320, height: 900 } });
  });
  afterEach(async () => context?.close());

  it("the logit-lens tab asks exbert.lens and shows layers x tokens with the target marked", async () => {
    const { page, problems } = await shown(context);
    await page.locator('[data-view="lens"]').click();
    const request = await waitForPosted(page, (m) => m.type === "lens");
    assert.ok(request.type === "lens");
    assert.equal(request.args.text, PAYLOAD.text);
    await send(page, { type: "lens", requestId: request.requestId, result: lensResult() });
    await page.waitForSelector(".lens-grid");
    assert.equal(await page.locator(".lens-grid td.lens-cell").count(), 3 * 3);
    assert.equal(await page.locator(".lens-grid td.lens-hit").count(), 3, "only the last layer predicts the target");
    assert.ok(await page.locator(".attention-root").isHidden());
    assert.deepEqual(problems, []);
  });

  it("'ablate selected heads' sends the layer's selected heads; the answer shows the loss and the attention downstream", async () => {
    const { page, problems } = await shown(context);
    assert.ok(await page.locator('[data-action="ablate"]').isDisabled(), "no head selected yet");
    await page.locator("button.head[data-head='3']").click();
    assert.ok(await page.locator('[data-action="ablate"]').isEnabled());
    await page.locator('[data-action="ablate"]').click();
    const request = await waitForPosted(page, (m) => m.type === "ablate");
    assert.ok(request.type === "ablate");
    assert.deepEqual(request.args.heads, [[2, 3]]);
    assert.equal(request.args.scan, undefined);
    const change = Array.from({ length: L }, (_, l) => Array.from({ length: H }, () => (l >= 2 ? 0.2 : 0)));
    const result: AblationPayload = {
      model: PAYLOAD.model.name,
      mode: "zero",
      heads: [[2, 3]],
      loss: 2.5,
      ablated_loss: 2.75,
      attention_change: change,
      positions: [{ position: 0, token: "the", original_top: "cat", delta_logprob_top: -0.5, target: "the", delta_logprob_target: -0.25, kl: 0.1, ablated_top: "dog" }],
    };
    await send(page, { type: "ablation", requestId: request.requestId, result });
    await page.waitForSelector(".ablation-root .ablation-positions");
    assert.match(await page.locator(".ablation-root").innerText(), /L2 H3 ablated \(zero\) · loss 2\.500 → 2\.750/);
    assert.equal(await page.locator(".ablation-root .attention-change td.ablation-cell").count(), L * H);
    assert.deepEqual(problems, []);
  });

  it("the ablation scan shows its L x H heat map beside the model view", async () => {
    const { page, problems } = await shown(context);
    await page.locator('[data-action="ablation-scan"]').click();
    const request = await waitForPosted(page, (m) => m.type === "ablate");
    assert.ok(request.type === "ablate" && request.args.scan === true);
    assert.ok(await page.locator(".model-root").isVisible(), "the scan opens the model view");
    const scan: AblationScanPayload = {
      model: PAYLOAD.model.name,
      mode: "zero",
      loss: 3,
      delta_loss: Array.from({ length: L }, (_, l) => Array.from({ length: H }, (_, h) => (l === 1 && h === 3 ? 0.5 : -0.01))),
      seconds: 1,
      forwards: 3,
      cached: false,
    };
    await send(page, { type: "ablationScan", requestId: request.requestId, result: scan });
    await page.waitForSelector(".ablation-scan-root .ablation-grid");
    assert.equal(await page.locator(".ablation-scan-root td.ablation-cell").count(), L * H);
    const model = await page.locator(".model-root").boundingBox();
    const heat = await page.locator(".ablation-scan-root").boundingBox();
    assert.ok(model && heat && heat.x >= model.x + model.width - 1, `the heat map sits to the right of the model view: ${JSON.stringify([model, heat])}`);
    await screenshot(page, "analyses-scan.png");
    await page.locator('[data-view="attention"]').click();
    assert.ok(await page.locator(".ablation-scan-root").isHidden());
    assert.deepEqual(problems, []);
  });

  it("a model without an LM head disables the lens and ablations, saying why", async () => {
    const { page } = await openWebview(context);
    await send(page, { type: "explain", result: fixture("explain-minilm.json") });
    await page.waitForSelector("svg.attention .lines path", { state: "attached" });
    for (const selector of ['[data-view="lens"]', '[data-action="ablation-scan"]']) {
      assert.ok(await page.locator(selector).isDisabled());
      assert.match((await page.locator(selector).getAttribute("title")) ?? "", /no LM head/);
    }
  });

  it("rollout: asks for it when missing, then draws the rollout instead of the heads' mean", async () => {
    const { page, problems } = await shown(context);
    await page.locator('[data-control="rollout"]').check();
    const request = await waitForPosted(page, (m) => m.type === "mask");
    assert.ok(request.type === "mask" && request.rollout === true);
    // a rollout that is the identity: every visible token keeps exactly one line, to itself
    const T = PAYLOAD.tokens.length;
    const eye = Array.from({ length: T }, (_, q) => Array.from({ length: T }, (_, k) => (q === k ? 1 : 0)));
    await send(page, { type: "explain", result: { ...PAYLOAD, rollout: Array.from({ length: L }, () => eye) } });
    await page.waitForSelector('svg.attention[data-source="rollout"]');
    const visible = PAYLOAD.tokens.filter((t) => !t.special).length;
    assert.equal(await page.locator("svg.attention .lines path").count(), visible);
    assert.match(await page.locator(".attention-root .caption").innerText(), /rollout through L2/);
    await page.locator('[data-control="rollout"]').uncheck();
    await page.waitForSelector('svg.attention[data-source="heads"]');
    assert.deepEqual(problems, []);
  });
});
