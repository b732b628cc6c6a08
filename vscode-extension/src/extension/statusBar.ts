// The status bar item: model, corpus rows, indexing progress.
import type { StatusResult } from "./server";

export interface StatusView {
  text: string;
  tooltip: string;
}

export function describeStatus(status: StatusResult | null, indexing: string | null, error: string | null): StatusView {
  if (error) return { text: "$(error) exBERT", tooltip: `exBERT: ${error}` };
  if (!status) return { text: "$(loading~spin) exBERT", tooltip: "exBERT: starting the language server…" };
  const db = status.database;
  const rows = db.open && db.rows !== null ? `${db.rows.toLocaleString("en-US")} rows` : "no index";
  // short while indexing: the file being read goes to the tooltip, the bar keeps a percentage
  if (indexing !== null) {
    const pct = /\d+ ?%/.exec(indexing)?.[0];
    return { text: `$(sync~spin) exBERT · Indexing${pct ? ` ${pct.replace(" ", "")}` : "…"}`, tooltip: `Indexing into ${db.uri ?? "?"}: ${indexing}` };
  }
  const tooltip = [
    `Model: ${status.model}${status.model_loaded ? "" : " (loads on first use)"}`,
    `Corpus: ${db.uri ?? "no location"}${db.open ? ` · ${db.documents ?? 0} documents · ${rows}` : ""}`,
    ...(db.error ? [`⚠ ${db.error}`] : []),
    "Click to select a model",
  ].join("\n");
  // an index another model built: said as soon as the server reads the index's meta (no model load)
  const foreign = db.open && db.error !== null && db.model !== null && db.model !== status.model;
  return { text: `$(telescope) exBERT ${status.model} · ${foreign ? `index of ${db.model}` : rows}${db.error ? " $(warning)" : ""}`, tooltip };
}
