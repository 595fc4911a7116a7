// The protobuf bytes of a pipeline_service.proto Request, written straight into one buffer. protobufjs gives the
// same bytes (tested byte for byte), but into a buffer of its own making: for the seed's raw-frames request that is
// a fresh 40–100 MB allocation per call, and every fresh page costs a page fault when first written (measured here:
// ~150 ms for 40 MB, more than the transfer itself). Here the caller provides the memory (a reused buffer, see
// BufferPool), the big base64 values are written with one native copy each (ASCII: latin1 is exact), and the small
// nested Tensor messages still go through protobufjs.
import { lazyMessageType } from './message-type.ts';
import { PROTO_PATH } from './proto.ts';
import type { PipelineRequest, PipelineTensor } from './types.ts';

const tensorType = lazyMessageType(PROTO_PATH, 'baidu.paddle_serving.pipeline_serving.Tensor');

// Field tags of Request: (field number << 3) | wire type (2 = length-delimited, 0 = varint).
const TAG_KEY = (1 << 3) | 2;
const TAG_VALUE = (2 << 3) | 2;
const TAG_TENSORS = (3 << 3) | 2;
const TAG_NAME = (4 << 3) | 2;
const TAG_METHOD = (5 << 3) | 2;
const TAG_LOGID = (6 << 3) | 0;
const TAG_CLIENTIP = (7 << 3) | 2;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class RequestEncodeError extends TypeError {
  override name = 'RequestEncodeError';
}

/** One field of the message, measured once: a string, a nested message's bytes, or an int64 varint. */
type Field =
  | { tag: number; kind: 'text'; text: string; bytes: number; ascii: boolean }
  | { tag: number; kind: 'message'; data: Uint8Array }
  | { tag: number; kind: 'varint'; value: bigint };

/** Options for encodeRequest. */
export interface EncodeRequestOptions {
  /**
   * Memory for exactly `length` bytes (e.g. a view of a reused buffer). Default: Buffer.allocUnsafe.
   * The result is a Buffer over this memory.
   */
  alloc?: (length: number) => Uint8Array;
}

/**
 * Encodes `req` as protobufjs's `Request.encode(Request.fromObject(req))` does: fields in field-number order,
 * repeated strings one entry each, optional fields written when present (an empty string too, as protobufjs does),
 * `logid` as a two's-complement int64 varint. Strings must be well-formed UTF-16 (a lone surrogate is written as
 * U+FFFD, where protobufjs writes its raw code unit).
 */
export function encodeRequest(req: PipelineRequest, options: EncodeRequestOptions = {}): Buffer {
  const fields: Field[] = [];
  const text = (tag: number, v: unknown): void => {
    if (v === undefined || v === null) return;
    const s = String(v);
    const bytes = Buffer.byteLength(s, 'utf8');
    fields.push({ tag, kind: 'text', text: s, bytes, ascii: bytes === s.length });
  };
  const list = <T>(name: string, v: T[] | undefined | null, each: (x: T, i: number) => void): void => {
    if (v === undefined || v === null) return;
    if (!Array.isArray(v)) throw new RequestEncodeError(`Request.${name}: array expected`);
    v.forEach(each);
  };
  list('key', req.key, (k) => text(TAG_KEY, k));
  list('value', req.value, (v) => text(TAG_VALUE, v));
  list('tensors', req.tensors, (t, i) => fields.push({ tag: TAG_TENSORS, kind: 'message', data: encodeTensor(t, i) }));
  text(TAG_NAME, req.name);
  text(TAG_METHOD, req.method);
  if (req.logid !== undefined && req.logid !== null) fields.push({ tag: TAG_LOGID, kind: 'varint', value: int64(req.logid) });
  text(TAG_CLIENTIP, req.clientip);

  let length = 0;
  for (const f of fields) {
    if (f.kind === 'varint') length += 1 + varintLength(f.value);
    else {
      const n = f.kind === 'text' ? f.bytes : f.data.length;
      length += 1 + varintLength(n) + n;
    }
  }
  const mem = options.alloc ? options.alloc(length) : Buffer.allocUnsafe(length);
  if (mem.byteLength !== length) throw new RangeError(`alloc(${length}) returned ${mem.byteLength} bytes`);
  const out = Buffer.isBuffer(mem) ? mem : Buffer.from(mem.buffer, mem.byteOffset, mem.byteLength);
  let pos = 0;
  const writeVarint = (v: number | bigint): void => {
    if (typeof v === 'number') {
      while (v > 0x7f) {
        out[pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      out[pos++] = v;
      return;
    }
    while (v > 0x7fn) {
      out[pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    out[pos++] = Number(v);
  };
  for (const f of fields) {
    out[pos++] = f.tag;
    if (f.kind === 'varint') writeVarint(f.value);
    else if (f.kind === 'message') {
      writeVarint(f.data.length);
      out.set(f.data, pos);
      pos += f.data.length;
    } else {
      writeVarint(f.bytes);
      pos += out.write(f.text, pos, f.bytes, f.ascii ? 'latin1' : 'utf8');
    }
  }
  if (pos !== length) throw new Error(`Request encoder wrote ${pos} bytes, expected ${length}`);
  return out;
}

/** A nested Tensor message (small: names, shapes, a video's bytes at most) through protobufjs itself. */
function encodeTensor(t: PipelineTensor, i: number): Uint8Array {
  const type = tensorType();
  try {
    return type.encode(type.fromObject(t)).finish();
  } catch (e) {
    throw new RequestEncodeError(`Request.tensors[${i}]: ${(e as Error).message}`);
  }
}

/** int64 as protobufjs's Long.fromValue reads it (numbers truncated and saturated), as the unsigned 64-bit varint value. */
function int64(v: number | string): bigint {
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) b = Number.isNaN(v) ? 0n : v > 0 ? INT64_MAX : INT64_MIN;
    else b = BigInt(Math.trunc(v));
    if (b > INT64_MAX) b = INT64_MAX;
    if (b < INT64_MIN) b = INT64_MIN;
  } else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v.trim())) {
    b = BigInt(v.trim());
    if (b > INT64_MAX || b < INT64_MIN) throw new RequestEncodeError(`Request.logid: ${v} does not fit int64`);
  } else throw new RequestEncodeError(`Request.logid: an integer or its decimal string expected, got ${JSON.stringify(v)}`);
  return BigInt.asUintN(64, b);
}

function varintLength(v: number | bigint): number {
  let n = 1;
  if (typeof v === 'bigint') {
    while (v > 0x7fn) {
      v >>= 7n;
      n++;
    }
    return n;
  }
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
