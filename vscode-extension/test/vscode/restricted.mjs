// Restricted Mode in a real VS Code: an untrusted workspace (workspace trust on) activates the
// extension without starting any interpreter, says so in the status bar, and starts exbert-ls
// once the user trusts the workspace. Env as drive.mjs (CS_URL, SHOTS, LOGS, PLAYWRIGHT_CORE).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const { CS_URL, SHOTS, LOGS } = process.env;
const { chromium } = createRequire(import.meta.url)(process.env.PLAYWRIGHT_CORE);
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`, ...a);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
await context.route("**/*", (r) => (new URL(r.request().url()).hostname === "127.0.0.1" || !/^https?:/.test(r.request().url()) ? r.continue() : r.abort()));
const page = await context.newPage();
const assert = (ok, message) => {
  if (!ok) throw new Error(message);
};
async function step(name, fn) {
  log(`▶ ${name}`);
  try {
    const detail = await fn();
    await page.screenshot({ path: path.join(SHOTS, `restricted-${name}.png`) });
    log(`✔ ${name}${detail ? `: ${detail}` : ""}`);
  } catch (error) {
    log(`✘ ${name}: ${String(error?.message ?? error).split("\n").slice(0, 4).join(" | ")}`);
    await page.screenshot({ path: path.join(SHOTS, `fail-restricted-${name}.png`) }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
}
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
/** What the exBERT output channel holds so far (its log file appears with its first line). */
const channel = () => files(LOGS).filter((f) => path.basename(f) === "exBERT.log").map((f) => readFileSync(f, "utf8")).join("\n");
const exbertItem = () => page.locator(".statusbar-item", { hasText: "exBERT" }).first();

await step("untrusted-workbench", async () => {
  await page.goto(CS_URL);
  await page.waitForSelector(".explorer-folders-view .monaco-list-row", { timeout: 90000 });
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label^="notes.txt"]').click();
  const item = exbertItem();
  await item.waitFor({ timeout: 60000 });
  // activated (the item is there) but nothing started: the error icon, and no "Starting" in the channel
  await page.waitForFunction(() => [...document.querySelectorAll(".statusbar-item")].some((e) => /exBERT/.test(e.textContent ?? "") && e.querySelector(".codicon-error")), null, { timeout: 30000 });
  await page.waitForTimeout(1500); // a server start, if the extension wrongly made one, would be logged by now
  assert(!/Starting .* -m exbert_ls\.server/.test(channel()), `exbert-ls started in Restricted Mode:\n${channel()}`);
  const label = (await item.getAttribute("aria-label")) ?? (await item.innerText());
  return `status "${(await item.innerText()).trim()}" (${label.slice(0, 80)})`;
});
await step("trust-starts-server", async () => {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible" });
  await input.fill(">Workspaces: Manage Workspace Trust");
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Manage Workspace Trust" }).first().waitFor({ timeout: 10000 });
  await page.keyboard.press("Enter");
  await page.locator(".workspace-trust-editor .monaco-button", { hasText: /^Trust$/ }).first().click({ timeout: 20000 });
  await page.waitForFunction(() => [...document.querySelectorAll(".statusbar-item")].some((e) => /exBERT minilm · no index/.test(e.textContent ?? "")), null, { timeout: 90000, polling: 100 });
  assert(/Starting .* -m exbert_ls\.server/.test(channel()), "no server start logged after trusting");
  return (await exbertItem().innerText()).trim();
});
await browser.close();
process.exit(0);
