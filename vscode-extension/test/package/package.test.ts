// `vsce package` (3.9.x, offline) produces a .vsix with the bundles and nothing else.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EXT_ROOT } from "../helpers";
import { LIMITS } from "../../src/generated/payloads";

/** Entry names from a zip's central directory (enough for a .vsix; no dependency needed). */
export function zipEntries(zip: Buffer): { name: string; size: number }[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "not a zip file");
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, "bad central directory entry");
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extra = zip.readUInt16LE(offset + 30);
    const comment = zip.readUInt16LE(offset + 32);
    entries.push({ name: zip.toString("utf8", offset + 46, offset + 46 + nameLength), size });
    offset += 46 + nameLength + extra + comment;
  }
  return entries;
}

describe("vsce package", function () {
  this.timeout(120_000);

  it("packages the bundles offline, without node_modules, sources, maps or tests", () => {
    const vsix = path.join(mkdtempSync(path.join(tmpdir(), "exbert-vsix-")), "exbert-ls.vsix");
    const vsce = path.join(EXT_ROOT, "node_modules", "@vscode", "vsce", "vsce");
    const version = execFileSync(process.execPath, [vsce, "--version"], { cwd: EXT_ROOT, encoding: "utf8" }).trim();
    assert.match(version, /^3\.9\./);
    const out = execFileSync(process.execPath, [vsce, "package", "--no-dependencies", "--out", vsix], {
      cwd: EXT_ROOT,
      encoding: "utf8",
      stdio: "pipe",
      env: { ...process.env, npm_config_offline: "true" },
    });
    assert.doesNotMatch(out, /WARNING/i, out);
    const entries = zipEntries(readFileSync(vsix));
    const names = entries.map((e) => e.name).sort();
    for (const required of ["extension/package.json", "extension/dist/extension.js", "extension/dist/webview.js", "extension/dist/webview.css", "extension/readme.md", "extension/changelog.md", "extension/images/icon.png"]) {
      assert.ok(names.includes(required), `${required} missing from ${names.join(", ")}`);
    }
    const unwanted = names.filter((n) => /node_modules|\/src\/|\/test\/|fixtures|\.map$|\.ts$|tsconfig|esbuild/.test(n));
    assert.deepEqual(unwanted, []);
    assert.ok(names.length <= 14, `unexpected files: ${names.join(", ")}`);
    assert.ok(statSync(vsix).size < 1_000_000, `the .vsix is ${statSync(vsix).size} bytes`);

    const manifest = JSON.parse(readFileSync(path.join(EXT_ROOT, "package.json"), "utf8"));
    assert.equal(manifest.main, "./dist/extension.js");
    const titles = manifest.contributes.commands.map((c: { category: string; title: string }) => `${c.category}: ${c.title}`);
    assert.deepEqual(titles, ["exBERT: Explain", "exBERT: Index Workspace", "exBERT: Show Head Summaries", "exBERT: Select Model"]);
    const settings = Object.keys(manifest.contributes.configuration.properties).sort();
    assert.deepEqual(settings, ["exbert.allowOutsideWorkspace", "exbert.corpusFolders", "exbert.databasePath", "exbert.defaultLayer", "exbert.hover", "exbert.k", "exbert.model", "exbert.pythonPath", "exbert.storageOptions"]);
    // exbert.k's bounds are the server's (exbert_ls/limits.py, exported through the generated schema)
    const k = manifest.contributes.configuration.properties["exbert.k"];
    assert.deepEqual([k.maximum, k.default], [LIMITS.maxK, LIMITS.defaultK]);
    // Restricted Mode: the interpreter comes from machine settings only (a workspace cannot choose it)
    assert.equal(manifest.contributes.configuration.properties["exbert.pythonPath"].scope, "machine");
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.equal(manifest.contributes.configurationDefaults["files.exclude"]["**/.exbert"], true);
    for (const field of ["repository", "license", "icon"]) assert.ok(manifest[field], `package.json has no ${field}`);
  });
});

describe("README settings table", () => {
  it("is generated from package.json and current", () => {
    execFileSync(process.execPath, [path.join(EXT_ROOT, "test", "vscode", "settings-table.mjs"), "--check"], { cwd: EXT_ROOT, stdio: "pipe" });
  });
});
