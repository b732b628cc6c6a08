// Every fixture the panel tests use is a valid payload of the schema (make_fixtures.py writes them
// from the typed Python payloads), so the panel is never tested against a shape the server cannot send.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { EXT_ROOT } from "../helpers";
import { assertValid } from "./schema";

const DIR = path.join(EXT_ROOT, "test", "fixtures");

describe("fixtures match the schema", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
  it("has fixtures of every kind", () => {
    assert.ok(files.some((f) => f.startsWith("explain-")) && files.some((f) => f.startsWith("search-")));
  });
  for (const file of files) {
    it(file, () => {
      const output = file.split("-")[0];
      assertValid(output, JSON.parse(readFileSync(path.join(DIR, file), "utf8")));
    });
  }

  it("rejects the drift the hand-written types had (next_token.start, no max_attended.special)", () => {
    const search = JSON.parse(readFileSync(path.join(DIR, "search-minilm.json"), "utf8"));
    const match = search.matches[0];
    const drifted = { ...search, matches: [{ ...match, next_token: { position: 1, text: "a", start: 0, end: 1 } }] };
    assert.throws(() => assertValid("search", drifted), /additional properties/);
    const { special: _special, ...attended } = match.max_attended;
    assert.throws(() => assertValid("search", { ...search, matches: [{ ...match, max_attended: attended }] }), /special/);
  });
});
