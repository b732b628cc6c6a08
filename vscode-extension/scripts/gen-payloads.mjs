// `npm run gen`: src/generated/payloads.ts from src/generated/schema.json (the JSON Schema that
// `exbert schema` prints; Python regenerates it, tests/test_schema.py fails when either is stale).
// `--check` writes nothing and exits 1 when payloads.ts differs from what it would generate.
import { readFileSync, writeFileSync } from "node:fs";
import { compile } from "json-schema-to-typescript";

const SCHEMA = "src/generated/schema.json";
const OUT = "src/generated/payloads.ts";
const schema = JSON.parse(readFileSync(SCHEMA, "utf8"));
// every $defs entry becomes an exported type, whether an output refers to it or not
const ts = await compile(schema, "ExbertOutputs", {
  bannerComment: `// GENERATED from ${SCHEMA} by scripts/gen-payloads.mjs (npm run gen): do not edit.\n// The source of truth is exbert_ls/payloads (Python); regenerate with \`exbert schema -o ${SCHEMA} && npm run gen\`.`,
  unreachableDefinitions: true,
  additionalProperties: false,
  strictIndexSignatures: false,
  format: true,
  style: { printWidth: 120 },
});
// the shared bounds (exbert_ls/limits.py, as `x-limits` in the schema): one definition for both sides
const limits = schema["x-limits"] ?? {};
const out = `${ts}\n/** Bounds from exbert_ls/limits.py (the schema's \`x-limits\`). */\nexport const LIMITS = ${JSON.stringify(limits)} as const;\n`;
if (process.argv.includes("--check")) {
  const current = readFileSync(OUT, "utf8");
  if (current !== out) {
    console.error(`${OUT} is stale: run \`npm run gen\` (after \`exbert schema -o ${SCHEMA}\`)`);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, out);
}
