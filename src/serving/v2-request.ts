// From Open Inference Protocol v2 wire bytes to the op's input (runs in a prepare worker, like request.ts does for
// Paddle Serving's Request): a REST inference request (JSON, optionally followed by binary tensor data) or a gRPC
// ModelInferRequest. The video model takes exactly one input: `video` (BYTES, the compressed file), `frames` (UINT8
// [T, H, W, 3]) or the model's own preprocessed FP32 input (the feed variable). Binary data (the REST extension,
// gRPC raw_input_contents) is read in place, never base64'd; only a BYTES element written as a JSON string is
// base64 text. Everything a client can fix is an INPUT_PARAMS_ERROR naming what is wrong.
import { lazyMessageType } from '../protocol/message-type.ts';
import { inputError } from '../errors.ts';
import { BINARY_DATA, BINARY_DATA_OUTPUT, BINARY_DATA_SIZE, V2_PROTO_PATH, decodeBytesElements } from '../protocol/v2.ts';
import { parseFramesShape } from '../protocol/shape.ts';
import { ByteSpan, JsonBodyError, parseJsonBytes, type JsonValue } from './jsonbody.ts';
import { decodeBase64, type DecodedRequest, type OpInput, type WireString } from './request.ts';
import { readReferenceKeys } from './timeline-request.ts';
import { numel } from '../tensor.ts';

/** The model's own input (feed variable): name and shape, -1 for free dimensions. */
export interface FeedSpec {
  name: string;
  shape: number[];
}

export const V2_OUTPUTS = ['label', 'prob'] as const;
/** The output of a timeline request (parameters "window", "stride", ...): one BYTES element, the timeline's JSON. */
export const V2_TIMELINE_OUTPUT = 'timeline';
export type V2OutputName = (typeof V2_OUTPUTS)[number] | typeof V2_TIMELINE_OUTPUT;

/** What the answer must look like, carried from the prepare worker back to the transport. */
export interface V2Meta {
  id: string;
  outputs: Array<{ name: V2OutputName; binary: boolean }>;
  /** gRPC: the request sent raw_input_contents, so the answer uses raw_output_contents. */
  rawOutputs: boolean;
}

type Element = number | boolean | string | ByteSpan | Uint8Array;
type ParamValue = boolean | number | string;

/** One input tensor, its data either binary (raw bytes) or a flat list of elements. */
interface WireInput {
  name: string;
  datatype: string;
  shape: number[];
  raw?: Uint8Array;
  elements?: ArrayLike<Element>;
}

interface WireRequest {
  id: string;
  parameters: Record<string, ParamValue>;
  inputs: WireInput[];
  outputs: Array<{ name: string; parameters: Record<string, ParamValue> }> | null;
  rawInputs: boolean;
}

const now = () => performance.now();

// ---------------------------------------------------------------- REST: JSON (+ binary tensor data)

/** Reads a REST inference request body; `headerLength` is the Inference-Header-Content-Length (null: JSON only). */
export function readV2JsonRequest(body: Buffer, headerLength: number | null, feed: FeedSpec | undefined): DecodedRequest {
  const t0 = now();
  if (body.length === 0) throw inputError('empty request body: expected an inference request {"inputs": [...]}');
  if (headerLength !== null && headerLength > body.length) {
    throw inputError(`Inference-Header-Content-Length ${headerLength} is larger than the body (${body.length} bytes)`);
  }
  const header = headerLength === null ? body : body.subarray(0, headerLength);
  let doc: JsonValue;
  try {
    doc = parseJsonBytes(header);
  } catch (e) {
    if (e instanceof JsonBodyError) {
      const hint = headerLength === null ? ' (binary tensor data needs the Inference-Header-Content-Length header)' : '';
      throw inputError(`inference request is not valid JSON: ${e.message}${hint}`);
    }
    throw e;
  }
  const o = object(doc, 'the inference request');
  let tail = headerLength === null ? body.subarray(body.length) : body.subarray(headerLength);
  const id = o.id === undefined || o.id === null ? '' : str(o.id, '"id"');
  const inputsJson = o.inputs;
  if (!Array.isArray(inputsJson)) throw inputError('the inference request needs "inputs": [{"name", "shape", "datatype", "data"}, ...]');
  const inputs = inputsJson.map((v, i): WireInput => {
    const where = `inputs[${i}]`;
    const t = object(v, where);
    const name = str(t.name, `${where}.name`);
    const datatype = str(t.datatype, `${where}.datatype`);
    const shape = dims(t.shape, `${where}.shape`);
    const params = parameters(t.parameters, `${where}.parameters`);
    const size = params[BINARY_DATA_SIZE];
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw inputError(`${where}.parameters.${BINARY_DATA_SIZE} must be a non-negative integer`);
      if (headerLength === null) throw inputError(`input "${name}" has ${BINARY_DATA_SIZE} but the request has no Inference-Header-Content-Length header`);
      if (t.data !== undefined) throw inputError(`input "${name}" has both "data" and ${BINARY_DATA_SIZE}`);
      if (size > tail.length) throw inputError(`input "${name}" claims ${size} bytes of binary data but only ${tail.length} remain after the JSON`);
      const raw = tail.subarray(0, size);
      tail = tail.subarray(size);
      return { name, datatype, shape, raw };
    }
    if (t.data === undefined) throw inputError(`input "${name}" has no "data" (or ${BINARY_DATA_SIZE} for binary data)`);
    const elements: Element[] = [];
    flatten(t.data, elements, `input "${name}" data`, 0);
    return { name, datatype, shape, elements };
  });
  if (tail.length > 0) throw inputError(`${tail.length} bytes of binary data after the JSON belong to no input (${BINARY_DATA_SIZE} values must add up to them)`);
  const outputsJson = o.outputs;
  let outputs: WireRequest['outputs'] = null;
  if (outputsJson !== undefined && outputsJson !== null) {
    if (!Array.isArray(outputsJson)) throw inputError('"outputs" must be a list of {"name": ...}');
    outputs = outputsJson.map((v, i) => {
      const t = object(v, `outputs[${i}]`);
      return { name: str(t.name, `outputs[${i}].name`), parameters: parameters(t.parameters, `outputs[${i}].parameters`) };
    });
  }
  const request: WireRequest = { id, parameters: parameters(o.parameters, '"parameters"'), inputs, outputs, rawInputs: false };
  return decodeV2(request, feed, now() - t0);
}

function object(v: JsonValue | undefined, what: string): { [k: string]: JsonValue } {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof ByteSpan) throw inputError(`${what} must be a JSON object`);
  return v as { [k: string]: JsonValue };
}

function str(v: JsonValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof ByteSpan) return v.toString();
  throw inputError(`${what} must be a string`);
}

function dims(v: JsonValue | undefined, what: string): number[] {
  if (!Array.isArray(v)) throw inputError(`${what} must be a list of integers`);
  return v.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw inputError(`${what} must be a list of non-negative integers, got ${JSON.stringify(v).slice(0, 60)}`);
    return d;
  });
}

function parameters(v: JsonValue | undefined, what: string): Record<string, ParamValue> {
  if (v === undefined || v === null) return {};
  const o = object(v, what);
  const out: Record<string, ParamValue> = {};
  for (const [k, x] of Object.entries(o)) {
    if (typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') out[k] = x;
    else if (x instanceof ByteSpan) out[k] = x.toString();
    else throw inputError(`${what}.${k} must be a bool, number or string`);
  }
  return out;
}

function flatten(v: JsonValue, out: Element[], what: string, depth: number): void {
  if (Array.isArray(v)) {
    if (depth > 32) throw inputError(`${what} is nested too deep`);
    for (const x of v) flatten(x, out, what, depth + 1);
  } else if (v === null || typeof v === 'object') {
    if (v instanceof ByteSpan) out.push(v);
    else throw inputError(`${what} must hold numbers, booleans or strings`);
  } else out.push(v);
}

// ---------------------------------------------------------------- gRPC: ModelInferRequest

const modelInferRequestType = lazyMessageType(V2_PROTO_PATH, 'inference.ModelInferRequest');

interface ProtoParameter {
  parameter_choice?: string;
  [k: string]: unknown;
}
interface ProtoInput {
  name: string;
  datatype: string;
  shape: number[];
  parameters: Record<string, ProtoParameter>;
  contents?: Record<string, ArrayLike<Element>>;
}

/** Reads a ModelInferRequest message (bytes fields stay views of `bytes`). */
export function readV2ProtoRequest(bytes: Uint8Array, feed: FeedSpec | undefined): DecodedRequest {
  const t0 = now();
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = modelInferRequestType();
  let msg: {
    id: string;
    parameters: Record<string, ProtoParameter>;
    inputs: ProtoInput[];
    outputs: Array<{ name: string; parameters: Record<string, ProtoParameter> }>;
    raw_input_contents: Uint8Array[];
  };
  try {
    msg = type.toObject(type.decode(buf), { longs: Number, defaults: true, arrays: true, objects: true, oneofs: true }) as typeof msg;
  } catch (e) {
    throw inputError(`request is not a valid inference.ModelInferRequest message: ${(e as Error).message}`);
  }
  const raw = msg.raw_input_contents;
  const rawInputs = raw.length > 0;
  if (rawInputs && raw.length !== msg.inputs.length) throw inputError(`raw_input_contents has ${raw.length} entries for ${msg.inputs.length} inputs; give one per input, in order`);
  const inputs = msg.inputs.map((t, i): WireInput => {
    const base = { name: t.name, datatype: t.datatype, shape: t.shape.map(Number) };
    const filled = Object.entries(t.contents ?? {}).filter(([, v]) => v && v.length > 0);
    if (rawInputs) {
      if (filled.length > 0) throw inputError(`input "${t.name}" has contents although the request uses raw_input_contents`);
      return { ...base, raw: raw[i]! };
    }
    if (filled.length > 1) throw inputError(`input "${t.name}" fills ${filled.map(([k]) => k).join(' and ')}; use the one field of its datatype`);
    return { ...base, elements: filled[0]?.[1] ?? [] };
  });
  const request: WireRequest = {
    id: msg.id,
    parameters: protoParameters(msg.parameters),
    inputs,
    outputs: msg.outputs.length ? msg.outputs.map((o) => ({ name: o.name, parameters: protoParameters(o.parameters) })) : null,
    rawInputs,
  };
  return decodeV2(request, feed, now() - t0);
}

function protoParameters(p: Record<string, ProtoParameter>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(p)) {
    const choice = v.parameter_choice;
    if (choice) out[k] = v[choice] as ParamValue;
  }
  return out;
}

// ---------------------------------------------------------------- the op's input

function expectedInputs(feed: FeedSpec | undefined): string {
  return `"video" (BYTES, one element: the video file), "frames" (UINT8 [T, H, W, 3])${feed ? ` or "${feed.name}" (FP32 [${feed.shape.join(', ')}], the preprocessed input)` : ''}`;
}

function decodeV2(req: WireRequest, feed: FeedSpec | undefined, parseMs: number): DecodedRequest {
  if (req.inputs.length !== 1) throw inputError(`the model takes exactly one input, got ${req.inputs.length}: ${expectedInputs(feed)}`);
  const topk = req.parameters.topk;
  let k: number | undefined;
  if (topk !== undefined) {
    const n = typeof topk === 'string' && /^\d{1,4}$/.test(topk.trim()) ? Number(topk) : topk;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 9999) throw inputError(`parameter "topk" must be a positive integer, got ${JSON.stringify(topk)}`);
    k = n;
  }
  // Timelines: the Paddle protocol's keys as parameters ("window", "stride", "threshold"; also "timeout_ms").
  const refs = readReferenceKeys((key) => {
    const v = key === 'video_path' || key === 'video_url' ? undefined : req.parameters[key];
    return v === undefined ? undefined : String(v);
  });
  const names: readonly string[] = refs.timeline ? [V2_TIMELINE_OUTPUT] : V2_OUTPUTS;
  const binaryAll = req.parameters[BINARY_DATA_OUTPUT] === true;
  const outputs = (req.outputs ?? names.map((name) => ({ name, parameters: {} as Record<string, ParamValue> }))).map((o) => {
    if (!names.includes(o.name)) throw inputError(`unknown output "${o.name}"; the ${refs.timeline ? 'output of a timeline request is' : "model's outputs are"} ${names.join(', ')}`);
    const b = o.parameters[BINARY_DATA];
    return { name: o.name as V2OutputName, binary: typeof b === 'boolean' ? b : binaryAll };
  });
  const t0 = now();
  const input = opInput(req.inputs[0]!, feed);
  const v2: V2Meta = { id: req.id, outputs, rawOutputs: req.rawInputs };
  return {
    meta: {
      logid: req.id || '0',
      clientip: '',
      name: '',
      method: '',
      keys: [req.inputs[0]!.name],
      ...(k ? { topk: k } : {}),
      ...(refs.timeline ? { timeline: refs.timeline } : {}),
      ...(refs.timeoutMs !== undefined ? { timeoutMs: refs.timeoutMs } : {}),
      v2,
    },
    input,
    timings: { parse: parseMs, base64: now() - t0 },
  };
}

function checkDatatype(t: WireInput, want: string): void {
  if (t.datatype !== want) throw inputError(`input "${t.name}" must have datatype ${want}, got ${JSON.stringify(t.datatype)}`);
}

function opInput(t: WireInput, feed: FeedSpec | undefined): OpInput {
  if (t.name === 'video') {
    checkDatatype(t, 'BYTES');
    if (numel(t.shape) !== 1) throw inputError(`input "video" holds one element (the video file); its shape must be [1], got [${t.shape.join(', ')}]`);
    let bytes: Uint8Array;
    if (t.raw) {
      let items: Uint8Array[];
      try {
        items = decodeBytesElements(t.raw);
      } catch (e) {
        throw inputError(`input "video": ${(e as Error).message}`);
      }
      if (items.length !== 1) throw inputError(`input "video" binary data holds ${items.length} BYTES elements; expected 1`);
      bytes = items[0]!;
    } else {
      const els = t.elements!;
      if (els.length !== 1) throw inputError(`input "video" has ${els.length} elements; expected 1`);
      const e = els[0]!;
      if (e instanceof Uint8Array) bytes = e;
      else if (typeof e === 'string' || e instanceof ByteSpan) bytes = decodeBase64(e as WireString, 'video');
      else throw inputError('input "video" must be the video file: binary data, or base64 text in JSON');
    }
    if (bytes.length === 0) throw inputError('input "video" is empty');
    return { kind: 'video', bytes };
  }
  if (t.name === 'frames') {
    checkDatatype(t, 'UINT8');
    let shape: [number, number, number, number];
    try {
      shape = parseFramesShape(`(${t.shape.join(', ')})`);
    } catch (e) {
      throw inputError(`input "frames" shape [${t.shape.join(', ')}]: ${(e as Error).message}`);
    }
    const n = numel(shape);
    if (t.raw) {
      if (t.raw.length !== n) throw inputError(`input "frames" shape [${shape.join(', ')}] needs ${n} bytes of binary data, got ${t.raw.length}`);
      return { kind: 'frames', frames: t.raw, shape };
    }
    const els = t.elements!;
    if (els.length !== n) throw inputError(`input "frames" shape [${shape.join(', ')}] needs ${n} elements, got ${els.length}`);
    const frames = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = els[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw inputError(`input "frames" element ${i} (${JSON.stringify(v)}) is not a UINT8`);
      frames[i] = v;
    }
    return { kind: 'frames', frames, shape };
  }
  if (feed && t.name === feed.name) {
    checkDatatype(t, 'FP32');
    const ok = t.shape.length === feed.shape.length && t.shape.every((d, i) => d > 0 && (feed.shape[i]! < 0 || feed.shape[i] === d));
    if (!ok) throw inputError(`input "${t.name}" must have shape [${feed.shape.join(', ')}] (-1: any size), got [${t.shape.join(', ')}]`);
    const n = numel(t.shape);
    const data = new Float32Array(n);
    if (t.raw) {
      if (t.raw.length !== n * 4) throw inputError(`input "${t.name}" shape [${t.shape.join(', ')}] needs ${n * 4} bytes of FP32 binary data, got ${t.raw.length}`);
      // A copy: the binary data may sit at any offset, and the tensor's buffer travels on to the inference worker.
      const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
    } else {
      const els = t.elements!;
      if (els.length !== n) throw inputError(`input "${t.name}" shape [${t.shape.join(', ')}] needs ${n} elements, got ${els.length}`);
      for (let i = 0; i < n; i++) {
        const v = els[i];
        if (typeof v !== 'number') throw inputError(`input "${t.name}" element ${i} is not a number`);
        data[i] = v;
      }
    }
    return { kind: 'tensor', data, dims: t.shape };
  }
  throw inputError(`unknown input "${t.name}"; the model takes ${expectedInputs(feed)}`);
}
