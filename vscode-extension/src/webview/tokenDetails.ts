// Details of the selected token: its word's annotations, where its attention goes, the model's
// top-k predictions (when it has an LM head), and the actions search / mask.
import { attentionLayer, type ViewState } from "../protocol";
import { argmaxVisible, meanOfHeads, rowProfile, visiblePositions } from "./attention";
import type { Decoded } from "./decode";
import { clear, displayToken, el, percent, tokenLabel } from "./dom";

export interface DetailsHandlers {
  search(position: number): void;
  mask(position: number): void;
  reveal(position: number): void;
}

export interface Availability {
  connected: boolean;
  offlineReason: string;
}

export function renderDetails(root: HTMLElement, decoded: Decoded, view: ViewState, host: Availability, on: DetailsHandlers): void {
  clear(root);
  const { payload, attention } = decoded;
  if (view.selected === null) {
    root.append(
      el(
        "p",
        { class: "hint" },
        host.connected
          ? "Click a token (a left-column token, or a matrix row) to see where its attention goes and search the corpus for its nearest neighbours."
          : "Click a token (a left-column token, or a matrix row) to see where its attention goes and what the model predicts there. Corpus search, masking and head summaries need the exBERT extension or `exbert-ls`: this standalone page shows only the payload saved in it.",
      ),
    );
    return;
  }
  const token = payload.tokens[view.selected];
  const word = token.word >= 0 ? payload.words[token.word] : undefined;
  const matrix = meanOfHeads(attention, attentionLayer(view), view.heads);
  const profile = rowProfile(matrix, attention.size, token.index, payload.tokens);
  const top = argmaxVisible(matrix, attention.size, token.index, visiblePositions(payload.tokens, view.hideSpecial));

  const label = tokenLabel(token, payload.text);
  root.append(el("h3", {}, `${label}${label !== displayToken(token.text) ? ` (${token.text})` : ""}  ·  position ${token.index}`));
  const facts = el("dl", { class: "facts" });
  const fact = (k: string, v: string) => facts.append(el("dt", {}, k), el("dd", {}, v));
  if (word) fact("word", `${word.text} · ${word.pos || "–"} · ${word.dep || "–"}${word.ent_type ? ` · ${word.ent_type}` : ""}`);
  if (top >= 0) fact("attends most to", `${tokenLabel(payload.tokens[top], payload.text)} (${top - token.index >= 0 ? "+" : ""}${top - token.index}) ${percent(matrix[token.index * attention.size + top])}`);
  fact("to special / self", `${percent(profile.special)} / ${percent(profile.self)}`);
  fact("to previous / next", `${percent(profile.previous)} / ${percent(profile.next)}`);
  root.append(facts);

  const actions = el("div", { class: "actions" });
  const search = el("button", { type: "button", class: "primary", "data-action": "search" }, `Search corpus by ${view.by === "embedding" ? "hidden state" : "context"}`);
  search.disabled = !host.connected || token.special;
  search.title = !host.connected ? host.offlineReason : token.special ? "Special tokens are not searchable" : `Nearest corpus tokens at L${view.layer}`;
  search.addEventListener("click", () => on.search(token.index));
  const mask = el("button", { type: "button", "data-action": "mask" }, token.masked ? "Unmask and re-run" : "Mask and re-run");
  const canMask = payload.model.lm_head === "masked";
  mask.disabled = !host.connected || !canMask || token.special;
  mask.title = !host.connected
    ? host.offlineReason
    : !canMask
      ? `${payload.model.name} is not a masked language model: masking is unavailable`
      : token.special
        ? "Special tokens cannot be masked"
        : "Replace this token by the mask token and run the model again";
  mask.addEventListener("click", () => on.mask(token.index));
  actions.append(search, mask);
  if (payload.document && token.range) {
    const reveal = el("button", { type: "button", "data-action": "reveal" }, "Show in editor");
    reveal.disabled = !host.connected;
    reveal.title = host.connected ? "Select this token in its document" : host.offlineReason;
    reveal.addEventListener("click", () => on.reveal(token.index));
    actions.append(reveal);
  }
  root.append(actions);
  if (!host.connected) root.append(el("p", { class: "offline" }, host.offlineReason));

  const predictions = payload.predictions?.[token.index];
  if (predictions && predictions.length) {
    const what = payload.model.lm_head === "causal" ? "next token" : "prediction at this position";
    const list = el("ol", { class: "predictions", "aria-label": `Top ${predictions.length} ${what}` });
    for (const p of predictions) {
      const item = el("li");
      const bar = el("span", { class: "pbar" });
      bar.style.setProperty("--p", String(p.probability));
      item.append(el("span", { class: "ptext" }, displayToken(p.token)), bar, el("span", { class: "pval" }, percent(p.probability, 1)));
      list.append(item);
    }
    root.append(el("h4", {}, `Top ${predictions.length} · ${what}`), list);
  }
}
