// Shared between the extension host and the webview. Imports nothing from `vscode`.
// Payload shapes: docs/payload.md (exbert.explain/1), docs/contracts.md (exbert.search/1,
// exbert.heads/1). Messages: a discriminated union on `type`, handled by exhaustive switches.

/** An array as the server encodes it (exbert_ls/wire.py); `data` is base64 text or raw bytes. */
export interface EncodedArray {
  dtype: "uint8" | "float16" | "float32";
  shape: number[];
  encoding: "base64" | "zlib+base64" | "zlib" | "raw";
  data: string | Uint8Array;
  scale?: number;
}

/** msgpack's numpy form (exbert_ls.wire.pack): dtype as numpy spells it, e.g. "<f2", "|u1". */
export interface NdArray {
  __ndarray__: true;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export type AttentionField = EncodedArray | NdArray | number[][][][];

export interface ModelInfo {
  name: string;
  source?: string;
  model_type?: string;
  num_layers: number;
  num_heads: number;
  d_model?: number;
  d_head?: number;
  causal: boolean;
  lm_head: "masked" | "causal" | null;
  max_positions?: number;
  device?: string;
}

/** A document range (LSP: 0-based line, UTF-16 character). */
export interface DocRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface TokenInfo {
  index: number;
  text: string;
  start: number;
  end: number;
  special: boolean;
  id?: number;
  word: number;
  masked: boolean;
  /** Where the token is in the document, when the server explained a document selection. */
  range?: DocRange | null;
}

export interface WordInfo {
  index: number;
  text: string;
  start: number;
  end: number;
  pos: string;
  tag: string;
  dep: string;
  head: number;
  ent_type: string;
  ent_iob?: string;
  lemma?: string;
  is_punct?: boolean;
  tokens: number[];
}

export interface Prediction {
  token: string;
  probability: number;
}

export interface ExplainPayload {
  schema: "exbert.explain/1";
  model: ModelInfo;
  num_layers: number;
  num_heads: number;
  causal: boolean;
  text: string;
  tokens: TokenInfo[];
  words: WordInfo[];
  attention: AttentionField;
  predictions: Prediction[][] | null;
  masked: number[];
  notes: string[];
  /** Set when a document selection was explained (`uri` + `range` arguments). */
  document?: { uri: string; version?: number | null; range: DocRange; offset?: number } | null;
}

/** `exbert.explain` with `format: "msgpack"`: base64 of the msgpack bytes of an ExplainPayload. */
export interface MsgpackPayload {
  schema: "exbert.msgpack/1";
  data: string;
}

export type ExplainResult = ExplainPayload | MsgpackPayload;

export interface Annotation {
  text: string;
  pos: string;
  dep: string;
  ent_type: string;
  tag?: string;
}

export interface SearchMatch {
  rank: number;
  similarity: number;
  doc: string;
  sentence: number;
  text: string;
  token: { position: number; text: string; start: number; end: number };
  word: Annotation | null;
  left: Annotation | null;
  right: Annotation | null;
  next_token: { position: number; text: string; start: number; end: number } | null;
  max_attended: (Annotation & { position: number; offset: number; weight: number }) | null;
}

export type Counts = Record<string, number>;

export interface SearchPayload {
  schema: "exbert.search/1";
  query: {
    text: string;
    token: number;
    layer: number;
    by: SearchBy;
    heads: number[] | null;
    k: number;
    exact?: boolean;
  };
  matches: SearchMatch[];
  summary: {
    count: number;
    pos: Counts;
    dep: Counts;
    ent_type: Counts;
    max_attended: { pos: Counts; dep: Counts; ent_type: Counts; offset: Counts };
  };
}

export interface HeadRelation {
  relation: string;
  direction: string;
  accuracy: number;
  baseline: number;
  baseline_offset: number;
  support: number;
}

export interface HeadSummary {
  layer: number;
  head: number;
  entropy: number;
  to_special: number;
  to_punct: number;
  to_previous: number;
  to_next: number;
  to_self: number;
  relations: HeadRelation[];
  description: string;
}

export interface HeadsPayload {
  schema: "exbert.heads/1";
  complete: boolean | null;
  documents: number | null;
  sentences: number;
  tokens: number;
  heads: HeadSummary[];
  relations: unknown[];
}

export type SearchBy = "embedding" | "context";
export type AnnotationKind = "pos" | "dep" | "ent_type";

/** Arguments of the server's `exbert.search` command (docs/protocol.md). */
export interface SearchArgs {
  text: string;
  token: number;
  layer: number;
  by: SearchBy;
  heads?: number[];
  k?: number;
}

/** Arguments of the server's `exbert.explain` command. */
export interface ExplainArgs {
  text?: string;
  uri?: string;
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  model?: string;
  mask?: number[];
  format?: "json" | "msgpack";
}

/** What the panel shows; kept with getState/setState and carried into exported pages. */
export interface ViewState {
  layer: number; // 1-based; 0 = auto (the middle layer, as the server's default)
  heads: number[]; // 0-based, combined by mean
  threshold: number; // cumulative mass kept per row, 0..1
  hideSpecial: boolean;
  view: "attention" | "model";
  by: SearchBy;
  annotation: AnnotationKind;
  selected: number | null; // token position
}

// ---- messages: host -> webview ----
export type HostToWebview =
  | { type: "explain"; result: ExplainResult; view?: Partial<ViewState> }
  | { type: "search"; requestId: number; result: SearchPayload }
  | { type: "heads"; requestId: number; result: HeadsPayload }
  | { type: "error"; requestId: number | null; message: string }
  | { type: "busy"; message: string | null };

// ---- messages: webview -> host ----
export type WebviewToHost =
  | { type: "ready" }
  | { type: "search"; requestId: number; args: SearchArgs }
  | { type: "mask"; text: string; model: string; mask: number[] }
  | { type: "heads"; requestId: number; layer: number; heads: number[] }
  | { type: "reveal"; uri: string; range: DocRange }
  | { type: "export"; format: "html" | "json"; payload: ExplainPayload; view: ViewState };

export function assertNever(value: never, what = "message"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

const HOST_TYPES = new Set(["explain", "search", "heads", "error", "busy"]);
const WEBVIEW_TYPES = new Set(["ready", "search", "mask", "heads", "reveal", "export"]);

function hasType(value: unknown, types: Set<string>): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { type?: unknown }).type === "string" &&
    types.has((value as { type: string }).type)
  );
}

/** Messages cross a trust boundary (postMessage): check the tag before switching on it. */
export function isHostToWebview(value: unknown): value is HostToWebview {
  return hasType(value, HOST_TYPES);
}

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  return hasType(value, WEBVIEW_TYPES);
}

export const DEFAULT_VIEW: ViewState = {
  layer: 0,
  heads: [],
  threshold: 0.7,
  hideSpecial: true,
  view: "attention",
  by: "embedding",
  annotation: "pos",
  selected: null,
};
