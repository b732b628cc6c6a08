// Decodes explain results in every form the server or CLI produces: nested lists
// (`exbert explain --json`), encoded arrays (uint8 x scale, float16, float32; base64 or
// zlib+base64) and the msgpack form (`{"schema": "exbert.msgpack/1", "data": base64}`).
import { decode as msgpackDecode } from "@msgpack/msgpack";
import type { AttentionField, EncodedArray, ExplainPayload, ExplainResult, NdArray } from "../protocol";

/** attention[l][h][q][k] as one Float32Array; `l` is the array index (layer l+1 in display). */
export class AttentionTensor {
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
}

export class DecodeError extends Error {
  override name = "DecodeError";
}

export interface Decoded {
  payload: ExplainPayload;
  attention: AttentionTensor;
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

function isNdArray(field: AttentionField): field is NdArray {
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

export async function decodeAttention(field: AttentionField): Promise<AttentionTensor> {
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
  return { payload, attention };
}
