// Checks real answers against the JSON Schema that `exbert schema` prints (src/generated/schema.json),
// so a drift between Python and the generated types fails here instead of being cast away.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { decode as msgpackDecode } from "@msgpack/msgpack";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import { base64ToBytes } from "../../src/webview/decode";
import { EXT_ROOT } from "../helpers";

const SCHEMA = JSON.parse(readFileSync(path.join(EXT_ROOT, "src", "generated", "schema.json"), "utf8")) as {
  properties: Record<string, { $ref: string }>;
};
// `tsType` is an annotation for json-schema-to-typescript (bytes inside msgpack documents)
const ajv = new Ajv2020({ allErrors: true, strict: true, keywords: ["tsType", "x-limits"] });
ajv.addSchema(SCHEMA, "exbert");
const validators = new Map<string, ValidateFunction>();

/** Server command -> output name in the schema's top-level `properties`. */
export const COMMAND_OUTPUTS: Record<string, string> = {
  "exbert.explain": "explain",
  "exbert.search": "search",
  "exbert.headSummary": "heads",
  "exbert.status": "status",
  "exbert.indexWorkspace": "index",
};

function validator(output: string): ValidateFunction {
  const ref = SCHEMA.properties[output]?.$ref;
  if (!ref) throw new Error(`no output ${output} in the schema`);
  let fn = validators.get(output);
  if (!fn) {
    fn = ajv.getSchema(`exbert${ref}`);
    if (!fn) throw new Error(`cannot resolve ${ref}`);
    validators.set(output, fn);
  }
  return fn;
}

/** Throws (with ajv's messages) unless `value` is a valid `output`; a msgpack envelope of an
 * explain is checked, then the document inside it. Returns the value. */
export function assertValid<T>(output: string, value: T): T {
  const v = value as { schema?: unknown; data?: unknown };
  if (output === "explain" && v && v.schema === "exbert.msgpack/1") {
    assertValid("msgpack", value);
    assertValid("explain", msgpackDecode(base64ToBytes(String(v.data))));
    return value;
  }
  const fn = validator(output);
  if (!fn(value)) throw new Error(`not a valid ${output}: ${ajv.errorsText(fn.errors, { separator: "; " })}`);
  return value;
}
