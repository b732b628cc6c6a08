// `npm test`: type-check, bundle the tests (vscode mocked), run every suite with mocha, print one closing line
// "N passed, N failed, N skipped" and exit non-zero on any failure.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Mocha from "mocha";

// esbuild does not type-check: tsc (strict) does, first.
try {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", ".", "--noEmit"], { stdio: "inherit" });
} catch {
  console.log("\nvscode-extension: 0 passed, 1 failed (type errors above)");
  process.exit(1);
}
execFileSync(process.execPath, ["esbuild.mjs", "--tests"], { stdio: "inherit" });

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith(".test.js") ? [full] : [];
  });
}

const only = process.argv.slice(2);
const mocha = new Mocha({ reporter: "spec", timeout: 20_000 });
for (const file of files("out/test").sort()) {
  if (!only.length || only.some((o) => file.includes(o))) mocha.addFile(file);
}
const runner = mocha.run((failures) => {
  const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {};
  console.log(`\nvscode-extension: ${passes} passed, ${failed} failed, ${pending} skipped`);
  // exit now: a server child process or socket left open by a failed test must not hang `npm test`
  process.exit(failures ? 1 : 0);
});
