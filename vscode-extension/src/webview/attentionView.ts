// The attention view: two token columns (left attends, right is attended) joined by curves
// whose opacity is the (mean) weight, filtered by the cumulative-mass threshold. Long inputs
// draw a window of WINDOW rows (around the selected token; the rest is not in the DOM at all)
// and at most MAX_LINES lines, the strongest, with a count of what is hidden.
import * as d3 from "d3";
import { attentionLayer, type ViewState } from "../protocol";
import { meanOfHeads, strongest, thresholdLines, visiblePositions, type Line } from "./attention";
import type { Decoded } from "./decode";
import { displayToken, shorten, tokenLabel } from "./dom";

const ROW = 24;
const COLUMN = 150;
const GAP = 170;
const PAD = 8;
const PREDICTION = 130;
export const MAX_LINES = 1000;
export const WINDOW = 96;

export interface AttentionHandlers {
  activate(position: number): void; // click / Enter / Space: select the token and search
  scrollWindow(first: number): void; // show rows from visible index `first`
}

/** First visible index of the row window: around the selected token, else where the user moved it. */
export function windowStart(visible: readonly number[], view: ViewState): number {
  if (visible.length <= WINDOW) return 0;
  const max = visible.length - WINDOW;
  if (view.window !== undefined && view.window !== null) return Math.max(0, Math.min(max, view.window));
  const at = view.selected === null ? 0 : visible.indexOf(view.selected);
  return Math.max(0, Math.min(max, at - Math.floor(WINDOW / 3)));
}

export function renderAttention(root: HTMLElement, decoded: Decoded, view: ViewState, on: AttentionHandlers): void {
  const { payload, attention } = decoded;
  const visible = visiblePositions(payload.tokens, view.hideSpecial);
  const first = windowStart(visible, view);
  const shown = visible.slice(first, first + WINDOW);
  const inWindow = new Set(shown);
  const shownLayer = attentionLayer(view);
  const rolled = view.rollout && decoded.rollout ? decoded.rollout.subarray((shownLayer - 1) * attention.size * attention.size, shownLayer * attention.size * attention.size) : null;
  const matrix = rolled ?? meanOfHeads(attention, shownLayer, view.heads);
  // Each row's threshold is over all its visible keys; only lines inside the window are drawn.
  const all = thresholdLines(matrix, attention.size, visible, view.threshold, shown);
  const inside = all.filter((l) => inWindow.has(l.k));
  const outside = all.length - inside.length;
  // Beyond MAX_LINES an SVG is slow and no one can read it: the strongest are drawn, and said so.
  const { lines, dropped } = strongest(inside, MAX_LINES);
  const rowOf = new Map(shown.map((p, i) => [p, i]));
  const predictions = payload.predictions;
  const predicted = predictions ? PREDICTION : 0; // a column of top-1 predictions before the left tokens
  const top = predictions ? PAD + 16 : PAD;
  const y = (p: number) => top + (rowOf.get(p) ?? 0) * ROW + ROW / 2;
  const width = predicted + COLUMN * 2 + GAP;
  const height = top + PAD + shown.length * ROW;
  const xLeft = predicted + COLUMN;
  const xRight = xLeft + GAP;

  d3.select(root).selectAll("*").remove();
  if (visible.length > WINDOW) root.append(windowBar(visible, first, shown.length, on));
  const svg = d3
    .select(root)
    .append("svg")
    .attr("class", "attention")
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("width", width)
    .attr("height", height)
    .attr("role", "group")
    .attr("aria-label", `Layer ${attentionLayer(view)} attention, ${lines.length} lines`)
    .attr("data-lines", String(lines.length))
    .attr("data-source", rolled ? "rollout" : "heads")
    .attr("data-hidden", String(dropped + outside));

  const link = d3
    .linkHorizontal<Line, [number, number]>()
    .source((d) => [xLeft + 6, y(d.q)])
    .target((d) => [xRight - 6, y(d.k)]);
  // Opacity is relative to the strongest line drawn (mean weights over many heads are small);
  // width stays absolute, so two views remain comparable.
  const opacity = d3.scalePow().exponent(0.8).domain([0, d3.max(lines, (d) => d.w) ?? 1]).range([0.08, 1]).clamp(true);
  const paths = svg
    .append("g")
    .attr("class", "lines")
    .selectAll("path")
    .data(lines)
    .join("path")
    .attr("d", (d) => link(d))
    .attr("data-q", (d) => d.q)
    .attr("data-k", (d) => d.k)
    .attr("stroke-opacity", (d) => opacity(d.w))
    .attr("stroke-width", (d) => 1 + 3 * d.w);

  const focusLines = (position: number | null, side: "left" | "right") => {
    paths.classed("dim", (d) => position !== null && (side === "left" ? d.q : d.k) !== position);
  };

  const tokens = payload.tokens.filter((t) => rowOf.has(t.index));
  for (const side of ["left", "right"] as const) {
    const group = svg
      .append("g")
      .attr("class", `tokens ${side}`)
      .selectAll("g")
      .data(tokens)
      .join("g")
      .attr("class", "token")
      .classed("special", (t) => t.special)
      .classed("masked", (t) => t.masked)
      .classed("selected", (t) => t.index === view.selected)
      .attr("data-position", (t) => String(t.index))
      .attr("transform", (t) => `translate(${side === "left" ? xLeft : xRight},${y(t.index)})`);
    group
      .append("rect")
      .attr("x", side === "left" ? -COLUMN + 4 : 0)
      .attr("y", -ROW / 2 + 2)
      .attr("width", COLUMN - 4)
      .attr("height", ROW - 4)
      .attr("rx", 4);
    group
      .append("text")
      .attr("x", side === "left" ? -8 : 8)
      .attr("dy", "0.35em")
      .attr("text-anchor", side === "left" ? "end" : "start")
      .text((t) => (t.masked ? "[MASK]" : shorten(tokenLabel(t, payload.text), 18)));
    group.append("title").text((t) => `${t.text} (position ${t.index})`);
    group
      .on("mouseenter", (_e, t) => focusLines(t.index, side))
      .on("mouseleave", () => focusLines(null, side));
    if (side === "left") {
      group
        .attr("tabindex", "0")
        .attr("role", "button")
        .attr("aria-label", (t) => `${t.text}, position ${t.index}: search the corpus for this token`)
        .on("click", (_e, t) => on.activate(t.index))
        .on("focus", (_e, t) => focusLines(t.index, "left"))
        .on("blur", () => focusLines(null, "left"))
        .on("keydown", (event: KeyboardEvent, t) => keyboard(event, t.index, visible, root, on));
    }
  }
  if (predictions) {
    const column = svg.append("g").attr("class", "predictions-column");
    column
      .append("text")
      .attr("class", "column-title")
      .attr("x", predicted - 10)
      .attr("y", PAD + 6)
      .attr("text-anchor", "end")
      .text(payload.model.lm_head === "causal" ? "next token" : "top prediction");
    column
      .selectAll("text.prediction")
      .data(tokens.filter((t) => predictions[t.index]?.length))
      .join("text")
      .attr("class", "prediction")
      .attr("x", predicted - 10)
      .attr("y", (t) => y(t.index))
      .attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .text((t) => {
        const best = predictions[t.index][0];
        return `${shorten(displayToken(best.token), 10)} ${Math.round(best.probability * 100)}%`;
      });
  }
  const heads = rolled
    ? `attention rollout through L${shownLayer} (all heads)`
    : view.heads.length ? `mean of ${view.heads.map((h) => `H${h}`).join(" ")}` : `mean of all ${attention.heads} heads`;
  const hidden: string[] = [];
  if (outside) hidden.push(`${outside.toLocaleString("en-US")} to tokens outside rows ${first + 1}–${first + shown.length}`);
  if (dropped) hidden.push(`${dropped.toLocaleString("en-US")} weaker ones (at most ${MAX_LINES.toLocaleString("en-US")} are drawn: raise the threshold's selectivity or pick heads)`);
  const sparse = attention.sparseMass !== null && view.threshold > attention.sparseMass
    ? ` Rows were sent with their strongest ${Math.round(attention.sparseMass * 100)} % of mass: above that the threshold keeps what was sent, except rows fetched exactly.`
    : "";
  d3.select(root)
    .append("p")
    .attr("class", "caption legend")
    .text(
      `L${attentionLayer(view)}, ${heads}. Left: the attending token (query); right: the attended (key). ` +
        `Each row keeps its strongest weights up to ${Math.round(view.threshold * 100)} % of its ` +
        `${view.hideSpecial ? "mass to the visible tokens" : "mass"}; opacity follows the weight (relative to the strongest line), width its absolute value` +
        `${payload.causal ? ". Causal model: tokens attend only to themselves and earlier tokens" : ""}.` +
        ` ${lines.length.toLocaleString("en-US")} lines drawn${hidden.length ? `; hidden: ${hidden.join("; ")}` : ""}.${sparse}`,
    );
}

function windowBar(visible: readonly number[], first: number, count: number, on: AttentionHandlers): HTMLElement {
  const bar = document.createElement("div");
  bar.className = "window-bar";
  const step = Math.floor(WINDOW / 2);
  const button = (text: string, to: number, disabled: boolean) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.disabled = disabled;
    b.addEventListener("click", () => on.scrollWindow(Math.max(0, Math.min(visible.length - WINDOW, to))));
    return b;
  };
  const label = document.createElement("span");
  label.className = "caption";
  label.textContent = `rows ${first + 1}–${first + count} of ${visible.length} (positions ${visible[first]}–${visible[first + count - 1]})`;
  const range = document.createElement("input");
  range.type = "range";
  range.min = "0";
  range.max = String(visible.length - WINDOW);
  range.value = String(first);
  range.setAttribute("aria-label", "First row shown");
  range.dataset.control = "window";
  range.addEventListener("change", () => on.scrollWindow(Number(range.value)));
  bar.append(button("◀ earlier", first - step, first === 0), range, button("later ▶", first + step, first + count >= visible.length), label);
  return bar;
}

function keyboard(event: KeyboardEvent, position: number, visible: number[], root: HTMLElement, on: AttentionHandlers): void {
  const i = visible.indexOf(position);
  const move = (j: number) => {
    const target = visible[Math.max(0, Math.min(visible.length - 1, j))];
    const node = root.querySelector<SVGGElement>(`.tokens.left .token[data-position="${target}"]`);
    if (node) node.focus();
    else on.activate(target); // outside the window: selecting it moves the window
  };
  switch (event.key) {
    case "Enter":
    case " ":
      event.preventDefault();
      on.activate(position);
      break;
    case "ArrowDown":
      event.preventDefault();
      move(i + 1);
      break;
    case "ArrowUp":
      event.preventDefault();
      move(i - 1);
      break;
    default:
      break;
  }
}
