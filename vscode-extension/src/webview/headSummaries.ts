// Corpus-wide summaries of the selected heads (exbert.heads/1 from the server).
import type { HeadsPayload, ViewState } from "../protocol";
import { clear, el, percent } from "./dom";

export function renderHeadSummaries(root: HTMLElement, heads: HeadsPayload | null, pending: boolean, view: ViewState): void {
  clear(root);
  if (pending) {
    root.append(el("p", { class: "hint" }, "Loading head summaries…"));
    return;
  }
  if (!heads) return;
  const wanted = heads.heads.filter((h) => h.layer === view.layer && (view.heads.length === 0 || view.heads.includes(h.head)));
  root.append(
    el("p", { class: "caption" }, `Head summaries over ${heads.sentences.toLocaleString()} sentences, ${heads.tokens.toLocaleString()} tokens${heads.complete === false ? " (incomplete: some indexed documents have no statistics)" : ""}`),
  );
  if (!wanted.length) {
    root.append(el("p", { class: "empty" }, `No summaries for the selected heads of L${view.layer}.`));
    return;
  }
  const table = el("table", { class: "head-summaries" });
  const header = el("tr");
  for (const c of ["head", "entropy", "special", "prev", "next", "best relation"]) header.append(el("th", { scope: "col" }, c));
  table.append(el("thead"), el("tbody"));
  table.tHead?.append(header);
  for (const h of wanted) {
    const best = [...h.relations].sort((a, b) => b.accuracy - a.accuracy)[0];
    const row = el("tr", { title: h.description });
    row.append(
      el("td", {}, `L${h.layer} H${h.head}`),
      el("td", { class: "num" }, h.entropy.toFixed(2)),
      el("td", { class: "num" }, percent(h.to_special)),
      el("td", { class: "num" }, percent(h.to_previous)),
      el("td", { class: "num" }, percent(h.to_next)),
      el("td", {}, best ? `${best.relation} ${percent(best.accuracy)} (baseline ${percent(best.baseline)})` : "–"),
    );
    table.tBodies[0].append(row);
  }
  root.append(table);
}
