// Bundles the extension host (CommonJS, `vscode` external) and the webview (one IIFE + CSS)
// into dist/, and copies the standalone-page template beside them. The webview bundle, its CSS
// and the template are also the Python package's data (../exbert_ls/webview/, what `exbert
// explain --html` fills; setup.py runs this build when they are missing or stale).
// `node esbuild.mjs --tests` also bundles test/ into out/test/ (vscode mocked).
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

// The webview runs in a browser (and in standalone pages): it imports nothing from vscode,
// not even types. esbuild drops type-only imports before resolving, so scan the sources.
const webviewSources = [...readdirSync("src/webview").map((f) => join("src/webview", f)), "src/protocol.ts"];
const vscodeImports = webviewSources.filter(
  (f) => f.endsWith(".ts") && /\bfrom\s+["']vscode["']|\bimport\s*\(\s*["']vscode["']|\brequire\(\s*["']vscode["']/.test(readFileSync(f, "utf8")),
);
if (vscodeImports.length) {
  console.error(`the webview must not import vscode: ${vscodeImports.join(", ")}`);
  process.exit(1);
}

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
  loader: { ".html": "text" },
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
copyFileSync("src/standalone.html", "dist/standalone.html");

// package data of the Python package (only inside a checkout that has it)
const packageData = join("..", "exbert_ls");
if (existsSync(join(packageData, "__init__.py"))) {
  mkdirSync(join(packageData, "webview"), { recursive: true });
  for (const file of ["webview.js", "webview.css", "standalone.html"]) copyFileSync(join("dist", file), join(packageData, "webview", file));
}

if (process.argv.includes("--tests")) {
  const entries = (dir) => readdirSync(dir).filter((f) => f.endsWith(".test.ts")).map((f) => join(dir, f));
  await build({
    bundle: true,
    sourcemap: "inline",
    logLevel: "warning",
    entryPoints: [...entries("test/unit"), ...entries("test/browser"), ...entries("test/protocol"), ...entries("test/package"), ...entries("test/page")],
    outdir: "out/test",
    outbase: "test",
    platform: "node",
    format: "cjs",
    target: "node20",
    alias: { vscode: "./test/mock/vscode.ts" },
    external: ["mocha", "playwright-core", "@vscode/vsce"],
    loader: { ".html": "text" },
  });
}
