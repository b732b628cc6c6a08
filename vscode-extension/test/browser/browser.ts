// Headless Debian chromium through playwright-core, with a fake webview origin served by routes.
import { mkdirSync, existsSync } from "node:fs";
import * as path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { dist, RESULTS } from "../helpers";

export const CHROMIUM = process.env.EXBERT_CHROMIUM ?? "/usr/bin/chromium";
export const ORIGIN = "https://webview.test";

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set EXBERT_CHROMIUM)`);
  }
  // playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

export interface Watched {
  page: Page;
  problems: string[]; // console errors, page errors, CSP violations
}

/** A page whose console errors, uncaught errors and CSP violations are collected. */
export async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}

/** Serves dist/ and the given HTML at ORIGIN; everything else is refused (no network). */
export async function serve(context: BrowserContext, html: string): Promise<void> {
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) return route.abort();
    if (url.pathname === "/" || url.pathname === "/index.html") {
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    }
    const file = url.pathname.replace(/^\/dist\//, "");
    if (["webview.js", "webview.css"].includes(file)) {
      return route.fulfill({ status: 200, contentType: file.endsWith(".js") ? "text/javascript" : "text/css", body: dist(file) });
    }
    return route.fulfill({ status: 404, body: "not found" });
  });
}

export async function screenshot(page: Page, name: string, also?: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, name);
  await page.screenshot({ path: file, fullPage: true });
  if (also) {
    mkdirSync(path.dirname(also), { recursive: true });
    await page.screenshot({ path: also, fullPage: true });
  }
  return file;
}
