// Bar charts of the matches' annotations and of their max-attended tokens (with offsets), in a
// collapsible block placed after the matches; far offsets are binned ("≤ −8", "≥ +8").
import * as d3 from "d3";
import type { AnnotationKind, Counts, SearchPayload, ViewState } from "../protocol";
import { labelColor, labelText } from "./colors";
import { clear, el } from "./dom";
import { isStale, maxAttendedNote, searchedAt } from "./matches";

export const FAR = 8;

/** Offsets with |offset| >= FAR merged into "≤ −8" / "≥ +8" (the server may already have done it). */
export function binOffsets(counts: Counts): Counts {
  const out: Counts = {};
  for (const [k, n] of Object.entries(counts ?? {})) {
    const o = Number(k);
    const far = k.startsWith("<=") ? -Infinity : k.startsWith(">=") ? Infinity : o;
    const key = Number.isFinite(far) || !Number.isNaN(far) ? (far <= -FAR ? `≤ −${FAR}` : far >= FAR ? `≥ +${FAR}` : String(far)) : k;
    out[key] = (out[key] ?? 0) + n;
  }
  return out;
}

function offsetOrder(k: string): number {
  if (k.startsWith("≤")) return -Infinity;
  if (k.startsWith("≥")) return Infinity;
  const n = Number(k.replace("−", "-").replace("+", ""));
  return Number.isFinite(n) ? n : 0;
}

const NAMES: Record<AnnotationKind, string> = { pos: "POS", dep: "DEP", ent_type: "entity" };
const BAR = 16;
const WIDTH = 300;
const LABEL = 70;
const VALUE = 78; // room for "100 % (50)"

export function renderHistograms(root: HTMLElement, search: SearchPayload, kind: AnnotationKind, view: ViewState, open = true, color = labelColor()): void {
  clear(root);
  const { summary } = search;
  const stale = isStale(search, view);
  root.classList.toggle("stale", stale);
  const block = el("details", { class: "histogram-block" });
  block.open = open;
  const counted = search.dedup ? (search.dedup.counted_once ? "identical contexts counted once" : "every copy counted") : "raw counts";
  block.append(el("summary", {}, `Histograms · ${searchedAt(search)} · ${summary.count} matches, ${counted}${stale ? ` · from ${searchedAt(search)} (stale)` : ""}`));
  const charts = el("div", { class: "charts" });
  charts.append(
    chart(`Matched tokens · ${NAMES[kind]}`, summary[kind], color, "matched"),
    chart(`Max-attended tokens · ${NAMES[kind]}`, summary.max_attended[kind], color, "attended"),
    chart("Max-attended offset (key − query)", binOffsets(summary.max_attended.offset), () => "var(--accent)", "offset", true),
  );
  block.append(charts, el("p", { class: "caption" }, maxAttendedNote(search)));
  root.append(block);
}

function chart(title: string, counts: Counts, color: (label: string) => string, name: string, numeric = false): HTMLElement {
  const figure = el("figure", { class: "histogram", "data-chart": name });
  figure.append(el("figcaption", {}, title));
  const entries = Object.entries(counts ?? {});
  if (!entries.length) {
    figure.append(el("p", { class: "empty" }, "no data"));
    return figure;
  }
  const total = d3.sum(entries, ([, n]) => n);
  entries.sort(numeric ? (a, b) => offsetOrder(a[0]) - offsetOrder(b[0]) : (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const height = entries.length * BAR;
  const x = d3.scaleLinear().domain([0, d3.max(entries, ([, n]) => n / total) ?? 1]).range([0, WIDTH - LABEL - VALUE]);
  const y = d3.scaleBand<string>().domain(entries.map(([k]) => k)).range([0, height]).padding(0.15);
  const svg = d3
    .select(figure)
    .append("svg")
    .attr("width", WIDTH)
    .attr("height", height)
    .attr("role", "img")
    .attr("aria-label", `${title}: ${entries.map(([k, n]) => `${labelText(k)} ${n}`).join(", ")}`);
  const row = svg
    .selectAll("g")
    .data(entries)
    .join("g")
    .attr("class", "bar")
    .attr("transform", ([k]) => `translate(0,${y(k) ?? 0})`);
  row
    .append("text")
    .attr("class", "label")
    .attr("x", LABEL - 6)
    .attr("y", y.bandwidth() / 2)
    .attr("dy", "0.35em")
    .attr("text-anchor", "end")
    .text(([k]) => (numeric && Number(k) > 0 ? `+${k}` : numeric ? k : labelText(k)));
  row
    .append("rect")
    .attr("x", LABEL)
    .attr("width", ([, n]) => Math.max(1, x(n / total)))
    .attr("height", y.bandwidth())
    .attr("rx", 2)
    .style("fill", ([k]) => (numeric ? "var(--accent)" : color(k) === "transparent" ? "var(--muted)" : color(k)));
  row
    .append("text")
    .attr("class", "value")
    .attr("x", ([, n]) => LABEL + Math.max(1, x(n / total)) + 4)
    .attr("y", y.bandwidth() / 2)
    .attr("dy", "0.35em")
    .text(([, n]) => `${Math.round((100 * n) / total)} % (${n})`);
  return figure;
}
