// The neighbour-search matches: keyword-in-context snippets (a window of words around the
// match, expandable to the sentence), coloured annotation cells for the words at offsets -1, 0,
// +1, the document and a jump to it, identical contexts collapsed by the server (with a count),
// 1-based ranks, and a header that names what was searched. Results from another layer / head
// set than the view's are greyed and say where they are from.
import type { Annotation, AnnotationKind, SearchMatch, SearchPayload, ViewState } from "../protocol";
import { labelColor, labelText } from "./colors";
import { clear, el } from "./dom";

export const CONTEXT_WORDS = 6; // words each side of the match in a snippet

export interface MatchHandlers {
  open?(match: SearchMatch): void; // absent in a standalone page
}

/** "L3 H8+H11" / "L4 all heads": the layer and heads a search used, as every display names them. */
export function searchedAt(search: SearchPayload): string {
  const { query } = search;
  const heads = query.heads && query.heads.length ? query.heads.map((h) => `H${h}`).join("+") : "all heads";
  return `L${query.layer} ${heads}`;
}

/** True when the view's layer / heads / method differ from those the results were searched with. */
export function isStale(search: SearchPayload, view: ViewState): boolean {
  const q = search.query;
  const heads = q.heads ?? [];
  const same = q.layer === view.layer && q.by === view.by && heads.length === view.heads.length && heads.every((h, i) => h === view.heads[i]);
  return !same;
}

/** What was searched, in the panel's and CLI's words. */
export function searchTitle(search: SearchPayload): string {
  const { query } = search;
  const what = query.by === "context" ? `context at layer L${query.layer} (${searchedAt(search).split(" ").slice(1).join(" ")})` : `hidden state at layer L${query.layer}`;
  const token = query.token_text ? `“${query.token_text}”` : `token ${query.token}`;
  const method = query.method ? ` · ${query.method}` : query.exact ? " · exact" : "";
  return `Nearest tokens to ${token} by ${what}${method}`;
}

/** The rule the max-attended tokens follow (heads averaged, exclusions), as one line. */
export function maxAttendedNote(search: SearchPayload): string {
  const rule = search.max_attended_rule;
  if (!rule) return "max-attended: each selected head's own maximum (index columns)";
  const heads = rule.heads.length === 1 ? `H${rule.heads[0]}` : `mean of ${rule.heads.map((h) => `H${h}`).join("+")}`;
  const ex = [rule.exclude_special ? "special tokens" : "", rule.exclude_first ? "position 0 (sink)" : ""].filter(Boolean);
  return `max-attended over ${heads} (${rule.method})${ex.length ? `, excluding ${ex.join(" and ")}` : ", nothing excluded"}`;
}

/** Words of `text` as [start, end) spans. */
function words(text: string): [number, number][] {
  return [...text.matchAll(/\S+/g)].map((m) => [m.index ?? 0, (m.index ?? 0) + m[0].length]);
}

/** The snippet around [start, end): up to `n` words each side, and whether anything was cut. */
export function snippet(text: string, start: number, end: number, n = CONTEXT_WORDS): { before: string; match: string; after: string; cut: boolean } {
  const spans = words(text);
  let first = spans.findIndex(([, e]) => e > start);
  if (first < 0) first = spans.length;
  let last = spans.length - 1;
  while (last >= 0 && spans[last][0] >= end) last--;
  const from = Math.max(0, first - n);
  const to = Math.min(spans.length - 1, Math.max(last, first) + n);
  const a = from < spans.length ? Math.min(spans[from][0], start) : start;
  const b = to >= 0 ? Math.max(spans[to][1], end) : end;
  return {
    before: (from > 0 ? "… " : "") + text.slice(a, start),
    match: text.slice(start, end),
    after: text.slice(end, b) + (to < spans.length - 1 ? " …" : ""),
    cut: from > 0 || to < spans.length - 1,
  };
}

export function renderMatches(root: HTMLElement, search: SearchPayload, kind: AnnotationKind, view: ViewState, on: MatchHandlers = {}, color = labelColor()): void {
  clear(root);
  const stale = isStale(search, view);
  root.classList.toggle("stale", stale);
  const header = el("div", { class: "results-header" });
  header.append(el("h3", {}, searchTitle(search)));
  const shown = search.matches.length;
  const collapsed = search.dedup?.collapsed ?? 0;
  header.append(
    el(
      "p",
      { class: "caption" },
      `${shown} rows${collapsed ? ` (${collapsed} identical contexts collapsed into their first row by the server${search.dedup?.counted_once === false ? "; histograms count every copy" : "; histograms count each once"})` : ""} · ${maxAttendedNote(search)}`,
    ),
  );
  if (stale) {
    header.append(el("p", { class: "stale-note", "data-stale": searchedAt(search) }, `from ${searchedAt(search)}${search.query.by !== view.by ? ` by ${search.query.by === "embedding" ? "hidden state" : "context"}` : ""}: the view is now L${view.layer} ${view.heads.length ? view.heads.map((h) => `H${h}`).join("+") : "all heads"}. Click a token to search again.`));
  }
  root.append(header);
  if (!search.matches.length) {
    root.append(el("p", { class: "empty" }, "No matches: is the corpus indexed? (exBERT: Index Workspace)"));
    return;
  }
  const table = el("table", { class: "matches" });
  const head = el("tr");
  for (const label of ["#", "sim", "−1", "0", "+1", "context", "document"]) head.append(el("th", { scope: "col" }, label));
  table.append(el("thead"), el("tbody"));
  table.tHead?.append(head);
  for (const m of search.matches) {
    const row = el("tr", { "data-rank": String(m.rank) });
    const rank = el("td", { class: "num" }, String(m.rank + 1));
    if ((m.count ?? 1) > 1) rank.append(el("span", { class: "count", title: `${m.count} identical contexts (same sentence, same position)` }, `×${m.count}`));
    row.append(rank, el("td", { class: "num" }, m.similarity.toFixed(3)));
    for (const a of [m.left, m.word, m.right]) row.append(annotationCell(a, kind, color));
    row.append(sentenceCell(m), documentCell(m, on));
    table.tBodies[0].append(row);
  }
  root.append(table);
}

function sentenceCell(m: SearchMatch): HTMLTableCellElement {
  const cell = el("td", { class: "sentence" });
  const start = Math.max(0, Math.min(m.text.length, m.token.start));
  const end = Math.max(start, Math.min(m.text.length, m.token.end));
  const render = (full: boolean) => {
    const s = full ? { before: m.text.slice(0, start), match: m.text.slice(start, end), after: m.text.slice(end), cut: false } : snippet(m.text, start, end);
    const text = el("span", { class: "kwic" });
    text.append(document.createTextNode(s.before), el("mark", {}, s.match || m.token.text), document.createTextNode(s.after));
    cell.replaceChildren(text);
    const cutNow = snippet(m.text, start, end).cut;
    if (cutNow) {
      const toggle = el("button", { type: "button", class: "link expand", "aria-expanded": String(full) }, full ? "less" : "sentence");
      toggle.addEventListener("click", () => render(!full));
      cell.append(toggle);
    }
  };
  render(false);
  return cell;
}

function documentCell(m: SearchMatch, on: MatchHandlers): HTMLTableCellElement {
  const name = m.doc_path ?? m.doc;
  const cell = el("td", { class: "doc", title: `${m.doc} · sentence ${m.sentence}` });
  const label = `${name.split("/").slice(-2).join("/")} §${m.sentence}`;
  if (on.open) {
    const open = el("button", { type: "button", class: "link", "data-action": "open-doc" }, label);
    open.title = `Open ${name} at this sentence`;
    open.addEventListener("click", () => on.open?.(m));
    cell.append(open);
  } else {
    cell.append(el("span", {}, label));
  }
  return cell;
}

function annotationCell(a: Annotation | null, kind: AnnotationKind, color: (label: string) => string): HTMLTableCellElement {
  if (!a) return el("td", { class: "ann edge" }, "");
  const label = a[kind] ?? "";
  const cell = el("td", { class: "ann", title: `${a.text}: ${a.pos} / ${a.dep}${a.ent_type ? ` / ${a.ent_type}` : ""}` }, labelText(label));
  cell.style.setProperty("--chip", color(label));
  return cell;
}
