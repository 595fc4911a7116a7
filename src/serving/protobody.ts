// A targeted reader of the pipeline_service.proto Request message over the received bytes. protobufjs would turn
// the 40–100 MB `value` string (the base64 frames) into a JS string; here long `value` entries stay ByteSpans of
// the message buffer, as jsonbody.ts does for JSON, and the base64 decoder reads them directly. Small fields
// become ordinary strings; nested Tensor messages (small, or bytes that protobufjs keeps as views) go through
// protobufjs. The wire structure is checked strictly: wrong wire types, truncated fields, bad tags, groups and
// trailing partial data are errors (protobufjs reads some junk as fields; a Request never needs that leniency).
import { lazyMessageType } from '../protocol/message-type.ts';
import { PROTO_PATH } from '../protocol/proto.ts';
import type { PipelineTensor } from '../protocol/types.ts';
import { ByteSpan, SPAN_THRESHOLD } from './jsonbody.ts';

export class ProtoBodyError extends Error {
  override name = 'ProtoBodyError';
}

export interface ProtoRequestFields {
  key: string[];
  /** Entries of at least SPAN_THRESHOLD bytes are ByteSpans of the message buffer. */
  value: Array<string | ByteSpan>;
  tensors: PipelineTensor[];
  name: string;
  method: string;
  /** int64 as a decimal string (as protobufjs `longs: String` gives it). */
  logid: string;
  clientip: string;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const REQUEST_FIELDS: Record<number, string> = { 1: 'key', 2: 'value', 3: 'tensors', 4: 'name', 5: 'method', 6: 'logid', 7: 'clientip' };

const pipelineTensorType = lazyMessageType(PROTO_PATH, 'baidu.paddle_serving.pipeline_serving.Tensor');

/** Reads a Request message; throws ProtoBodyError naming the field and byte offset of the first problem. */
export function readRequestMessage(buf: Buffer): ProtoRequestFields {
  const n = buf.length;
  let pos = 0;
  const fail = (what: string, at = pos): never => {
    throw new ProtoBodyError(`${what} at byte ${at} of ${n}`);
  };

  // Varints up to 64 bits; the low 32 bits as a number suffice for tags and lengths, logid needs all 64.
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    const start = pos;
    for (let i = 0; i < 10; i++) {
      if (pos >= n) fail('truncated varint', start);
      const b = buf[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, v);
      shift += 7n;
    }
    return fail('varint longer than 10 bytes', start);
  };
  // Fast path for tags and lengths (< 2^31 in any message we accept).
  const smallVarint = (what: string): number => {
    const start = pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (pos >= n) fail(`truncated ${what}`, start);
      const b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (v > 0x7fffffff) fail(`${what} ${v} out of range`, start);
        return v;
      }
      mul *= 128;
    }
    return fail(`${what} out of range`, start);
  };
  const lengthDelimited = (field: string): [number, number] => {
    const at = pos;
    const len = smallVarint(`length of ${field}`);
    if (len > n - pos) fail(`${field} claims ${len} bytes but only ${n - pos} remain`, at);
    const start = pos;
    pos += len;
    return [start, pos];
  };

  const out: ProtoRequestFields = { key: [], value: [], tensors: [], name: '', method: '', logid: '0', clientip: '' };
  while (pos < n) {
    const tagAt = pos;
    const tag = smallVarint('field tag');
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) fail('field number 0', tagAt);
    const known = REQUEST_FIELDS[field];
    if (known !== undefined) {
      const want = known === 'logid' ? WIRE_VARINT : WIRE_LEN;
      if (wire !== want) fail(`field ${known} (${field}) has wire type ${wire}, expected ${want}`, tagAt);
    }
    switch (field) {
      case 1:
      case 4:
      case 5:
      case 7: {
        const [s, e] = lengthDelimited(known!);
        const text = buf.toString('utf8', s, e);
        if (field === 1) out.key.push(text);
        else if (field === 4) out.name = text;
        else if (field === 5) out.method = text;
        else out.clientip = text;
        break;
      }
      case 2: {
        const [s, e] = lengthDelimited('value');
        out.value.push(e - s >= SPAN_THRESHOLD ? new ByteSpan(buf, s, e) : buf.toString('utf8', s, e));
        break;
      }
      case 3: {
        const [s, e] = lengthDelimited(`tensors[${out.tensors.length}]`);
        const t = pipelineTensorType();
        try {
          out.tensors.push(t.toObject(t.decode(buf.subarray(s, e)), { longs: String, defaults: true, arrays: true }) as PipelineTensor);
        } catch (err) {
          fail(`tensors[${out.tensors.length}] is not a valid Tensor message (${(err as Error).message})`, s);
        }
        break;
      }
      case 6:
        out.logid = BigInt.asIntN(64, varint()).toString();
        break;
      default:
        // Unknown fields are skipped, as any proto3 reader does.
        if (wire === WIRE_VARINT) varint();
        else if (wire === WIRE_FIXED64) {
          if (n - pos < 8) fail(`truncated fixed64 field ${field}`, tagAt);
          pos += 8;
        } else if (wire === WIRE_LEN) lengthDelimited(`field ${field}`);
        else if (wire === WIRE_FIXED32) {
          if (n - pos < 4) fail(`truncated fixed32 field ${field}`, tagAt);
          pos += 4;
        } else fail(`field ${field} has invalid wire type ${wire}`, tagAt);
    }
  }
  return out;
}
