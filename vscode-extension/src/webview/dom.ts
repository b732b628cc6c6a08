// Small DOM helpers. Text always goes in through textContent, never as HTML.
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function clear(node: Element): void {
  node.replaceChildren();
}

export function percent(value: number, digits = 0): string {
  return `${(value * 100).toFixed(digits)} %`;
}

/** At most `max` characters, with an ellipsis when cut (the full text goes in a title). */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** Tokenizer spelling made readable: a leading space (or BPE Ġ, SentencePiece ▁) becomes a visible mark. */
export function displayToken(text: string): string {
  return text.replace(/^[Ġ▁ ]/, "·").replace(/Ċ|\n/g, "⏎").replace(/\t/g, "⇥");
}

const UNMAPPABLE = /^(\[UNK\]|<unk>|<\|unk\|>)$|\uFFFD/;

/**
 * What a person should read for a token: its spelling, except for unknown / unmappable tokens
 * ([UNK], byte pieces that decode to U+FFFD), which show the source characters they cover.
 */
export function tokenLabel(token: { text: string; start: number; end: number; special: boolean }, source: string): string {
  if (UNMAPPABLE.test(token.text) && token.end > token.start) {
    const chars = source.slice(token.start, token.end);
    if (chars.trim()) return chars;
  }
  return displayToken(token.text);
}
