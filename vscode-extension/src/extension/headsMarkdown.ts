// Head summaries (exbert.heads/1) as a Markdown report, opened beside the editor.
import type { HeadsPayload, HeadSummary } from "../protocol";

const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function bestRelation(h: HeadSummary) {
  return [...h.relations].sort((a, b) => b.accuracy - a.accuracy)[0];
}

export function headsMarkdown(payload: HeadsPayload): string {
  const lines = [
    "# exBERT head summaries",
    "",
    `Over ${payload.sentences.toLocaleString("en-US")} sentences, ${payload.tokens.toLocaleString("en-US")} tokens of the indexed corpus${payload.complete === false ? " (**incomplete**: some indexed documents have no head statistics; re-index)" : ""}.`,
    "Layers are 1-based, heads 0-based. A relation's accuracy is how often the head's most-attended word is the syntactic partner (Clark et al. 2019); the baseline is the best fixed offset.",
    "",
    "| head | entropy | to special | to previous | to next | best relation | accuracy | baseline |",
    "|---|---:|---:|---:|---:|---|---:|---:|",
  ];
  const heads = [...payload.heads].sort((a, b) => a.layer - b.layer || a.head - b.head);
  for (const h of heads) {
    const best = bestRelation(h);
    lines.push(
      `| L${h.layer} H${h.head} | ${h.entropy.toFixed(2)} | ${pct(h.to_special)} | ${pct(h.to_previous)} | ${pct(h.to_next)} | ${best ? cell(`${best.relation} (${best.direction})`) : "–"} | ${best ? pct(best.accuracy) : "–"} | ${best ? `${pct(best.baseline)} (offset ${best.baseline_offset})` : "–"} |`,
    );
  }
  if (!heads.length) lines.push("", "_No heads: index a corpus first (exBERT: Index Workspace)._");
  return `${lines.join("\n")}\n`;
}
