// One colour per annotation label, stable across the matches table and the histograms.
import * as d3 from "d3";

const PALETTE = [...d3.schemeTableau10, ...d3.schemeSet3, ...d3.schemePastel1];

// Universal POS tags in a fixed order, so a tag keeps its colour between searches.
const UPOS = ["NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "PROPN", "AUX", "CCONJ", "SCONJ", "PART", "NUM", "PUNCT", "SYM", "INTJ", "X", "SPACE"];

export function labelColor(): (label: string) => string {
  const scale = d3.scaleOrdinal<string, string>().domain(UPOS).range(PALETTE);
  return (label: string) => (label === "" ? "transparent" : scale(label));
}

export function labelText(label: string): string {
  return label === "" ? "–" : label;
}
