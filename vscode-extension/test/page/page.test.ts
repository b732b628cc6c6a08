// The one standalone-page rule: scriptJson matches the cases exbert_ls/html.py is tested on too,
// and fillPage fills the template in one pass with the bundle's closing tags escaped.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fillPage, scriptJson, standalonePage } from "../../src/extension/webviewHtml";

interface Case {
  name: string;
  value: unknown;
  json: string;
  nonFinite?: string[];
}

const cases = (JSON.parse(readFileSync("test/page/escaping-cases.json", "utf8")) as { cases: Case[] }).cases;

function withNonFinite(c: Case): unknown {
  if (!c.nonFinite) return c.value;
  const value = { ...(c.value as Record<string, unknown>) };
  for (const key of c.nonFinite) value[key] = Number(value[key]);
  return value;
}

describe("standalone page", () => {
  for (const c of cases) {
    it(`scriptJson: ${c.name}`, () => assert.equal(scriptJson(withNonFinite(c)), c.json));
  }

  it("fills every placeholder once; inserted text is never re-scanned", () => {
    const page = fillPage(readFileSync("src/standalone.html", "utf8"), {
      js: "var s = '</SCRIPT>{{nonce}}';",
      css: "a::after{content:'</style>'}",
      payloadJson: scriptJson({ t: "{{js}}" }),
      viewJson: null,
      nonce: "N0nce",
    });
    // the only placeholders left are the two inside the inserted data
    assert.equal(page.match(/\{\{(nonce|css|js|payload|view)\}\}/g)?.length, 2);
    assert.equal(page.match(/'nonce-N0nce'/g)?.length, 2);
    assert.ok(page.includes("var s = '<\\/SCRIPT>{{nonce}}';"));
    assert.ok(page.includes("content:'<\\/style>'"));
    assert.ok(page.includes('id="exbert-payload">{"t":"{{js}}"}</script>\n<script nonce="N0nce">'));
    assert.doesNotMatch(page, /exbert-view/);
  });

  it("standalonePage uses the shipped template", () => {
    const page = standalonePage("x()", "b{}", { schema: "exbert.explain/1" } as never, { layer: 0 } as never, "abc");
    assert.ok(page.startsWith("<!DOCTYPE html>"));
    assert.ok(page.includes('<script type="application/json" id="exbert-view">{"layer":0}</script>'));
  });
});
