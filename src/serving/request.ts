// From wire bytes to the op's input: the Request message (JSON over HTTP, protobuf over gRPC) is read, its
// key/value pairs (or tensors) are checked, and the video payload is base64-decoded. Every problem the client can
// fix is an INPUT_PARAMS_ERROR (5000) whose message says what is wrong.
import { inputError } from '../errors.ts';
import { ElemType, PROFILE_KEY, type PipelineTensor } from '../protocol/types.ts';
import { parseFramesShape, ShapeSyntaxError } from '../protocol/shape.ts';
import { ByteSpan, JsonBodyError, parseJsonBytes, type JsonValue } from './jsonbody.ts';
import { ProtoBodyError, readRequestMessage, type ProtoRequestFields } from './protobody.ts';
import { parseNpyHeader } from '../video/npy.ts';
import type { RgbImage } from '../video/transforms/image.ts';
import type { V2Meta } from './v2-request.ts';
import { isReferenceKey, readReferenceKeys, type TimelineParams } from './timeline-request.ts';

export type WireString = string | ByteSpan;

export type OpInput =
  /** Raw RGB frames [T, H, W, 3]: every frame, or (`picked`) only the frames the op's Sampler picks, in its order. */
  | { kind: 'frames'; frames: Uint8Array; shape: [number, number, number, number] }
  | { kind: 'frames'; picked: RgbImage[]; shape: [number, number, number, number] }
  | { kind: 'video'; bytes: Uint8Array }
  /** By reference ("video_path", "video_url"): checked against the config's allow-list where it is opened. */
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string }
  /** The model's own input, already preprocessed (Open Inference Protocol v2 clients may send it). */
  | { kind: 'tensor'; data: Float32Array; dims: number[] };

export interface RequestMeta {
  logid: string;
  clientip: string;
  name: string;
  method: string;
  keys: string[];
  topk?: number;
  /** Open Inference Protocol v2 requests: the id and the outputs asked for. */
  v2?: V2Meta;
  /** `timings`: answer the server's per-stage timings too (key "timings", a JSON object of ms). */
  timings?: boolean;
  /** `frames_seen`: answer the model's input frames as PNG tensors (the debug view of the web page). */
  framesSeen?: boolean;
  /** "window"/"stride"/"threshold": answer a timeline of windows. */
  timeline?: TimelineParams;
  /** "timeout_ms": the request's own deadline. */
  timeoutMs?: number;
}

export interface DecodedRequest {
  meta: RequestMeta;
  input: OpInput;
  /** ms spent reading the message and base64-decoding the payload. */
  timings: { parse: number; base64: number };
}

interface RequestFields {
  keys: string[];
  values: WireString[];
  tensors: PipelineTensor[];
  logid: string;
  clientip: string;
  name: string;
  method: string;
}

const now = () => performance.now();

// ---------------------------------------------------------------- reading the message

/** Reads a JSON Request body (HTTP). */
export function readJsonRequest(body: Buffer): RequestFields {
  if (body.length === 0) throw inputError('empty request body: expected JSON {"key": [...], "value": [...]}');
  let doc: JsonValue;
  try {
    doc = parseJsonBytes(body);
  } catch (e) {
    if (e instanceof JsonBodyError) throw inputError(`request body is not valid JSON: ${e.message}`);
    throw e;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || doc instanceof ByteSpan) {
    throw inputError('request body must be a JSON object {"key": [...], "value": [...]}');
  }
  const o = doc as { [k: string]: JsonValue };
  const strList = (field: string, required: boolean): WireString[] => {
    const v = o[field];
    if (v === undefined || v === null) {
      if (required) throw inputError(`request is missing "${field}" (expected {"key": [...], "value": [...]})`);
      return [];
    }
    if (!Array.isArray(v)) throw inputError(`"${field}" must be a list of strings`);
    v.forEach((x, i) => {
      if (typeof x !== 'string' && !(x instanceof ByteSpan)) throw inputError(`"${field}"[${i}] must be a string, got ${jsonType(x)}`);
    });
    return v as WireString[];
  };
  const optStr = (field: string): string => {
    const v = o[field];
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (v instanceof ByteSpan) return v.toString();
    throw inputError(`"${field}" must be a string, got ${jsonType(v)}`);
  };
  let logid = '0';
  const lv = o.logid;
  if (typeof lv === 'number' && Number.isInteger(lv)) logid = String(lv);
  else if (typeof lv === 'string' && /^-?\d{1,19}$/.test(lv)) logid = lv;
  else if (lv !== undefined && lv !== null) throw inputError(`"logid" must be an integer, got ${jsonType(lv)}`);
  const tensors = o.tensors;
  if (tensors !== undefined && tensors !== null && !Array.isArray(tensors)) throw inputError('"tensors" must be a list');
  return {
    keys: strList('key', false).map(String),
    values: strList('value', false),
    tensors: ((tensors as JsonValue[] | null | undefined) ?? []).map((t, i) => jsonTensor(t, i)),
    logid,
    clientip: optStr('clientip'),
    name: optStr('name'),
    method: optStr('method'),
  };
}

function jsonType(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof ByteSpan) return 'a string';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function jsonTensor(t: JsonValue, i: number): PipelineTensor {
  if (t === null || typeof t !== 'object' || Array.isArray(t) || t instanceof ByteSpan) throw inputError(`tensors[${i}] must be an object`);
  const o = t as { [k: string]: JsonValue };
  const out: PipelineTensor = {};
  if (typeof o.name === 'string') out.name = o.name;
  if (typeof o.elem_type === 'number') out.elem_type = o.elem_type;
  if (Array.isArray(o.shape)) out.shape = o.shape.map(Number);
  if (Array.isArray(o.str_data)) out.str_data = o.str_data.map(String);
  if (Array.isArray(o.uint32_data)) out.uint32_data = o.uint32_data.map(Number);
  // protobuf's JSON mapping carries bytes as base64 text
  const bd = o.byte_data;
  if (typeof bd === 'string' || bd instanceof ByteSpan) out.byte_data = decodeBase64(bd, `tensors[${i}].byte_data`);
  return out;
}

/** Reads a protobuf Request (gRPC message bytes); long `value` entries stay byte spans of `bytes`. */
export function readProtoRequest(bytes: Uint8Array): RequestFields {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let msg: ProtoRequestFields;
  try {
    msg = readRequestMessage(buf);
  } catch (e) {
    if (e instanceof ProtoBodyError) throw inputError(`request is not a valid pipeline_serving.Request message: ${e.message}`);
    throw e;
  }
  return {
    keys: msg.key,
    values: msg.value,
    tensors: msg.tensors,
    logid: msg.logid,
    clientip: msg.clientip,
    name: msg.name,
    method: msg.method,
  };
}

// ---------------------------------------------------------------- the op's inputs

const KNOWN_KEYS = 'frames + frames_shape (raw RGB frames, as the seed client sends), video (base64 of a video file), video_path or video_url; optional topk, timings, frames_seen, window, stride, threshold, timeout_ms';

/** Keys that ask for more in the answer; off unless sent (old clients see the seed's answer). */
const FLAG_KEYS = { timings: 'timings', frames_seen: 'framesSeen' } as const;

export interface DecodeOptions {
  /**
   * The frame indices the op's Sampler will read from T raw frames (PaddleVideo's Sampler in test mode is a pure
   * function of T). When given, only those frames' base64 is decoded, and the input holds them alone (`picked`).
   */
  framesWanted?: (T: number) => readonly number[];
}

/** Checks the key/value pairs and tensors and decodes the payload. */
export function decodeRequest(f: RequestFields, parseMs: number, opts: DecodeOptions = {}): DecodedRequest {
  if (f.keys.length !== f.values.length) {
    throw inputError(`"key" has ${f.keys.length} entries but "value" has ${f.values.length}; they must pair up`);
  }
  const items = new Map<string, WireString | PipelineTensor>();
  const put = (k: string, v: WireString | PipelineTensor) => {
    if (items.has(k)) throw inputError(`key "${k}" given twice`);
    items.set(k, v);
  };
  f.keys.forEach((k, i) => {
    if (k !== PROFILE_KEY) put(k, f.values[i]!);
  });
  f.tensors.forEach((t, i) => {
    if (!t.name) throw inputError(`tensors[${i}] has no name`);
    if (t.elem_type === ElemType.STRING) {
      if (!t.str_data || t.str_data.length !== 1) throw inputError(`tensor "${t.name}" (STRING) must carry exactly one str_data value`);
      put(t.name, t.str_data[0]!);
    } else put(t.name, t);
  });
  for (const k of items.keys()) {
    if (k !== 'frames' && k !== 'frames_shape' && k !== 'video' && k !== 'topk' && !Object.hasOwn(FLAG_KEYS, k) && !isReferenceKey(k)) {
      throw inputError(`unexpected key received: "${k}"; expected ${KNOWN_KEYS}`);
    }
  }
  const meta: RequestMeta = { logid: f.logid, clientip: f.clientip, name: f.name, method: f.method, keys: [...items.keys()] };
  const topk = items.get('topk');
  if (topk !== undefined) {
    const s = typeof topk === 'string' ? topk.trim() : '';
    if (!/^\d{1,4}$/.test(s) || Number(s) < 1) throw inputError(`"topk" must be a positive integer, got ${JSON.stringify(String(typeof topk === 'string' ? topk : '(tensor)').slice(0, 20))}`);
    meta.topk = Number(s);
  }
  for (const [key, field] of Object.entries(FLAG_KEYS)) {
    const v = items.get(key);
    if (v !== undefined) meta[field as 'timings' | 'framesSeen'] = flagValue(key, v);
  }
  const refs = readReferenceKeys((k) => {
    const v = items.get(k);
    if (v !== undefined && isTensor(v)) throw inputError(`"${k}" must be a string value`);
    return v === undefined ? undefined : String(v);
  });
  if (refs.timeline) meta.timeline = refs.timeline;
  if (refs.timeoutMs !== undefined) meta.timeoutMs = refs.timeoutMs;
  const t0 = now();
  const frames = items.get('frames');
  const video = items.get('video');
  let input: OpInput;
  if (refs.input) {
    if (video !== undefined || frames !== undefined) throw inputError(`send one input: "${refs.input.kind === 'path' ? 'video_path' : 'video_url'}", "video" or "frames"`);
    input = refs.input;
  } else if (video !== undefined) {
    if (frames !== undefined || items.has('frames_shape')) throw inputError('send either "video" or "frames" + "frames_shape", not both');
    const bytes = isTensor(video) ? tensorBytes(video, 'video') : decodeBase64(video, 'video');
    if (bytes.length === 0) throw inputError('"video" is empty');
    input = { kind: 'video', bytes };
  } else if (frames !== undefined) {
    input = framesInput(frames, items.get('frames_shape'), opts.framesWanted);
  } else {
    throw inputError(`request has no video input; expected ${KNOWN_KEYS}`);
  }
  return { meta, input, timings: { parse: parseMs, base64: now() - t0 } };
}

function flagValue(key: string, v: WireString | PipelineTensor): boolean {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (s === '1' || s === 'true') return true;
  if (s === '0' || s === 'false') return false;
  throw inputError(`"${key}" must be "1"/"true" or "0"/"false", got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : '(not a short string)'}`);
}

function isTensor(v: WireString | PipelineTensor): v is PipelineTensor {
  return typeof v !== 'string' && !(v instanceof ByteSpan);
}

function framesInput(frames: WireString | PipelineTensor, shapeItem: WireString | PipelineTensor | undefined, framesWanted?: (T: number) => readonly number[]): OpInput {
  if (isTensor(frames)) {
    if (frames.elem_type === ElemType.UINT8) {
      const shape = checkShape(frames.shape ?? []);
      const src = frames.uint32_data ?? [];
      const data = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        if (v > 255) throw inputError(`tensor "frames" value ${v} at ${i} does not fit uint8`);
        data[i] = v;
      }
      return checkedFrames(data, shape);
    }
    if (frames.elem_type === ElemType.BYTES) {
      const { data, shape } = readNpyUint8(tensorBytes(frames, 'frames'));
      return checkedFrames(data, checkShape(shape));
    }
    throw inputError(`tensor "frames" must be UINT8 (elem_type 7) or BYTES (13, an np.save'd uint8 array), got elem_type ${frames.elem_type}`);
  }
  if (shapeItem === undefined) throw inputError('"frames" needs "frames_shape", e.g. "(131, 240, 320, 3)"');
  if (isTensor(shapeItem)) throw inputError('"frames_shape" must be a string like "(131, 240, 320, 3)"');
  let shape: [number, number, number, number];
  try {
    shape = parseFramesShape(String(shapeItem));
  } catch (e) {
    if (e instanceof ShapeSyntaxError) throw inputError(`bad "frames_shape": ${e.message}`);
    throw e;
  }
  const [t, h, w] = shape;
  // A frame is h*w*3 bytes, a multiple of 3, so its base64 is exactly h*w*4 characters with no padding, and
  // frame i is the characters [i*h*w*4, (i+1)*h*w*4). The total length is checked before anything is decoded.
  const frameChars = h * w * 4;
  const expectedChars = t * frameChars;
  // Padding can only sit at the end; with the right length it means the payload is 1–2 bytes short.
  const pad = frames.length === expectedChars && expectedChars > 0 ? trailingPadding(frames) : 0;
  if (frames.length !== expectedChars || pad > 0) {
    const carries = Math.floor((frames.length * 3) / 4) - pad;
    throw inputError(
      `"frames_shape" ${String(shapeItem)} needs ${t * h * w * 3} bytes (${expectedChars} base64 characters) but "frames" has ${frames.length} characters${pad ? ` ending in ${pad} '='` : ''} (${pad ? '' : 'about '}${carries} bytes)`,
    );
  }
  if (!framesWanted) return checkedFrames(decodeBase64(frames, 'frames'), shape);
  return { kind: 'frames', picked: decodeFramesBase64(frames, shape, framesWanted(t)), shape };
}

function trailingPadding(v: WireString): number {
  const at = (k: number) => (typeof v === 'string' ? v.charCodeAt(v.length - k) : v.buf[v.end - k]!);
  return at(1) === 0x3d ? (v.length > 1 && at(2) === 0x3d ? 2 : 1) : 0;
}

/**
 * Decodes the base64 of the frames at `indices` only, as images in that order (a repeated index shares its frame).
 * The frames live in one buffer just their size: a [T, H, W, 3] buffer would be 30 MB for the seed's clip, and its
 * fresh pages cost more to fault in than the decoding itself. Each decoded frame is checked strictly; the characters
 * of frames the Sampler skips are not looked at, so junk there goes unnoticed — as with the seed server, whose
 * Python b64decode (validate=False) silently drops invalid characters anyway. The total length was checked.
 */
export function decodeFramesBase64(v: WireString, shape: readonly [number, number, number, number], indices: readonly number[]): RgbImage[] {
  const [T, H, W] = shape;
  const frameChars = H * W * 4;
  const frameBytes = H * W * 3;
  const slot = new Map<number, number>();
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= T) throw new Error(`sampler picked frame ${i} of ${T}`);
    if (!slot.has(i)) slot.set(i, slot.size);
  }
  const out = new Uint8Array(slot.size * frameBytes);
  const target = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  for (const [i, k] of slot) {
    const start = i * frameChars;
    // Node skips characters outside the alphabet (and stops at '='), so any of those shows as a shortfall.
    const written = base64Into(v, start, start + frameChars, target, k * frameBytes);
    if (written !== frameBytes) {
      throw inputError(`"frames" is not valid base64 in frame ${i} (characters ${start}..${start + frameChars} decode to ${written} bytes; expected ${frameBytes})`);
    }
  }
  return indices.map((i) => {
    const k = slot.get(i)!;
    return { data: out.subarray(k * frameBytes, (k + 1) * frameBytes), width: W, height: H };
  });
}

function checkShape(dims: number[]): [number, number, number, number] {
  try {
    return parseFramesShape(`(${dims.join(', ')})`);
  } catch (e) {
    throw inputError(`bad frames shape [${dims.join(', ')}]: ${(e as Error).message}`);
  }
}

function checkedFrames(data: Uint8Array, shape: [number, number, number, number]): OpInput {
  const expected = shape[0] * shape[1] * shape[2] * shape[3];
  if (data.length !== expected) {
    throw inputError(`"frames_shape" (${shape.join(', ')}) needs ${expected} bytes but "frames" decodes to ${data.length}`);
  }
  return { kind: 'frames', frames: data, shape };
}

function tensorBytes(t: PipelineTensor, what: string): Uint8Array {
  const b = t.byte_data;
  if (b === undefined || b.length === 0) throw inputError(`tensor "${what}" has no byte_data`);
  return typeof b === 'string' ? decodeBase64(b, what) : b;
}

/**
 * Strict base64: Node's decoder skips characters outside the alphabet, so the decoded length is compared with
 * what the text length implies; any skipped character shows as a shortfall.
 */
export function decodeBase64(v: WireString, what: string): Uint8Array {
  const len = v.length;
  if (len === 0) return new Uint8Array(0);
  const pad = trailingPadding(v);
  const expected = Math.floor(((len - pad) * 6) / 8);
  const out = Buffer.allocUnsafeSlow(Math.ceil(len / 4) * 3);
  const written = base64Into(v, 0, len, out, 0);
  if (len % 4 !== 0 || written !== expected) {
    throw inputError(`"${what}" is not valid base64 (${len} characters decode to ${written} bytes; expected ${expected})`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, written);
}

// Chunks, not one string per value: a string of an 800 KB video or a 300 KB frame is allocated straight into V8's
// old generation, chunks this size stay young and die there; and decoding 2.5 MB of base64 this way took 0.5 ms
// against 1.0 ms as one string.
const BASE64_CHUNK = 32 * 1024;

/**
 * Decodes characters [from, to) of `v` into `target` at `at`, a chunk at a time; returns the bytes written.
 * Chunk borders fall on multiples of 4 characters, so the result equals decoding the whole range at once.
 */
function base64Into(v: WireString, from: number, to: number, target: Buffer, at: number): number {
  let written = 0;
  for (let i = from; i < to; i += BASE64_CHUNK) {
    const end = Math.min(i + BASE64_CHUNK, to);
    const text = typeof v === 'string' ? v.slice(i, end) : v.buf.toString('latin1', v.start + i, v.start + end);
    const n = target.write(text, at + written, 'base64');
    written += n;
    // A short chunk (an invalid character or '=' inside) ends decoding: the caller sees the shortfall.
    if (end < to && n !== ((end - i) / 4) * 3) break;
  }
  return written;
}

/** A uint8 array saved by numpy.save (the Python client's use_tensor_bytes mode). */
function readNpyUint8(b: Uint8Array): { data: Uint8Array; shape: number[] } {
  const h = parseNpyHeader(b);
  if (!h) throw inputError('tensor "frames" byte_data is not a .npy array');
  if (h.descr !== '|u1') throw inputError(`tensor "frames" .npy must be uint8, header ${h.text.trim()}`);
  if (h.fortran) throw inputError('tensor "frames" .npy must be C-ordered');
  if (!h.dims) throw inputError('tensor "frames" .npy header has no shape');
  // A view, not a copy: the request buffer stays alive until the prepare task ends.
  return { data: b.subarray(h.dataOffset), shape: h.dims };
}

