// Shared between the extension host and the webview. Imports nothing from `vscode`.
// Payload shapes: generated from the schema (docs/contracts.md). Messages (hand-written): a
// discriminated union on `type`, handled by exhaustive switches.

import type * as P from "./generated/payloads";

// Payload types are GENERATED (src/generated/payloads.ts, from the JSON Schema that
// `exbert schema` prints: the attrs classes of exbert_ls/payloads are the one definition).
// The names below are the ones the extension and the webview have always used.
export type {
  EncodedArray,
  ExplainToken as TokenInfo,
  ExplainWord as WordInfo,
  HeadRelation,
  HeadSummary,
  MaxAttended,
  ModelDescription as ModelInfo,
  MsgpackEnvelope as MsgpackPayload,
  NextToken,

  SearchMatch,
  StatusResult,
  IndexResult,
  TokenPrediction as Prediction,
  WordAnnotation as Annotation,
} from "./generated/payloads";

/** msgpack's numpy form (exbert_ls.wire.pack of a bare ndarray): dtype as numpy spells it, e.g. "<f2". */
export interface NdArray {
  __ndarray__: true;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Long inputs: top-mass sparse rows (exbert_ls/sparse_attention.py); exact rows from `exbert.attentionRows`. */
export type SparseAttention = P.SparseAttention;
export type AttentionField = P.EncodedArray | NdArray | number[][][][] | P.SparseAttention;

/** `exbert.explain` / `exbert explain --json` (exbert.explain/1). */
export type ExplainPayload = P.ExplainResult;
/** What `exbert.explain` answers: the payload, or (format "msgpack") one msgpack document of it. */
export type ExplainResult = P.ExplainResult | P.MsgpackEnvelope;
export type SearchPayload = P.SearchResult;
export type HeadsPayload = P.HeadSummaries;
export type Counts = Record<string, number>;
export type DocRange = P.Range;
export type SearchBy = P.SearchQuery["by"];
export type AnnotationKind = "pos" | "dep" | "ent_type";

/** Arguments of the server's `exbert.search` command (camelCase keys; docs/protocol.md). */
export type SearchArgs = P.SearchArgs;
/** How the max-attended tokens were chosen (heads, exclusions, method). */
export type MaxAttendedRule = P.MaxAttendedRule;

/** Arguments of `exbert.attentionRows`: exact rows (or whole heads when `rows` is absent). */
export interface AttentionRowsArgs {
  text: string;
  model?: string;
  mask?: number[];
  layer: number; // 1-based
  heads: number[]; // 0-based
  rows?: number[];
}

/** Its answer: `weights[i]` is head `heads[i]`, shape [rows.length or T, T]. */
export type AttentionRowsPayload = P.AttentionRowsResult;
/** Arguments of the server's `exbert.explain` command. */
export type ExplainArgs = P.ExplainArgs;

/** Model analyses (issue 12; docs/heads.md): `exbert.lens` and `exbert.ablate` arguments and answers. */
export type LensArgs = P.LensArgs;
export type LensPayload = P.LensResult;
export type AblateArgs = P.AblateArgs;
export type AblationPayload = P.AblationResult;
export type AblationScanPayload = P.AblationScan;

/** What the panel shows; kept with getState/setState and carried into exported pages. */
export interface ViewState {
  /** Hidden state / attention layer: 1..L, 0 = the embeddings (search by hidden state only);
   * null = auto (the middle layer, as the server's default), resolved when the panel opens. */
  layer: number | null;
  heads: number[]; // 0-based, combined by mean
  threshold: number; // cumulative mass kept per row, 0..1
  hideSpecial: boolean;
  view: "attention" | "matrix" | "model" | "lens";
  by: SearchBy;
  annotation: AnnotationKind;
  selected: number | null; // token position
  /** Line view: first visible row of the window (long inputs); null/absent = around the selection. */
  window?: number | null;
  /** Matrix view: zoomed region [q0, q1, k0, k1) in visible-token indices; null/absent = all. */
  zoom?: [number, number, number, number] | null;
  /** Line view: draw the attention rollout through `layer` (Abnar & Zuidema) instead of the heads' mean. */
  rollout?: boolean;
}

// ---- messages: host -> webview ----
export type HostToWebview =
  | { type: "explain"; result: ExplainResult; view?: Partial<ViewState> }
  | { type: "search"; requestId: number; result: SearchPayload }
  | { type: "heads"; requestId: number; result: HeadsPayload }
  | { type: "error"; requestId: number | null; message: string }
  | { type: "busy"; message: string | null }
  | { type: "attentionRows"; requestId: number; result: AttentionRowsPayload }
  | { type: "lens"; requestId: number; result: LensPayload }
  | { type: "ablation"; requestId: number; result: AblationPayload }
  | { type: "ablationScan"; requestId: number; result: AblationScanPayload };

// ---- messages: webview -> host ----
export type WebviewToHost =
  | { type: "ready" }
  | { type: "search"; requestId: number; args: SearchArgs }
  | { type: "mask"; text: string; model: string; mask: number[]; rollout?: boolean }
  | { type: "heads"; requestId: number; layer: number; heads: number[] }
  | { type: "reveal"; uri: string; range: DocRange }
  | { type: "export"; format: "html" | "json"; payload: ExplainPayload; view: ViewState }
  | { type: "attentionRows"; requestId: number; args: AttentionRowsArgs }
  | { type: "openDocument"; doc: string; sentence: number; text: string }
  | { type: "lens"; requestId: number; args: LensArgs }
  | { type: "ablate"; requestId: number; args: AblateArgs };

export function assertNever(value: never, what = "message"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

const HOST_TYPES = new Set(["explain", "search", "heads", "error", "busy", "attentionRows", "lens", "ablation", "ablationScan"]);
const WEBVIEW_TYPES = new Set(["ready", "search", "mask", "heads", "reveal", "export", "attentionRows", "openDocument", "lens", "ablate"]);

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

/** The layer whose attention the views draw: hidden state 0 (the embeddings) has no attention of
 * its own, so layer 1's, the one that reads the embeddings, is shown for it. */
export function attentionLayer(view: Pick<ViewState, "layer">): number {
  return Math.max(1, view.layer ?? 1);
}

export const DEFAULT_VIEW: ViewState = {
  layer: null,
  heads: [],
  threshold: 0.7,
  hideSpecial: true,
  view: "attention",
  by: "embedding",
  annotation: "pos",
  selected: null,
};
