// One prediction, whatever the transport: run the op, render the answer or the error as a Response message,
// write the request's log line and metrics. Transports only move bytes.
import type { Logger } from 'pino';
import { ErrorCode, toServingError, type ServingError } from '../errors.ts';
import { ElemType, errorResponse, okResponse, type PipelineResponse } from '../protocol/types.ts';
import { STAGE_NAMES, type OpResult, type StageTimings, type VideoOp } from './op.ts';
import type { ServingMetrics } from './metrics.ts';
import type { WireFormat } from './messages.ts';
import { timelineLogFields, timelineProgressLog } from './timeline-log.ts';

export interface HandlerContext {
  op: VideoOp;
  logger: Logger;
  metrics: ServingMetrics;
  model: ServedModel;
}

/** What the protocols say about the model being served (v2 metadata and readiness). */
export interface ServedModel {
  /** The name v2 clients address it by (`--model_name`; default: the op's name). */
  name: string;
  /** The network's input, batch dimension included (-1 = any size). */
  feed: { name: string; shape: number[] };
  /** Number of classes the model scores. */
  classes: number;
  /** False once shutdown has begun. */
  ready(): boolean;
}

export interface Handled {
  response: PipelineResponse;
  /** HTTP status to use: 200 for answers (errors included, as Paddle Serving does), 503 when refused. */
  status: number;
}

let requestCounter = 0;

const round = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 10) / 10);

function timingText(t: Partial<StageTimings>): string {
  const parts = STAGE_NAMES.filter((k) => t[k] !== undefined).map((k) => `${k} ${t[k]!.toFixed(1)}`);
  return `total ${(t.total ?? 0).toFixed(1)} ms (${parts.join(', ')})`;
}

/** The transports, as named in log lines and the `protocol` label of metrics. */
export type Transport = 'http' | 'grpc' | 'v2-http' | 'v2-grpc';

export interface RequestExtra {
  receiveMs?: number;
  peer?: string;
  reserved?: boolean;
  ownsBuffer?: boolean;
  /** v2-json: Inference-Header-Content-Length. */
  headerLength?: number;
}

export type Outcome = { ok: true; result: OpResult } | { ok: false; error: ServingError; refused: boolean };

/**
 * Runs one request through the op and writes its log line and metrics, whatever the protocol; the protocol's
 * adapter renders the outcome.
 */
export async function runRequest(ctx: HandlerContext, raw: Uint8Array, format: WireFormat, protocol: Transport, extra: RequestExtra = {}): Promise<Outcome> {
  const rid = ++requestCounter;
  const opName = ctx.op.opts.name;
  const t0 = performance.now();
  // The op transfers the bytes to a worker; note the size first.
  const bytes = raw.byteLength;
  let result: OpResult;
  try {
    result = await ctx.op.run(raw, format, { reserved: extra.reserved, ownsBuffer: extra.ownsBuffer, headerLength: extra.headerLength, onProgress: timelineProgressLog(ctx, rid, protocol) });
  } catch (e) {
    const err = toServingError(e, ErrorCode.UNKNOWN);
    const total = performance.now() - t0 + (extra.receiveMs ?? 0);
    const refused = err.code === ErrorCode.NO_SERVICE || err.code === ErrorCode.CLOSED_ERROR;
    const level = err.code === ErrorCode.INPUT_PARAMS_ERROR || refused ? 'warn' : 'error';
    ctx.logger[level](
      { rid, op: opName, protocol, peer: extra.peer, bytes, err_no: err.code, err_msg: err.message, timings: { receive: round(extra.receiveMs), total: round(total) } },
      `rid=${rid} ${protocol} /${opName} failed err_no=${err.code}: ${err.message}`,
    );
    ctx.metrics.observe(protocol, opName, err.code, { total, receive: extra.receiveMs });
    return { ok: false, error: err, refused };
  }
  const timings: StageTimings = { ...result.timings, receive: extra.receiveMs };
  if (extra.receiveMs !== undefined) timings.total += extra.receiveMs;
  result.timings = timings;
  const m = result.meta;
  // A timeline's value is a whole JSON document: the log line names its size and segments instead.
  const [label, prob] = result.timeline ? timelineLogFields(result.timeline) : [result.value[0], result.value[1]];
  const rounded = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round(v)]));
  ctx.logger.info(
    {
      rid,
      logid: m.logid,
      op: opName,
      protocol,
      peer: extra.peer,
      clientip: m.clientip || undefined,
      input: m.keys,
      bytes,
      batch: result.batch,
      err_no: 0,
      label,
      prob,
      timings: rounded,
    },
    `rid=${rid} logid=${m.logid} ${protocol} /${opName} ok label=${label} prob=${prob} ${timingText(timings)}`,
  );
  ctx.metrics.observe(protocol, opName, 0, timings);
  return { ok: true, result };
}

/** A Paddle Serving request: the outcome as a Response message. */
export async function handlePrediction(ctx: HandlerContext, raw: Uint8Array, format: 'json' | 'proto', protocol: 'http' | 'grpc', extra: RequestExtra = {}): Promise<Handled> {
  const o = await runRequest(ctx, raw, format, protocol, extra);
  if (!o.ok) return { response: errorResponse(o.error.code, `[${ctx.op.opts.name}] ${o.error.message}`), status: o.refused ? 503 : 200 };
  return { response: withExtras(okResponse(o.result.key, o.result.value), o.result, format), status: 200 };
}

/**
 * What the request asked for beyond the seed's answer: key "timings" (a JSON object of ms per stage) and the model's
 * input frames as tensors named "frames_seen" (elem_type BYTES, shape [H, W, 3], byte_data a PNG; base64 in JSON as
 * protobuf's JSON mapping has it), in the model's order.
 */
function withExtras(resp: PipelineResponse, result: OpResult, format: 'json' | 'proto'): PipelineResponse {
  const seen = result.framesSeen;
  const timings = result.timings;
  if (result.meta.timings) {
    // Stage order, then the total; frames_seen (making the PNGs) is inside the total but no stage of its own.
    const t: Record<string, number | undefined> = { ...timings, frames_seen: seen?.ms };
    const entries = [...STAGE_NAMES, 'frames_seen', 'total'].filter((k) => t[k] !== undefined).map((k) => [k, round(t[k])]);
    resp.key.push('timings');
    resp.value.push(JSON.stringify(Object.fromEntries(entries)));
  }
  if (seen) {
    resp.tensors = seen.images.map((f) => ({
      name: 'frames_seen',
      elem_type: ElemType.BYTES,
      shape: [f.height, f.width, 3],
      byte_data: format === 'json' ? Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength).toString('base64') : f.png,
    }));
  }
  return resp;
}
