// Decodes explain results in every form the server or CLI produces: nested lists
// (`exbert explain --json`), encoded arrays (uint8 x scale, float16, float32; base64 or
// zlib+base64) and the msgpack form (`{"schema": "exbert.msgpack/1", "data": base64}`).
import { decode as msgpackDecode } from "@msgpack/msgpack";
import type { AttentionField, EncodedArray, ExplainPayload, ExplainResult, NdArray, SparseAttention } from "../protocol";

/** What the views read: one head's T x T weights at a time (dense, possibly rebuilt from sparse rows). */
export interface Attention {
  readonly layers: number;
  readonly heads: number;
  readonly size: number;
  /** null when dense (every weight exact); else the mass each row keeps at least. */
  readonly sparseMass: number | null;
  /** Every weight, [L, H, T, T] row-major (dense tensors only). */
  readonly data?: Float32Array;
  head(layerIndex: number, head: number): Float32Array;
  /** True when row q of head (layerIndex, head) holds its exact weights (dense, or fetched). */
  exactRow(layerIndex: number, head: number, q: number): boolean;
}

/** attention[l][h][q][k] as one Float32Array; `l` is the array index (layer l+1 in display). */
export class AttentionTensor implements Attention {
  readonly sparseMass = null;
  constructor(
    readonly layers: number,
    readonly heads: number,
    readonly size: number,
    readonly data: Float32Array,
  ) {
    const expected = layers * heads * size * size;
    if (data.length !== expected) {
      throw new DecodeError(`attention has ${data.length} values, expected ${expected} for [${layers},${heads},${size},${size}]`);
    }
  }

  /** The T x T matrix of one head (a view, not a copy). */
  head(layerIndex: number, head: number): Float32Array {
    const n = this.size * this.size;
    const offset = (layerIndex * this.heads + head) * n;
    return this.data.subarray(offset, offset + n);
  }

  exactRow(): boolean {
    return true;
  }
}

/**
 * Sparse rows (SparseAttention on the wire): per L*H*T row, its strongest keys. `head()` rebuilds
 * one head densely (missing weights are 0) and caches a few; exact heads fetched from the server
 * replace the rebuilt ones (`setExact`).
 */
export class SparseTensor implements Attention {
  private readonly starts: Uint32Array; // row r's entries are [starts[r], starts[r+1])
  private readonly cache = new Map<number, Float32Array>();
  private readonly exactRows = new Map<number, Map<number, Float32Array>>(); // head key -> row -> weights

  constructor(
    readonly layers: number,
    readonly heads: number,
    readonly size: number,
    readonly sparseMass: number,
    counts: Uint16Array,
    readonly indices: Uint16Array,
    readonly weights: Float32Array,
  ) {
    if (counts.length !== layers * heads * size) throw new DecodeError(`sparse attention has ${counts.length} rows, expected ${layers * heads * size}`);
    this.starts = new Uint32Array(counts.length + 1);
    for (let r = 0; r < counts.length; r++) this.starts[r + 1] = this.starts[r] + counts[r];
    if (this.starts[counts.length] !== indices.length || indices.length !== weights.length) {
      throw new DecodeError(`sparse attention: ${this.starts[counts.length]} entries counted, ${indices.length} indices, ${weights.length} weights`);
    }
  }

  get entries(): number {
    return this.indices.length;
  }

  head(layerIndex: number, head: number): Float32Array {
    const key = layerIndex * this.heads + head;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const T = this.size;
    const out = new Float32Array(T * T);
    const base = key * T;
    for (let q = 0; q < T; q++) {
      for (let e = this.starts[base + q]; e < this.starts[base + q + 1]; e++) out[q * T + this.indices[e]] = this.weights[e];
    }
    for (const [q, row] of this.exactRows.get(key) ?? []) out.set(row, q * T);
    if (this.cache.size >= 16) this.cache.delete(this.cache.keys().next().value as number); // oldest first
    this.cache.set(key, out);
    return out;
  }

  exactRow(layerIndex: number, head: number, q: number): boolean {
    return this.exactRows.get(layerIndex * this.heads + head)?.has(q) ?? false;
  }

  /** Number of entries a row keeps (its sparse length). */
  rowLength(layerIndex: number, head: number, q: number): number {
    const r = (layerIndex * this.heads + head) * this.size + q;
    return this.starts[r + 1] - this.starts[r];
  }

  /** Visit every kept entry of one head (for pooled thumbnails without rebuilding it). */
  forEach(layerIndex: number, head: number, visit: (q: number, k: number, w: number) => void): void {
    const base = (layerIndex * this.heads + head) * this.size;
    for (let q = 0; q < this.size; q++) {
      for (let e = this.starts[base + q]; e < this.starts[base + q + 1]; e++) visit(q, this.indices[e], this.weights[e]);
    }
  }

  /** Exact rows ([rows.length, T] row-major), as fetched with exbert.attentionRows. */
  setExactRows(layerIndex: number, head: number, rows: readonly number[], dense: Float32Array): void {
    const T = this.size;
    if (dense.length !== rows.length * T) throw new DecodeError(`exact rows have ${dense.length} values, expected ${rows.length * T}`);
    const key = layerIndex * this.heads + head;
    const map = this.exactRows.get(key) ?? new Map<number, Float32Array>();
    rows.forEach((q, i) => map.set(q, dense.slice(i * T, (i + 1) * T)));
    this.exactRows.set(key, map);
    this.cache.delete(key);
  }
}

export class DecodeError extends Error {
  override name = "DecodeError";
}

export interface Decoded {
  payload: ExplainPayload;
  attention: Attention;
  /** [L, T, T] attention rollout row-major (layer index l = through layer l+1), when the payload has it. */
  rollout: Float32Array | null;
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** zlib (RFC 1950) inflate through the platform's DecompressionStream. */
export async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

let halfTable: Float32Array | undefined;

/** IEEE 754 half -> float32 for every 16-bit pattern, built once. */
function half(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * 2 ** -14 * (frac / 1024);
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  halfTable = table;
  return table;
}

function littleEndianView(bytes: Uint8Array, width: number): DataView {
  if (bytes.byteLength % width !== 0) throw new DecodeError(`byte length ${bytes.byteLength} is not a multiple of ${width}`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function bytesToFloats(bytes: Uint8Array, dtype: string, scale = 1): Float32Array {
  switch (dtype) {
    case "uint8":
    case "|u1":
    case "<u1": {
      const out = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] * scale;
      return out;
    }
    case "float16":
    case "<f2": {
      const view = littleEndianView(bytes, 2);
      const table = half();
      const out = new Float32Array(bytes.byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = table[view.getUint16(i * 2, true)] * scale;
      return out;
    }
    case "float32":
    case "<f4": {
      const view = littleEndianView(bytes, 4);
      const out = new Float32Array(bytes.byteLength / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true) * scale;
      return out;
    }
    default:
      throw new DecodeError(`unsupported dtype ${JSON.stringify(dtype)} (expected uint8, float16 or float32, little-endian)`);
  }
}

function isSparse(field: AttentionField): field is SparseAttention {
  return !Array.isArray(field) && (field as SparseAttention).sparse === "topmass/1";
}

function isNdArray(field: AttentionField | EncodedArray | NdArray): field is NdArray {
  return !Array.isArray(field) && (field as NdArray).__ndarray__ === true;
}

async function encodedBytes(field: EncodedArray): Promise<Uint8Array> {
  const raw = typeof field.data === "string" ? base64ToBytes(field.data) : field.data;
  switch (field.encoding) {
    case "zlib":
    case "zlib+base64":
      return inflate(raw);
    case "base64":
    case "raw":
      return raw;
    default:
      throw new DecodeError(`unknown array encoding ${JSON.stringify((field as { encoding: unknown }).encoding)}`);
  }
}

function shape4(shape: number[]): [number, number, number, number] {
  if (shape.length !== 4 || shape[2] !== shape[3]) {
    throw new DecodeError(`attention must have shape [L, H, T, T], got [${shape.join(", ")}]`);
  }
  return [shape[0], shape[1], shape[2], shape[3]];
}

/** An encoded (or msgpack numpy) array as plain bytes, and its dtype. */
async function arrayBytes(field: EncodedArray | NdArray | { dtype: string; shape: number[]; encoding: EncodedArray["encoding"]; data: string | Uint8Array }): Promise<{ bytes: Uint8Array; dtype: string; scale: number }> {
  if (isNdArray(field as NdArray)) return { bytes: (field as NdArray).data, dtype: field.dtype, scale: 1 };
  const encoded = field as EncodedArray;
  return { bytes: await encodedBytes(encoded), dtype: encoded.dtype, scale: encoded.scale ?? 1 };
}

function uint16s(bytes: Uint8Array): Uint16Array {
  const view = littleEndianView(bytes, 2);
  const out = new Uint16Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

export async function decodeSparse(field: SparseAttention): Promise<SparseTensor> {
  const [L, H, T] = shape4(field.shape);
  const counts = await arrayBytes(field.counts);
  const indices = await arrayBytes(field.indices);
  const weights = await arrayBytes(field.weights);
  const rowCounts = uint16s(counts.bytes);
  const keys = uint16s(indices.bytes);
  if (field.delta) {
    // keys ascending within a row, sent as gaps from the row's first key: undo per row
    let e = 0;
    for (let r = 0; r < rowCounts.length; r++) {
      for (let j = 1; j < rowCounts[r]; j++) keys[e + j] += keys[e + j - 1];
      e += rowCounts[r];
    }
  }
  return new SparseTensor(L, H, T, field.mass, rowCounts, keys, bytesToFloats(weights.bytes, weights.dtype, weights.scale));
}

/** Any dense encoded array (EncodedArray / NdArray) as float32. */
export async function decodeFloats(field: EncodedArray | NdArray): Promise<Float32Array> {
  const { bytes, dtype, scale } = await arrayBytes(field);
  return bytesToFloats(bytes, dtype, scale);
}

export async function decodeAttention(field: AttentionField): Promise<Attention> {
  if (isSparse(field)) return decodeSparse(field);
  if (Array.isArray(field)) {
    const L = field.length;
    const H = L ? field[0].length : 0;
    const T = H ? field[0][0].length : 0;
    const flat = new Float32Array(L * H * T * T);
    let i = 0;
    for (const layer of field) for (const head of layer) for (const row of head) {
      flat.set(row, i);
      i += T;
    }
    return new AttentionTensor(L, H, T, flat);
  }
  if (isNdArray(field)) {
    const [L, H, T] = shape4(field.shape);
    return new AttentionTensor(L, H, T, bytesToFloats(field.data, field.dtype));
  }
  const [L, H, T] = shape4(field.shape);
  const bytes = await encodedBytes(field);
  return new AttentionTensor(L, H, T, bytesToFloats(bytes, field.dtype, field.scale ?? 1));
}

function checkPayload(value: unknown): ExplainPayload {
  const p = value as Partial<ExplainPayload> | null;
  if (!p || p.schema !== "exbert.explain/1" || !Array.isArray(p.tokens) || p.attention === undefined) {
    throw new DecodeError("not an exbert.explain/1 payload");
  }
  return p as ExplainPayload;
}

/** Any explain result -> payload with attention decoded. */
export async function decodeExplain(result: ExplainResult | unknown): Promise<Decoded> {
  let value = result as { schema?: unknown; data?: unknown };
  if (value && value.schema === "exbert.msgpack/1") {
    if (typeof value.data !== "string") throw new DecodeError("exbert.msgpack/1 payload without base64 data");
    value = msgpackDecode(base64ToBytes(value.data)) as typeof value;
  }
  const payload = checkPayload(value);
  const attention = await decodeAttention(payload.attention);
  if (attention.size !== payload.tokens.length) {
    throw new DecodeError(`attention covers ${attention.size} positions but the payload has ${payload.tokens.length} tokens`);
  }
  return { payload, attention, rollout: await decodeRollout(payload.rollout, attention) };
}

/** The rollout field (nested lists, or an encoded / msgpack array like dense attention), checked against the attention's shape. */
export async function decodeRollout(field: ExplainPayload["rollout"] | NdArray | undefined, attention: Attention): Promise<Float32Array | null> {
  if (field === null || field === undefined) return null;
  const T = attention.size;
  const values = Array.isArray(field) ? Float32Array.from(field.flat(2)) : await decodeFloats(field as EncodedArray | NdArray);
  if (values.length !== attention.layers * T * T) {
    throw new DecodeError(`rollout has ${values.length} values, expected ${attention.layers * T * T} for [${attention.layers},${T},${T}]`);
  }
  return values;
}
