// Corpus-wide summaries of the selected heads (exbert.heads/1 from the server): one row per head
// and relation, with direction, support, the fixed-offset baseline (and its offset) and z, the
// relation's accuracy above its baseline in standard errors of a binomial at the baseline rate.
// Every column sorts (click its header; again to reverse).
import { attentionLayer, type HeadRelation, type HeadSummary, type HeadsPayload, type ViewState } from "../protocol";
import { clear, el, percent } from "./dom";

/** z of an accuracy against its baseline over `support` cases (server's value when it sent one). */
export function zScore(r: HeadRelation): number {
  if (r.z !== undefined && r.z !== null) return r.z;
  const p = Math.min(1 - 1e-6, Math.max(1e-6, r.baseline));
  return (r.accuracy - r.baseline) / Math.sqrt((p * (1 - p)) / Math.max(1, r.support));
}

interface Row {
  head: HeadSummary;
  relation: HeadRelation | null;
}

type Key = "head" | "entropy" | "special" | "prev" | "next" | "relation" | "direction" | "accuracy" | "baseline" | "offset" | "z" | "support";

const COLUMNS: [Key, string, string][] = [
  ["head", "head", "layer and head"],
  ["entropy", "entropy", "mean attention entropy (nats)"],
  ["special", "special", "mass to special tokens"],
  ["prev", "prev", "mass to the previous token"],
  ["next", "next", "mass to the next token"],
  ["relation", "relation", "syntactic relation (Clark et al. 2019)"],
  ["direction", "direction", "which end attends to which"],
  ["accuracy", "acc", "share of the relation's words whose most-attended word is the related one"],
  ["baseline", "baseline", "the best fixed-offset guess's accuracy"],
  ["offset", "offset", "the baseline's offset (words)"],
  ["z", "z", "(acc − baseline) / √(baseline (1 − baseline) / support)"],
  ["support", "support", "cases counted"],
];

function value(row: Row, key: Key): number | string {
  const r = row.relation;
  switch (key) {
    case "head":
      return row.head.layer * 1000 + row.head.head;
    case "entropy":
      return row.head.entropy;
    case "special":
      return row.head.to_special;
    case "prev":
      return row.head.to_previous;
    case "next":
      return row.head.to_next;
    case "relation":
      return r?.relation ?? "";
    case "direction":
      return r?.direction ?? "";
    case "accuracy":
      return r?.accuracy ?? -1;
    case "baseline":
      return r?.baseline ?? -1;
    case "offset":
      return r?.baseline_offset ?? 0;
    case "z":
      return r ? zScore(r) : -Infinity;
    case "support":
      return r?.support ?? 0;
  }
}

let sortKey: Key = "z";
let descending = true;

export function renderHeadSummaries(root: HTMLElement, heads: HeadsPayload | null, pending: boolean, view: ViewState): void {
  clear(root);
  if (pending) {
    root.append(el("p", { class: "hint" }, "Loading head summaries…"));
    return;
  }
  if (!heads) return;
  const wanted = heads.heads.filter((h) => h.layer === attentionLayer(view) && (view.heads.length === 0 || view.heads.includes(h.head)));
  root.append(
    el("p", { class: "caption" }, `Head summaries over ${heads.sentences.toLocaleString()} sentences, ${heads.tokens.toLocaleString()} tokens${heads.complete === false ? " (incomplete: some indexed documents have no statistics)" : ""}`),
  );
  if (!wanted.length) {
    root.append(el("p", { class: "empty" }, `No summaries for the selected heads of L${attentionLayer(view)}.`));
    return;
  }
  const rows: Row[] = wanted.flatMap<Row>((head) => (head.relations.length ? head.relations.map((relation) => ({ head, relation })) : [{ head, relation: null }]));
  const table = el("table", { class: "head-summaries" });
  const draw = () => {
    rows.sort((a, b) => {
      const x = value(a, sortKey);
      const y = value(b, sortKey);
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return (descending ? -c : c) || value(a, "head").toString().localeCompare(value(b, "head").toString());
    });
    const header = el("tr");
    for (const [key, label, title] of COLUMNS) {
      const th = el("th", { scope: "col", title, "data-sort": key, "aria-sort": key === sortKey ? (descending ? "descending" : "ascending") : "none" });
      const button = el("button", { type: "button", class: "link sort" }, `${label}${key === sortKey ? (descending ? " ▼" : " ▲") : ""}`);
      button.addEventListener("click", () => {
        descending = key === sortKey ? !descending : typeof value(rows[0], key) === "number";
        sortKey = key;
        draw();
      });
      th.append(button);
      header.append(th);
    }
    const body = el("tbody");
    for (const { head: h, relation: r } of rows) {
      const row = el("tr", { title: h.description });
      const z = r ? zScore(r) : null;
      row.append(
        el("td", {}, `L${h.layer} H${h.head}`),
        el("td", { class: "num" }, h.entropy.toFixed(2)),
        el("td", { class: "num" }, percent(h.to_special)),
        el("td", { class: "num" }, percent(h.to_previous)),
        el("td", { class: "num" }, percent(h.to_next)),
        el("td", {}, r ? r.relation : "–"),
        el("td", {}, r ? r.direction : ""),
        el("td", { class: "num" }, r ? percent(r.accuracy) : ""),
        el("td", { class: "num" }, r ? percent(r.baseline) : ""),
        el("td", { class: "num" }, r ? (r.baseline_offset > 0 ? `+${r.baseline_offset}` : String(r.baseline_offset)) : ""),
        el("td", { class: `num${z !== null && z >= 3 ? " strong" : ""}` }, z !== null ? z.toFixed(1) : ""),
        el("td", { class: "num" }, r ? String(r.support) : ""),
      );
      body.append(row);
    }
    table.replaceChildren(el("thead"), body);
    table.tHead?.append(header);
  };
  draw();
  root.append(table);
}
