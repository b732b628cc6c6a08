// Bundles the extension host (CommonJS, `vscode` external) and the webview (one IIFE + CSS)
// into dist/. `node esbuild.mjs --tests` also bundles test/ into out/test/ (vscode mocked).
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const production = !process.argv.includes("--dev");
rmSync("dist", { recursive: true, force: true }); // no stale maps or bundles
const common = { bundle: true, minify: production, sourcemap: !production, logLevel: "warning" };

await build({
  ...common,
  entryPoints: ["src/extension/extension.ts"],
  outfile: "dist/extension.js",
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
});

await build({
  ...common,
  entryPoints: { webview: "src/webview/main.ts" },
  outdir: "dist",
  platform: "browser",
  format: "iife",
  target: "es2022",
  loader: { ".css": "css" },
});

if (process.argv.includes("--tests")) {
  const entries = (dir) => readdirSync(dir).filter((f) => f.endsWith(".test.ts")).map((f) => join(dir, f));
  await build({
    bundle: true,
    sourcemap: "inline",
    logLevel: "warning",
    entryPoints: [...entries("test/unit"), ...entries("test/browser"), ...entries("test/protocol"), ...entries("test/package")],
    outdir: "out/test",
    outbase: "test",
    platform: "node",
    format: "cjs",
    target: "node20",
    alias: { vscode: "./test/mock/vscode.ts" },
    external: ["mocha", "playwright-core", "@vscode/vsce"],
  });
}
