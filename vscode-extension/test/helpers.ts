// Shared test helpers: paths and fixtures.
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** vscode-extension/ (tests run from out/test/<suite>/, bundled). */
export const EXT_ROOT = path.resolve(__dirname, "..", "..", "..");
export const REPO_ROOT = path.resolve(EXT_ROOT, "..");
export const RESULTS = path.join(EXT_ROOT, "test-results");

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(path.join(EXT_ROOT, "test", "fixtures", name), "utf8")) as T;
}

export function dist(name: string): string {
  return readFileSync(path.join(EXT_ROOT, "dist", name), "utf8");
}
