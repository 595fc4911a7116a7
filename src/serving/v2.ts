// The video model as the Open Inference Protocol v2 describes it, shared by the REST and gRPC adapters: server
// and model metadata, model lookup, the answer's output tensors, and how the op's error codes map to the
// protocol's statuses. The adapters only move these over their transports.
import { readFileSync } from 'node:fs';
import { ErrorCode } from '../errors.ts';
import { BINARY_TENSOR_DATA, type V2ModelMetadata, type V2ServerMetadata } from '../protocol/v2.ts';
import type { OpResult } from './op.ts';
import type { HandlerContext, ServedModel } from './handler.ts';
import type { V2Meta, V2OutputName } from './v2-request.ts';

/** vidserve serves one version of its model. */
export const V2_MODEL_VERSION = '1';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function serverMetadata(): V2ServerMetadata {
  return { name: 'vidserve', version: VERSION, extensions: [BINARY_TENSOR_DATA] };
}

export function modelMetadata(m: ServedModel): V2ModelMetadata {
  return {
    name: m.name,
    versions: [V2_MODEL_VERSION],
    // Paddle models are translated to ONNX when loaded: onnxruntime always runs the model.
    platform: 'onnxruntime_onnx',
    // Any one of these: the compressed video, decoded RGB frames, or the network's preprocessed input.
    inputs: [
      { name: 'video', datatype: 'BYTES', shape: [1] },
      { name: 'frames', datatype: 'UINT8', shape: [-1, -1, -1, 3] },
      { name: m.feed.name, datatype: 'FP32', shape: m.feed.shape },
    ],
    // [batch, top-k]: one row per input row, k = the request's "topk" parameter (default: the op's topk).
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1, -1] },
      { name: 'prob', datatype: 'FP32', shape: [-1, -1] },
    ],
  };
}

/** Status categories of the protocol (gRPC's codes; REST uses the matching HTTP statuses). */
export type V2Status = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'UNAVAILABLE' | 'DEADLINE_EXCEEDED' | 'INTERNAL';

export class V2Error extends Error {
  constructor(
    readonly status: V2Status,
    message: string,
  ) {
    super(message);
    this.name = 'V2Error';
  }
}

/** The HTTP status of each category, as Google's API design maps gRPC codes to HTTP. */
export const HTTP_STATUS: Record<V2Status, number> = { INVALID_ARGUMENT: 400, NOT_FOUND: 404, UNAVAILABLE: 503, DEADLINE_EXCEEDED: 504, INTERNAL: 500 };

/** The category of an op error code (Paddle Serving's codes). */
export function statusOf(code: number): V2Status {
  switch (code) {
    case ErrorCode.INPUT_PARAMS_ERROR:
      return 'INVALID_ARGUMENT';
    case ErrorCode.NO_SERVICE:
    case ErrorCode.CLOSED_ERROR:
      return 'UNAVAILABLE';
    case ErrorCode.TIMEOUT:
      return 'DEADLINE_EXCEEDED';
    default:
      return 'INTERNAL';
  }
}

/** Throws NOT_FOUND unless `name` (and `version`, when given) is the served model. */
export function checkModel(ctx: HandlerContext, name: string, version: string | undefined): void {
  const m = ctx.model;
  if (name !== m.name) throw new V2Error('NOT_FOUND', `unknown model "${name}"; this server serves "${m.name}"`);
  if (version !== undefined && version !== '' && version !== V2_MODEL_VERSION) {
    throw new V2Error('NOT_FOUND', `unknown version "${version}" of model "${name}"; available: ${V2_MODEL_VERSION}`);
  }
}

/** One output tensor of an answer: labels (BYTES) or probabilities (FP32), shape [rows, k]. */
export type V2Output = { name: 'label'; datatype: 'BYTES'; shape: number[]; values: string[] } | { name: 'prob'; datatype: 'FP32'; shape: number[]; values: number[] };

/** The outputs the request asked for (all by default), in its order, with whether each goes as binary data. */
export function answerOutputs(result: OpResult): Array<{ output: V2Output; binary: boolean }> {
  const rows = result.predictions;
  const shape = [rows.length, rows[0]?.labels.length ?? 0];
  const tensors: Record<V2OutputName, V2Output> = {
    label: { name: 'label', datatype: 'BYTES', shape, values: rows.flatMap((r) => r.labels) },
    prob: { name: 'prob', datatype: 'FP32', shape, values: rows.flatMap((r) => r.probs) },
  };
  const meta: V2Meta = result.meta.v2 ?? { id: '', outputs: [{ name: 'label', binary: false }, { name: 'prob', binary: false }], rawOutputs: false };
  return meta.outputs.map((o) => ({ output: tensors[o.name], binary: o.binary }));
}
