// GENERATED from src/generated/schema.json by scripts/gen-payloads.mjs (npm run gen): do not edit.
// The source of truth is exbert_ls/payloads (Python); regenerate with `exbert schema -o src/generated/schema.json && npm run gen`.

/**
 * Arguments and results of the exbert-ls commands and the exbert CLI's --json outputs. Generated from exbert_ls/payloads and exbert_ls/server/protocol.py by `exbert schema`.
 */
export interface ExbertLsPayloads {
  explain?: ExplainResult;
  msgpack?: MsgpackEnvelope;
  search?: SearchResult;
  heads?: HeadSummaries;
  status?: StatusResult;
  index?: IndexResult;
  verify?: VerifyResult;
  attention_rows?: AttentionRowsResult;
  probe?: ProbeResult;
  lens?: LensResult;
  ablate?: AblationResult;
  ablation_scan?: AblationScan;
}
/**
 * ``exbert.explain`` / ``exbert explain --json`` (docs/payload.md).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ExplainResult".
 */
export interface ExplainResult {
  /**
   * Payload schema tag.
   */
  schema: "exbert.explain/1";
  model: ModelDescription;
  /**
   * L (as ``model.num_layers``).
   */
  num_layers: number;
  /**
   * H (as ``model.num_heads``).
   */
  num_heads: number;
  /**
   * As ``model.causal``.
   */
  causal: boolean;
  /**
   * The text that ran.
   */
  text: string;
  /**
   * Model tokens, in input order.
   */
  tokens: ExplainToken[];
  /**
   * Words of the text.
   */
  words: ExplainWord[];
  /**
   * ``[L, H, T, T]`` attention (rows sum to 1): nested lists (rounded to 4 digits), encoded, or
   * (long inputs) top-mass sparse rows.
   */
  attention: EncodedArray | number[][][][] | SparseAttention;
  /**
   * Top-k per position (masked fill or next token); null without an LM head or top_k 0.
   */
  predictions: TokenPrediction[][] | null;
  /**
   * Positions replaced by the mask token.
   */
  masked: number[];
  /**
   * Things the user should know (e.g. no LM head).
   */
  notes: string[];
  /**
   * ``[L, T, T]`` attention rollout (Abnar & Zuidema 2020; rows sum to 1), in the attention's
   * encoding, when asked for (``rollout``); null otherwise.
   */
  rollout: EncodedArray | number[][][] | null;
  /**
   * The document selection explained (server, ``uri`` argument); null for raw text.
   */
  document: DocumentSpan | null;
}
/**
 * The model that ran.
 */
export interface ModelDescription {
  /**
   * What the user asked for (``minilm``, a hub id, a path).
   */
  name: string;
  /**
   * The directory or hub id it was loaded from.
   */
  source: string;
  /**
   * The transformers ``model_type`` (``bert``, ``llama``...).
   */
  model_type: string;
  /**
   * Transformer layers L.
   */
  num_layers: number;
  /**
   * Attention heads per layer H.
   */
  num_heads: number;
  /**
   * Hidden size.
   */
  d_model: number;
  /**
   * Size of one head's context vector.
   */
  d_head: number;
  /**
   * Decoder (attends only to earlier tokens).
   */
  causal: boolean;
  /**
   * ``masked``, ``causal`` or null for a bare encoder (no predictions).
   */
  lm_head: ("masked" | "causal") | null;
  /**
   * Longest input the model accepts, in tokens.
   */
  max_positions: number;
  /**
   * Where it runs (``cpu``, ``cuda:0``).
   */
  device: string;
}
/**
 * One model token.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ExplainToken".
 */
export interface ExplainToken {
  /**
   * Position in the model's input (special tokens included).
   */
  index: number;
  /**
   * The tokenizer's own spelling (``##ing``, ``Ġthe``, ``[CLS]``).
   */
  text: string;
  /**
   * Character offset in ``text`` where the token starts.
   */
  start: number;
  /**
   * Character offset one past the token's last character.
   */
  end: number;
  /**
   * Added by the tokenizer ([CLS], [SEP], <s>...): covers no text.
   */
  special: boolean;
  /**
   * Vocabulary id.
   */
  id: number;
  /**
   * Index of the word the token belongs to (-1: special or unaligned).
   */
  word: number;
  /**
   * Replaced by the mask token before the run.
   */
  masked: boolean;
  /**
   * The token for people: byte-level BPE decoded (``·capital``, not ``Ġcapital``; model/display.py).
   */
  display: string;
  /**
   * Document range of the token (explain of a document selection, non-special tokens).
   */
  range: Range | null;
}
/**
 * A document range (LSP), end exclusive.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "Range".
 */
export interface Range {
  start: Position;
  end: Position1;
}
/**
 * First position inside the range.
 */
export interface Position {
  /**
   * 0-based line.
   */
  line: number;
  /**
   * 0-based offset in the line, in code units of the negotiated position encoding (UTF-16).
   */
  character: number;
}
/**
 * Position just past the range.
 */
export interface Position1 {
  /**
   * 0-based line.
   */
  line: number;
  /**
   * 0-based offset in the line, in code units of the negotiated position encoding (UTF-16).
   */
  character: number;
}
/**
 * One word (spaCy token, or a whitespace-free span without annotation).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ExplainWord".
 */
export interface ExplainWord {
  /**
   * Word index.
   */
  index: number;
  /**
   * The word.
   */
  text: string;
  /**
   * Character offset in ``text``.
   */
  start: number;
  /**
   * Character offset one past the word.
   */
  end: number;
  /**
   * Universal POS tag.
   */
  pos: string;
  /**
   * Fine-grained tag.
   */
  tag: string;
  /**
   * Dependency relation to its head.
   */
  dep: string;
  /**
   * Index of its syntactic head word (-1: none).
   */
  head: number;
  /**
   * Named-entity type ("" outside entities).
   */
  ent_type: string;
  /**
   * Entity IOB mark.
   */
  ent_iob: string;
  /**
   * Lemma.
   */
  lemma: string;
  /**
   * Punctuation.
   */
  is_punct: boolean;
  /**
   * Model tokens aligned to the word.
   */
  tokens: number[];
  /**
   * Document range of the word (explain of a document selection).
   */
  range: Range | null;
}
/**
 * A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "EncodedArray".
 */
export interface EncodedArray {
  /**
   * Element type; ``uint8`` carries ``scale`` (value = byte * scale).
   */
  dtype: "float16" | "float32" | "uint8" | "uint16";
  /**
   * Array shape, C order.
   */
  shape: number[];
  /**
   * ``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
   * first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``).
   */
  encoding: "base64" | "zlib+base64" | "raw" | "zlib";
  /**
   * The array's bytes: base64 text in JSON, binary inside a msgpack document.
   */
  data: string | Uint8Array;
  /**
   * ``uint8`` only: value = byte * scale (1/255 for attention weights).
   */
  scale: number | null;
}
/**
 * ``[L, H, T, T]`` attention of a long input (exbert_ls/sparse_attention.py): per layer,
 * head and row, the strongest weights up to ``mass`` of the row (at most ``cap`` keys), as CSR
 * arrays over the ``L*H*T`` rows. Exact rows come from ``exbert.attentionRows``.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "SparseAttention".
 */
export interface SparseAttention {
  /**
   * Form tag (tells a sparse field from an encoded dense one).
   */
  sparse: "topmass/1";
  /**
   * ``[L, H, T, T]`` of the dense attention.
   */
  shape: number[];
  /**
   * Share of each row's mass aimed at (rows capped at ``cap`` keys may keep less: ``kept``).
   */
  mass: number;
  /**
   * Keys a row keeps at most.
   */
  cap: number;
  /**
   * ``indices`` are gaps: each row's first key, then differences (keys ascending).
   */
  delta: boolean;
  counts: EncodedArray1;
  indices: EncodedArray2;
  weights: EncodedArray3;
  kept: EncodedArray4;
}
/**
 * A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it.
 */
export interface EncodedArray1 {
  /**
   * Element type; ``uint8`` carries ``scale`` (value = byte * scale).
   */
  dtype: "float16" | "float32" | "uint8" | "uint16";
  /**
   * Array shape, C order.
   */
  shape: number[];
  /**
   * ``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
   * first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``).
   */
  encoding: "base64" | "zlib+base64" | "raw" | "zlib";
  /**
   * The array's bytes: base64 text in JSON, binary inside a msgpack document.
   */
  data: string | Uint8Array;
  /**
   * ``uint8`` only: value = byte * scale (1/255 for attention weights).
   */
  scale: number | null;
}
/**
 * A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it.
 */
export interface EncodedArray2 {
  /**
   * Element type; ``uint8`` carries ``scale`` (value = byte * scale).
   */
  dtype: "float16" | "float32" | "uint8" | "uint16";
  /**
   * Array shape, C order.
   */
  shape: number[];
  /**
   * ``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
   * first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``).
   */
  encoding: "base64" | "zlib+base64" | "raw" | "zlib";
  /**
   * The array's bytes: base64 text in JSON, binary inside a msgpack document.
   */
  data: string | Uint8Array;
  /**
   * ``uint8`` only: value = byte * scale (1/255 for attention weights).
   */
  scale: number | null;
}
/**
 * A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it.
 */
export interface EncodedArray3 {
  /**
   * Element type; ``uint8`` carries ``scale`` (value = byte * scale).
   */
  dtype: "float16" | "float32" | "uint8" | "uint16";
  /**
   * Array shape, C order.
   */
  shape: number[];
  /**
   * ``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
   * first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``).
   */
  encoding: "base64" | "zlib+base64" | "raw" | "zlib";
  /**
   * The array's bytes: base64 text in JSON, binary inside a msgpack document.
   */
  data: string | Uint8Array;
  /**
   * ``uint8`` only: value = byte * scale (1/255 for attention weights).
   */
  scale: number | null;
}
/**
 * A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it.
 */
export interface EncodedArray4 {
  /**
   * Element type; ``uint8`` carries ``scale`` (value = byte * scale).
   */
  dtype: "float16" | "float32" | "uint8" | "uint16";
  /**
   * Array shape, C order.
   */
  shape: number[];
  /**
   * ``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
   * first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``).
   */
  encoding: "base64" | "zlib+base64" | "raw" | "zlib";
  /**
   * The array's bytes: base64 text in JSON, binary inside a msgpack document.
   */
  data: string | Uint8Array;
  /**
   * ``uint8`` only: value = byte * scale (1/255 for attention weights).
   */
  scale: number | null;
}
/**
 * One guess of the LM head for a position.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "TokenPrediction".
 */
export interface TokenPrediction {
  /**
   * Predicted token (tokenizer spelling decoded).
   */
  token: string;
  /**
   * Softmax probability.
   */
  probability: number;
}
/**
 * Where an explained selection lies in its document.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "DocumentSpan".
 */
export interface DocumentSpan {
  /**
   * The document.
   */
  uri: string;
  /**
   * Its version (open documents), else null.
   */
  version: number | null;
  range: Range1;
  /**
   * Character offset of the selection in the document.
   */
  offset: number;
}
/**
 * A document range (LSP), end exclusive.
 */
export interface Range1 {
  start: Position;
  end: Position1;
}
/**
 * A result sent as one msgpack document (``format: "msgpack"``): arrays inside are raw
 * binary; the whole document is base64 text once, because JSON-RPC carries text.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "MsgpackEnvelope".
 */
export interface MsgpackEnvelope {
  /**
   * Payload schema tag.
   */
  schema: "exbert.msgpack/1";
  /**
   * Schema tag of the document inside (e.g. ``exbert.explain/1``).
   */
  payload_schema: string;
  /**
   * Base64 of the msgpack bytes of the result (its arrays: ``encoding`` ``raw``/``zlib``).
   */
  data: string;
}
/**
 * ``exbert.search`` / ``exbert search --json`` (docs/contracts.md).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "SearchResult".
 */
export interface SearchResult {
  /**
   * Payload schema tag.
   */
  schema: "exbert.search/1";
  query: SearchQuery;
  /**
   * Nearest first.
   */
  matches: SearchMatch[];
  summary: MatchSummary;
  dedup: SearchDedup;
  max_attended_rule: MaxAttendedRule;
}
/**
 * What was searched.
 */
export interface SearchQuery {
  /**
   * The query text.
   */
  text: string;
  /**
   * Model position of the query token in ``text``.
   */
  token: number;
  /**
   * That token's spelling.
   */
  token_text: string;
  /**
   * Hidden state 0..L (embedding) or context layer 1..L (context).
   */
  layer: number;
  /**
   * What was compared.
   */
  by: "embedding" | "context";
  /**
   * Context heads (0-based) compared; null = all.
   */
  heads: number[] | null;
  /**
   * Matches asked for.
   */
  k: number;
  /**
   * Exhaustive scan asked for.
   */
  exact: boolean;
  /**
   * How the neighbours were found (``exact``, ``ann``...).
   */
  method: string;
  /**
   * Vector column searched (``model/names.py``).
   */
  column: string;
  /**
   * Document range of the query token (server, ``uri`` argument); null otherwise.
   */
  range: Range | null;
}
/**
 * One corpus token near the query.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "SearchMatch".
 */
export interface SearchMatch {
  /**
   * 0 = nearest.
   */
  rank: number;
  /**
   * Cosine similarity (mean over heads for context search).
   */
  similarity: number;
  /**
   * Document it comes from (absolute path).
   */
  doc: string;
  /**
   * The document relative to the workspace / corpus root when inside it, else ``doc``.
   */
  doc_path: string;
  /**
   * Identical contexts (same sentence text and position) collapsed into this row.
   */
  count: number;
  /**
   * Sentence id in the index.
   */
  sentence: number;
  /**
   * The sentence.
   */
  text: string;
  token: MatchToken;
  /**
   * Its word (null when unaligned).
   */
  word: MatchWord | null;
  /**
   * The word before.
   */
  left: WordAnnotation | null;
  /**
   * The word after.
   */
  right: WordAnnotation | null;
  /**
   * The next token (causal models only).
   */
  next_token: NextToken | null;
  /**
   * Its most-attended token (null at layer 0).
   */
  max_attended: MaxAttended | null;
}
/**
 * The token itself.
 */
export interface MatchToken {
  /**
   * Model position in its sentence.
   */
  position: number;
  /**
   * Tokenizer spelling.
   */
  text: string;
  /**
   * Character offset in the sentence text.
   */
  start: number;
  /**
   * Character offset one past it.
   */
  end: number;
}
/**
 * The word of the matching token, with its fine-grained tag.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "MatchWord".
 */
export interface MatchWord {
  /**
   * The word.
   */
  text: string;
  /**
   * Universal POS tag.
   */
  pos: string;
  /**
   * Dependency relation.
   */
  dep: string;
  /**
   * Entity type ("" outside entities).
   */
  ent_type: string;
  /**
   * Fine-grained tag.
   */
  tag: string;
}
/**
 * A word's annotations (spaCy).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "WordAnnotation".
 */
export interface WordAnnotation {
  /**
   * The word.
   */
  text: string;
  /**
   * Universal POS tag.
   */
  pos: string;
  /**
   * Dependency relation.
   */
  dep: string;
  /**
   * Entity type ("" outside entities).
   */
  ent_type: string;
}
/**
 * The token after the match (decoders: what the model was predicting).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "NextToken".
 */
export interface NextToken {
  /**
   * Its model position in the sentence.
   */
  position: number;
  /**
   * Its spelling.
   */
  text: string;
}
/**
 * The token the match attends to most, over the selected heads of the layer.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "MaxAttended".
 */
export interface MaxAttended {
  /**
   * Its model position in the sentence.
   */
  position: number;
  /**
   * ``position`` minus the match's position.
   */
  offset: number;
  /**
   * Its spelling.
   */
  text: string;
  /**
   * POS of its word ("" for special tokens).
   */
  pos: string;
  /**
   * DEP of its word.
   */
  dep: string;
  /**
   * Entity type of its word.
   */
  ent_type: string;
  /**
   * A special token ([CLS], [SEP]...).
   */
  special: boolean;
  /**
   * The attention weight on it (the selected heads' mean, or the chosen head's).
   */
  weight: number;
  /**
   * The head (0-based) it was taken from: the single selected head, or (index columns) the
   * selected head with the largest weight; null for a mean over several heads.
   */
  head: number | null;
}
/**
 * Counts over the matches.
 */
export interface MatchSummary {
  /**
   * Number of matches counted (collapsed rows once, unless duplicates are counted).
   */
  count: number;
  /**
   * Matches by POS.
   */
  pos: {
    [k: string]: number;
  };
  /**
   * Matches by DEP.
   */
  dep: {
    [k: string]: number;
  };
  /**
   * Matches by entity type.
   */
  ent_type: {
    [k: string]: number;
  };
  max_attended: AttendedCounts;
}
/**
 * Their max-attended tokens.
 */
export interface AttendedCounts {
  /**
   * By POS.
   */
  pos: {
    [k: string]: number;
  };
  /**
   * By DEP.
   */
  dep: {
    [k: string]: number;
  };
  /**
   * By entity type.
   */
  ent_type: {
    [k: string]: number;
  };
  /**
   * By offset from the match (as a string, e.g. ``"-1"``; far offsets binned ``"<=-8"``, ``">=+8"``).
   */
  offset: {
    [k: string]: number;
  };
}
/**
 * Identical contexts collapsed.
 */
export interface SearchDedup {
  /**
   * Rows removed by collapsing (their counts are on the row kept).
   */
  collapsed: number;
  /**
   * The summary counts a collapsed row once (false: ``count`` times).
   */
  counted_once: boolean;
}
/**
 * Which heads and exclusions the max-attended tokens follow.
 */
export interface MaxAttendedRule {
  /**
   * The heads (0-based) whose mean attention row is used (one head: its own row).
   */
  heads: number[];
  /**
   * Special tokens were excluded as targets.
   */
  exclude_special: boolean;
  /**
   * Position 0 (the attention sink) was excluded as a target.
   */
  exclude_first: boolean;
  /**
   * ``mean`` (the heads' mean row: stored per layer for all heads, else the matched sentences
   * re-run), ``per-head max`` (index columns), or none at layer 0.
   */
  method: string;
}
/**
 * ``exbert.headSummary`` / ``exbert heads --json`` (docs/contracts.md).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "HeadSummaries".
 */
export interface HeadSummaries {
  /**
   * Payload schema tag.
   */
  schema: "exbert.heads/1";
  /**
   * Sentences summed.
   */
  sentences: number;
  /**
   * Non-special tokens summed.
   */
  tokens: number;
  /**
   * Documents whose statistics are summed (corpus summaries); null for other sums.
   */
  documents: number | null;
  /**
   * Every live document of the index has statistics in the sum (corpus summaries).
   */
  complete: boolean | null;
  /**
   * Reminder of the numbering convention.
   */
  layer_numbering: string;
  /**
   * Every head (or those asked for), layer by layer.
   */
  heads: HeadSummary[];
  /**
   * Relations with enough support.
   */
  relations: RelationSummary[];
}
/**
 * One head's behaviour (means over non-special query tokens) and relations.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "HeadSummary".
 */
export interface HeadSummary {
  /**
   * 1-based layer.
   */
  layer: number;
  /**
   * 0-based head.
   */
  head: number;
  /**
   * Mean attention entropy, nats.
   */
  entropy: number;
  /**
   * Mean attention mass on special tokens.
   */
  to_special: number;
  /**
   * On punctuation.
   */
  to_punct: number;
  /**
   * On the previous token.
   */
  to_previous: number;
  /**
   * On the next token.
   */
  to_next: number;
  /**
   * On the token itself.
   */
  to_self: number;
  /**
   * Relations it beats the baseline on, most significant first.
   */
  relations: HeadRelation[];
  /**
   * One line for a tooltip (ends with the causal effect, `` · ablated: Δloss +0.123``,
   * when known).
   */
  description: string;
  /**
   * Mean attention mass on position 0 (the attention sink, BOS or not); null for indexes
   * built before head roles were recorded.
   */
  to_first: number | null;
  /**
   * On special tokens other than position 0.
   */
  to_special_rest: number | null;
  /**
   * Entropy as a share of a uniform row's (length-independent; docs/heads.md).
   */
  normalised_entropy: number | null;
  /**
   * The head's role label, never contradicting the numbers above (docs/heads.md).
   */
  role: ("induction" | "sink" | "special" | "previous" | "next" | "self" | "offset" | "broad" | "mixed") | null;
  /**
   * Induction score from ``exbert probe`` (cached for this model), when probed.
   */
  induction: number | null;
  /**
   * Causal effect: mean loss change (nats) on the fixed sample of docs/heads.md when this
   * head alone is zero-ablated (positive = the model needs it), from ``exbert probe``'s cache
   * for this model; null when not probed or the model has no LM head.
   */
  causal_effect: number | null;
}
/**
 * A relation a head tracks better than the baseline.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "HeadRelation".
 */
export interface HeadRelation {
  /**
   * Dependency relation.
   */
  relation: string;
  /**
   * Which end predicts the other.
   */
  direction: "dependent->head" | "head->dependent";
  /**
   * Share of arcs where the head's most-attended word is the right one.
   */
  accuracy: number;
  /**
   * Accuracy of the best fixed word offset.
   */
  baseline: number;
  /**
   * That offset (-3..+2).
   */
  baseline_offset: number;
  /**
   * Arcs counted.
   */
  support: number;
  /**
   * The head's place among all heads for this relation (0 = best).
   */
  rank: number;
  /**
   * Margin over the baseline in standard errors.
   */
  z: number;
}
/**
 * One (relation, direction) over the corpus.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "RelationSummary".
 */
export interface RelationSummary {
  /**
   * Dependency relation.
   */
  relation: string;
  /**
   * Which end predicts the other.
   */
  direction: "dependent->head" | "head->dependent";
  /**
   * Arcs counted.
   */
  support: number;
  /**
   * Accuracy of the best fixed word offset.
   */
  baseline: number;
  /**
   * That offset.
   */
  baseline_offset: number;
  /**
   * The best heads, best first.
   */
  best: BestHead[];
  /**
   * ``[L][H]`` accuracy matrix (only when asked for).
   */
  accuracy: number[][] | null;
}
/**
 * A head among the best for a relation.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "BestHead".
 */
export interface BestHead {
  /**
   * 1-based layer.
   */
  layer: number;
  /**
   * 0-based head.
   */
  head: number;
  /**
   * Its accuracy.
   */
  accuracy: number;
}
/**
 * ``exbert.status``: never loads anything.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "StatusResult".
 */
export interface StatusResult {
  /**
   * Payload schema tag.
   */
  schema: "exbert.status/1";
  /**
   * The configured model.
   */
  model: string;
  /**
   * It is loaded.
   */
  model_loaded: boolean;
  /**
   * The loaded model (null until loaded).
   */
  model_info: ModelDescription1 | null;
  /**
   * Where it runs (or will).
   */
  device: string;
  /**
   * An indexing run is in progress.
   */
  indexing: boolean;
  settings: StatusSettings;
  database: DatabaseStatus;
}
/**
 * Shape and identity of a loaded model.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ModelDescription".
 */
export interface ModelDescription1 {
  /**
   * What the user asked for (``minilm``, a hub id, a path).
   */
  name: string;
  /**
   * The directory or hub id it was loaded from.
   */
  source: string;
  /**
   * The transformers ``model_type`` (``bert``, ``llama``...).
   */
  model_type: string;
  /**
   * Transformer layers L.
   */
  num_layers: number;
  /**
   * Attention heads per layer H.
   */
  num_heads: number;
  /**
   * Hidden size.
   */
  d_model: number;
  /**
   * Size of one head's context vector.
   */
  d_head: number;
  /**
   * Decoder (attends only to earlier tokens).
   */
  causal: boolean;
  /**
   * ``masked``, ``causal`` or null for a bare encoder (no predictions).
   */
  lm_head: ("masked" | "causal") | null;
  /**
   * Longest input the model accepts, in tokens.
   */
  max_positions: number;
  /**
   * Where it runs (``cpu``, ``cuda:0``).
   */
  device: string;
}
/**
 * Settings in effect.
 */
export interface StatusSettings {
  /**
   * ``exbert.model``.
   */
  model: string;
  /**
   * ``exbert.databasePath`` (null: the workspace's ``.exbert/index``).
   */
  databasePath: string | null;
  /**
   * ``exbert.defaultLayer`` (null: the middle layer).
   */
  defaultLayer: number | null;
  /**
   * ``exbert.k``.
   */
  k: number;
  /**
   * ``exbert.hover``.
   */
  hover: boolean;
  /**
   * ``exbert.device``.
   */
  device: string;
  /**
   * ``exbert.preload``.
   */
  preload: boolean;
}
/**
 * The database.
 */
export interface DatabaseStatus {
  /**
   * Its location (null: none configured and no workspace folder).
   */
  uri: string | null;
  /**
   * It opened.
   */
  open: boolean;
  /**
   * Token rows.
   */
  rows: number | null;
  /**
   * Document rows.
   */
  documents: number | null;
  /**
   * The model that built it.
   */
  model: string | null;
  /**
   * Every live document has head statistics (null: not known).
   */
  head_summaries_current: boolean | null;
  /**
   * Why it could not be opened or used.
   */
  error: string | null;
}
/**
 * ``exbert.indexWorkspace`` / ``exbert index --json``: the report, where it went, in words.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "IndexResult".
 */
export interface IndexResult {
  /**
   * Documents (re)indexed.
   */
  indexed: string[];
  /**
   * Documents already indexed with the same content.
   */
  unchanged: string[];
  /**
   * Documents gone from the paths, dropped from the index.
   */
  removed: string[];
  /**
   * ``(path, reason)`` for every file not indexed.
   */
  skipped: [string, string][];
  /**
   * ``(path, reason)`` for single sentences left out of an indexed document.
   */
  dropped: [string, string][];
  /**
   * Sentences written.
   */
  sentences: number;
  /**
   * Token rows written.
   */
  tokens: number;
  /**
   * Wall time of the run.
   */
  seconds: number;
  /**
   * The run was cancelled (finished documents are kept).
   */
  cancelled: boolean;
  /**
   * Documents a killed or cancelled earlier run left half-written (dropped, then re-indexed).
   */
  recovered: string[];
  /**
   * What happened to the vector indexes.
   */
  ann: string;
  /**
   * Time spent on them.
   */
  ann_seconds: number;
  /**
   * Payload schema tag.
   */
  schema: "exbert.index/1";
  /**
   * The database written.
   */
  database: string;
  /**
   * :meth:`IndexReport.describe`: the report as readable lines.
   */
  summary: string;
}
/**
 * What ``exbert verify [--repair]`` found (and did) in one database.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "VerifyResult".
 */
export interface VerifyResult {
  /**
   * The database location checked.
   */
  database: string;
  /**
   * True when no problem was found (after the repair, with ``--repair``).
   */
  consistent: boolean;
  /**
   * Every broken invariant found, one sentence each.
   */
  problems: string[];
  /**
   * Tables that could not be read at all, each with the reason.
   */
  unreadable: string[];
  /**
   * What ``--repair`` did, one sentence per action (empty without ``--repair``).
   */
  repaired: string[];
  /**
   * Documents marked ``damaged``: the next ``exbert index`` re-indexes them.
   */
  reindex: string[];
}
/**
 * ``exbert.attentionRows``: exact attention rows (or whole heads) of one layer.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "AttentionRowsResult".
 */
export interface AttentionRowsResult {
  /**
   * Payload schema tag.
   */
  schema: "exbert.attentionRows/1";
  /**
   * 1-based layer.
   */
  layer: number;
  /**
   * 0-based heads; ``weights[i]`` is head ``heads[i]``.
   */
  heads: number[];
  /**
   * Query positions sent (null: every row).
   */
  rows: number[] | null;
  /**
   * T, the number of tokens.
   */
  size: number;
  weights: EncodedArray5;
}
/**
 * A numpy array on the wire (``exbert_ls.wire.encode_array``); the panel decodes it.
 */
export interface EncodedArray5 {
  /**
   * Element type; ``uint8`` carries ``scale`` (value = byte * scale).
   */
  dtype: "float16" | "float32" | "uint8" | "uint16";
  /**
   * Array shape, C order.
   */
  shape: number[];
  /**
   * ``base64`` / ``zlib+base64``: ``data`` is base64 text of the little-endian bytes (deflated
   * first for zlib). ``raw`` / ``zlib``: ``data`` is the bytes themselves (msgpack ``bin``).
   */
  encoding: "base64" | "zlib+base64" | "raw" | "zlib";
  /**
   * The array's bytes: base64 text in JSON, binary inside a msgpack document.
   */
  data: string | Uint8Array;
  /**
   * ``uint8`` only: value = byte * scale (1/255 for attention weights).
   */
  scale: number | null;
}
/**
 * ``exbert probe``: every head's probe scores for one model, cached per fingerprint.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ProbeResult".
 */
export interface ProbeResult {
  /**
   * The name the model was loaded by.
   */
  model: string;
  /**
   * Weights fingerprint the cache is keyed by.
   */
  fingerprint: string;
  /**
   * Random sequences in the batch.
   */
  sequences: number;
  /**
   * Tokens per copy (each sequence is ``length`` random tokens, then the same again).
   */
  length: number;
  /**
   * Random seed of the token sequences.
   */
  seed: number;
  /**
   * Score from which a head gets a role, per role.
   */
  thresholds: {
    [k: string]: number;
  };
  /**
   * All heads, layer-major.
   */
  heads: ProbeHead[];
  /**
   * Read from the on-disk cache rather than computed now.
   */
  cached: boolean;
  /**
   * Time the probe forward and scoring took (0 when cached).
   */
  seconds: number;
  /**
   * Every head's ablation Δloss on the fixed sample (``exbert probe`` adds it for models
   * with an LM head; not part of the probe cache, it has its own).
   */
  causal_effect: CausalEffect | null;
}
/**
 * Model-only probe scores of one head, on random token sequences repeated twice.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ProbeHead".
 */
export interface ProbeHead {
  /**
   * 1-based layer.
   */
  layer: number;
  /**
   * 0-based head.
   */
  head: number;
  /**
   * Mean attention from each token of the second copy to the token after its earlier
   * occurrence (Olsson et al. 2022).
   */
  induction: number;
  /**
   * Mean attention from each token of the second copy to its earlier occurrence.
   */
  duplicate: number;
  /**
   * Mean attention to the previous position, over the same query tokens.
   */
  previous: number;
  /**
   * Mean attention to position 0, over every query after the first position.
   */
  sink: number;
  /**
   * ``induction``, ``duplicate``, ``previous``, ``sink`` or ``none``: the first score past
   * its threshold, in that order (thresholds in :attr:`ProbeResult.thresholds`).
   */
  role: string;
}
/**
 * Each head's causal effect: the ablation scan (zero mode) on a fixed sample text, cached
 * per weights fingerprint like the probes (``exbert probe``; docs/heads.md).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "CausalEffect".
 */
export interface CausalEffect {
  model: string;
  /**
   * Weights fingerprint the cache is keyed by.
   */
  fingerprint: string;
  /**
   * The fixed sample text the loss is taken over.
   */
  sample: string;
  /**
   * Its length in model tokens (special tokens included).
   */
  tokens: number;
  /**
   * Unablated mean loss over the sample (nats).
   */
  loss: number;
  /**
   * ``[L][H]``: loss with the head alone zero-ablated minus ``loss`` (positive = the head helps).
   */
  delta_loss: number[][];
  /**
   * Time the scan took (0 when cached).
   */
  seconds: number;
  /**
   * Batched forward passes used (0 when cached).
   */
  forwards: number;
  cached: boolean;
}
/**
 * ``exbert lens``: hidden state ``l`` through the final norm and unembedding (decoders)
 * or the MLM head (encoders), for ``l = 0..L`` (nostalgebraist 2020).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "LensResult".
 */
export interface LensResult {
  model: string;
  /**
   * Display text of every position.
   */
  tokens: string[];
  /**
   * How hidden states were decoded: ``final norm + unembedding`` or ``MLM head``.
   */
  head: string;
  k: number;
  positions: LensPosition[];
}
/**
 * One position of the logit lens: each hidden state's top-k next (or masked) tokens.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "LensPosition".
 */
export interface LensPosition {
  /**
   * 0-based token position.
   */
  position: number;
  /**
   * Display text of the token at this position.
   */
  token: string;
  /**
   * The token scored by ``target_probability``: the actual next token (causal LMs) or the
   * input token itself (masked LMs); None at a causal model's last position.
   */
  target: string | null;
  /**
   * ``[L+1][k]``: top-k tokens per hidden state 0..L (display text).
   */
  top_tokens: string[][];
  /**
   * ``[L+1][k]``: their probabilities.
   */
  top_probabilities: number[][];
  /**
   * ``[L+1]``: probability of ``target`` per hidden state; None where there is no target.
   */
  target_probability: number[] | null;
}
/**
 * ``exbert ablate``: the text re-run with chosen heads' contexts replaced before the
 * attention output projection.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "AblationResult".
 */
export interface AblationResult {
  model: string;
  /**
   * ``zero`` (context set to 0), ``mean`` (context replaced by its mean over the text) or
   * ``corpus-mean`` (by the corpus index's mean direction for the head, scaled to the head's
   * mean context norm over the text; docs/heads.md).
   */
  mode: string;
  /**
   * Ablated heads as ``[layer (1-based), head (0-based)]``.
   */
  heads: number[][];
  /**
   * Original mean loss over the text's targets (nats).
   */
  loss: number;
  /**
   * Mean loss with the heads ablated.
   */
  ablated_loss: number;
  positions: AblationPosition[];
  /**
   * ``[L][H]``, layer 1 first: mean over query rows of the total-variation distance between
   * the head's original and ablated attention (0 = unchanged, 1 = disjoint). Zero up to and
   * including the first ablated layer (a context is replaced after its attention is taken).
   */
  attention_change: number[][];
}
/**
 * How one position's prediction changes with the heads ablated.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "AblationPosition".
 */
export interface AblationPosition {
  position: number;
  token: string;
  /**
   * The unablated model's top-1 prediction here.
   */
  original_top: string;
  /**
   * Ablated minus original log-probability of ``original_top``.
   */
  delta_logprob_top: number;
  /**
   * Actual next token (causal) / the input token (masked LM); None at the causal end.
   */
  target: string | null;
  /**
   * Ablated minus original log-probability of ``target``.
   */
  delta_logprob_target: number | null;
  /**
   * KL(original || ablated) of the prediction distributions, nats.
   */
  kl: number;
  /**
   * Top-1 prediction with the heads ablated.
   */
  ablated_top: string;
}
/**
 * Every single head's effect on the loss over a text: an ``L x H`` grid.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "AblationScan".
 */
export interface AblationScan {
  model: string;
  mode: string;
  /**
   * Unablated mean loss over the text (nats).
   */
  loss: number;
  /**
   * ``[L][H]``: ablated minus original loss, layer 1 first.
   */
  delta_loss: number[][];
  /**
   * Time the scan took (0 when cached).
   */
  seconds: number;
  /**
   * Batched forward passes used.
   */
  forwards: number;
  cached: boolean;
}
/**
 * ``exbert.ablate``: the selected text with ``heads`` ablated, or (``scan``) every head alone.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "AblateArgs".
 */
export interface AblateArgs {
  /**
   * Raw text to run (no document positions in the result).
   */
  text?: string | null;
  /**
   * A document the client opened (``textDocument/didOpen``) or a ``file:`` URI on disk.
   */
  uri?: string | null;
  /**
   * The part of the document to run; must not be empty.
   */
  range?: Range | null;
  model?: string | null;
  /**
   * ``[[layer (1-based), head (0-based)], ...]``.
   */
  heads?: number[][];
  /**
   * ``corpus-mean`` uses the workspace's corpus index (built by the same model).
   */
  mode?: "zero" | "mean" | "corpus-mean";
  /**
   * Ablate each head alone and return the ``L x H`` grid of loss changes instead.
   */
  scan?: boolean;
}
/**
 * Counts over the matches' max-attended tokens (special tokens count under their spelling).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "AttendedCounts".
 */
export interface AttendedCounts1 {
  /**
   * By POS.
   */
  pos: {
    [k: string]: number;
  };
  /**
   * By DEP.
   */
  dep: {
    [k: string]: number;
  };
  /**
   * By entity type.
   */
  ent_type: {
    [k: string]: number;
  };
  /**
   * By offset from the match (as a string, e.g. ``"-1"``; far offsets binned ``"<=-8"``, ``">=+8"``).
   */
  offset: {
    [k: string]: number;
  };
}
/**
 * The corpus database, opened without the model.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "DatabaseStatus".
 */
export interface DatabaseStatus1 {
  /**
   * Its location (null: none configured and no workspace folder).
   */
  uri: string | null;
  /**
   * It opened.
   */
  open: boolean;
  /**
   * Token rows.
   */
  rows: number | null;
  /**
   * Document rows.
   */
  documents: number | null;
  /**
   * The model that built it.
   */
  model: string | null;
  /**
   * Every live document has head statistics (null: not known).
   */
  head_summaries_current: boolean | null;
  /**
   * Why it could not be opened or used.
   */
  error: string | null;
}
/**
 * ``exbert.explain``.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ExplainArgs".
 */
export interface ExplainArgs {
  /**
   * Raw text to run (no document positions in the result).
   */
  text?: string | null;
  /**
   * A document the client opened (``textDocument/didOpen``) or a ``file:`` URI on disk.
   */
  uri?: string | null;
  /**
   * The part of the document to run; must not be empty.
   */
  range?: Range | null;
  /**
   * Model override for this request (embedded name, directory or hub id); default: the
   * configured ``exbert.model``.
   */
  model?: string | null;
  /**
   * Token positions to replace by the mask token before the run (masked LMs only).
   */
  mask?: number[];
  /**
   * Predictions per token (0: none). Ignored for models without an LM head.
   */
  topK?: number;
  /**
   * How attention weights travel: uint8 (x/255, error <= 0.002) or float16.
   */
  attention?: "uint8" | "float16";
  /**
   * ``msgpack``: the result is ``{"schema": "exbert.msgpack/1", "data": base64}``.
   */
  format?: "json" | "msgpack";
  /**
   * Run spaCy for POS/DEP/entity annotations of words.
   */
  annotate?: boolean;
  /**
   * Add ``rollout``: attention rollout per layer (Abnar & Zuidema), encoded like attention.
   */
  rollout?: boolean;
}
/**
 * ``exbert.headSummary``: all heads, one layer's, or one head's summaries.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "HeadSummaryArgs".
 */
export interface HeadSummaryArgs {
  /**
   * 1-based layer.
   */
  layer?: number | null;
  /**
   * 0-based head (needs ``layer``).
   */
  head?: number | null;
}
/**
 * ``exbert.indexWorkspace``.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "IndexArgs".
 */
export interface IndexArgs {
  /**
   * Files or folders (paths or ``file:`` URIs); default: the workspace folders.
   */
  paths?: string[] | null;
}
/**
 * ``exbert.lens``: the logit lens of the selected text.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "LensArgs".
 */
export interface LensArgs {
  /**
   * Raw text to run (no document positions in the result).
   */
  text?: string | null;
  /**
   * A document the client opened (``textDocument/didOpen``) or a ``file:`` URI on disk.
   */
  uri?: string | null;
  /**
   * The part of the document to run; must not be empty.
   */
  range?: Range | null;
  model?: string | null;
  /**
   * One token position (default: all).
   */
  position?: number | null;
  /**
   * Top tokens per hidden state.
   */
  k?: number;
}
/**
 * Raw counts over the matches, most common first.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "MatchSummary".
 */
export interface MatchSummary1 {
  /**
   * Number of matches counted (collapsed rows once, unless duplicates are counted).
   */
  count: number;
  /**
   * Matches by POS.
   */
  pos: {
    [k: string]: number;
  };
  /**
   * Matches by DEP.
   */
  dep: {
    [k: string]: number;
  };
  /**
   * Matches by entity type.
   */
  ent_type: {
    [k: string]: number;
  };
  max_attended: AttendedCounts;
}
/**
 * The matching corpus token.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "MatchToken".
 */
export interface MatchToken1 {
  /**
   * Model position in its sentence.
   */
  position: number;
  /**
   * Tokenizer spelling.
   */
  text: string;
  /**
   * Character offset in the sentence text.
   */
  start: number;
  /**
   * Character offset one past it.
   */
  end: number;
}
/**
 * How the matches' max-attended tokens were chosen.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "MaxAttendedRule".
 */
export interface MaxAttendedRule1 {
  /**
   * The heads (0-based) whose mean attention row is used (one head: its own row).
   */
  heads: number[];
  /**
   * Special tokens were excluded as targets.
   */
  exclude_special: boolean;
  /**
   * Position 0 (the attention sink) was excluded as a target.
   */
  exclude_first: boolean;
  /**
   * ``mean`` (the heads' mean row: stored per layer for all heads, else the matched sentences
   * re-run), ``per-head max`` (index columns), or none at layer 0.
   */
  method: string;
}
/**
 * A document position (LSP).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "Position".
 */
export interface Position2 {
  /**
   * 0-based line.
   */
  line: number;
  /**
   * 0-based offset in the line, in code units of the negotiated position encoding (UTF-16).
   */
  character: number;
}
/**
 * ``exbert.probe``: induction / duplicate / previous / sink scores of every head.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "ProbeArgs".
 */
export interface ProbeArgs {
  /**
   * Model override (default: the configured ``exbert.model``).
   */
  model?: string | null;
  /**
   * Add each head's causal effect (an ablation scan of a fixed sample; cached per weights).
   */
  effect?: boolean;
}
/**
 * ``exbert.search``: nearest corpus tokens to one token of a selection.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "SearchArgs".
 */
export interface SearchArgs {
  /**
   * Raw text to run (no document positions in the result).
   */
  text?: string | null;
  /**
   * A document the client opened (``textDocument/didOpen``) or a ``file:`` URI on disk.
   */
  uri?: string | null;
  /**
   * The part of the document to run; must not be empty.
   */
  range?: Range | null;
  /**
   * Model position of the query token in the selection (as in the explain result).
   */
  token?: number | null;
  /**
   * Or: a document position inside the query token (needs ``uri``).
   */
  position?: Position2 | null;
  /**
   * Hidden-state layer 0..L for ``embedding``, 1..L for ``context``; default
   * ``exbert.defaultLayer``.
   */
  layer?: number | null;
  by?: "embedding" | "context";
  /**
   * Heads whose contexts are compared (``context`` only; default all).
   */
  heads?: number[] | null;
  /**
   * Number of matches; default ``exbert.k``.
   */
  k?: number | null;
  /**
   * Exact scan instead of the ANN index.
   */
  exact?: boolean;
  /**
   * Max-attended tokens skip special tokens (search/matches.py).
   */
  excludeSpecial?: boolean;
  /**
   * Max-attended tokens skip position 0 (the attention sink).
   */
  excludeFirst?: boolean;
  /**
   * Summary histograms count every copy of a collapsed context (default: once).
   */
  countDuplicates?: boolean;
}
/**
 * How identical contexts were collapsed by the server.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "SearchDedup".
 */
export interface SearchDedup1 {
  /**
   * Rows removed by collapsing (their counts are on the row kept).
   */
  collapsed: number;
  /**
   * The summary counts a collapsed row once (false: ``count`` times).
   */
  counted_once: boolean;
}
/**
 * What was searched for.
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "SearchQuery".
 */
export interface SearchQuery1 {
  /**
   * The query text.
   */
  text: string;
  /**
   * Model position of the query token in ``text``.
   */
  token: number;
  /**
   * That token's spelling.
   */
  token_text: string;
  /**
   * Hidden state 0..L (embedding) or context layer 1..L (context).
   */
  layer: number;
  /**
   * What was compared.
   */
  by: "embedding" | "context";
  /**
   * Context heads (0-based) compared; null = all.
   */
  heads: number[] | null;
  /**
   * Matches asked for.
   */
  k: number;
  /**
   * Exhaustive scan asked for.
   */
  exact: boolean;
  /**
   * How the neighbours were found (``exact``, ``ann``...).
   */
  method: string;
  /**
   * Vector column searched (``model/names.py``).
   */
  column: string;
  /**
   * Document range of the query token (server, ``uri`` argument); null otherwise.
   */
  range: Range | null;
}
/**
 * ``exbert.status`` takes no arguments (an empty object is accepted).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "StatusArgs".
 */
export interface StatusArgs {}
/**
 * The ``exbert.*`` settings in effect (camelCase keys, as the client sends them).
 *
 * This interface was referenced by `ExbertLsPayloads`'s JSON-Schema
 * via the `definition` "StatusSettings".
 */
export interface StatusSettings1 {
  /**
   * ``exbert.model``.
   */
  model: string;
  /**
   * ``exbert.databasePath`` (null: the workspace's ``.exbert/index``).
   */
  databasePath: string | null;
  /**
   * ``exbert.defaultLayer`` (null: the middle layer).
   */
  defaultLayer: number | null;
  /**
   * ``exbert.k``.
   */
  k: number;
  /**
   * ``exbert.hover``.
   */
  hover: boolean;
  /**
   * ``exbert.device``.
   */
  device: string;
  /**
   * ``exbert.preload``.
   */
  preload: boolean;
}

/** Bounds from exbert_ls/limits.py (the schema's `x-limits`). */
export const LIMITS = {"maxK":1000,"defaultK":50} as const;
