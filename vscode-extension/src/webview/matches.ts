// The neighbour-search matches: each sentence with the matched token highlighted, and coloured
// annotation cells for the words at offsets -1, 0, +1.
import type { Annotation, AnnotationKind, SearchPayload } from "../protocol";
import { labelColor, labelText } from "./colors";
import { clear, el } from "./dom";

export function renderMatches(root: HTMLElement, search: SearchPayload, kind: AnnotationKind, color = labelColor()): void {
  clear(root);
  const { query } = search;
  const heads = query.heads && query.heads.length ? `heads ${query.heads.map((h) => `H${h}`).join(" ")}` : "all heads";
  root.append(
    el(
      "p",
      { class: "caption" },
      `${search.matches.length} nearest tokens by ${query.by}${query.by === "context" ? ` (${heads})` : ""} at layer L${query.layer}`,
    ),
  );
  if (!search.matches.length) {
    root.append(el("p", { class: "empty" }, "No matches: is the corpus indexed? (exBERT: Index Workspace)"));
    return;
  }
  const table = el("table", { class: "matches" });
  const head = el("tr");
  for (const label of ["#", "sim", "−1", "0", "+1", "sentence"]) head.append(el("th", { scope: "col" }, label));
  table.append(el("thead"), el("tbody"));
  table.tHead?.append(head);
  for (const m of search.matches) {
    const row = el("tr", { "data-rank": String(m.rank) });
    row.append(el("td", { class: "num" }, String(m.rank + 1)), el("td", { class: "num" }, m.similarity.toFixed(3)));
    for (const a of [m.left, m.word, m.right]) row.append(annotationCell(a, kind, color));
    const sentence = el("td", { class: "sentence", title: `${m.doc} · sentence ${m.sentence}` });
    const start = Math.max(0, Math.min(m.text.length, m.token.start));
    const end = Math.max(start, Math.min(m.text.length, m.token.end));
    sentence.append(
      document.createTextNode(m.text.slice(0, start)),
      el("mark", {}, m.text.slice(start, end) || m.token.text),
      document.createTextNode(m.text.slice(end)),
    );
    row.append(sentence);
    table.tBodies[0].append(row);
  }
  root.append(table);
}

function annotationCell(a: Annotation | null, kind: AnnotationKind, color: (label: string) => string): HTMLTableCellElement {
  if (!a) return el("td", { class: "ann edge" }, "");
  const label = a[kind] ?? "";
  const cell = el("td", { class: "ann", title: `${a.text}: ${a.pos} / ${a.dep}${a.ent_type ? ` / ${a.ent_type}` : ""}` }, labelText(label));
  cell.style.setProperty("--chip", color(label));
  return cell;
}
