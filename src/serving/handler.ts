// One prediction, whatever the transport: run the op, render the answer or the error as a Response message,
// write the request's log line and metrics. Transports only move bytes.
import type { Logger } from 'pino';
import { ErrorCode, toServingError } from '../errors.ts';
import { errorResponse, okResponse, type PipelineResponse } from '../protocol/types.ts';
import { STAGE_NAMES, type OpResult, type StageTimings, type VideoOp } from './op.ts';
import type { ServingMetrics } from './metrics.ts';
import { timelineLogFields, timelineProgressLog } from './timeline-log.ts';

export interface HandlerContext {
  op: VideoOp;
  logger: Logger;
  metrics: ServingMetrics;
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

export async function handlePrediction(
  ctx: HandlerContext,
  raw: Uint8Array,
  format: 'json' | 'proto',
  protocol: 'http' | 'grpc',
  extra: { receiveMs?: number; peer?: string; reserved?: boolean; ownsBuffer?: boolean } = {},
): Promise<Handled> {
  const rid = ++requestCounter;
  const opName = ctx.op.opts.name;
  const t0 = performance.now();
  // The op transfers the bytes to a worker; note the size first.
  const bytes = raw.byteLength;
  let result: OpResult;
  try {
    result = await ctx.op.run(raw, format, extra.reserved ?? false, extra.ownsBuffer ?? false, { onProgress: timelineProgressLog(ctx, rid, protocol) });
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
    return {
      response: errorResponse(err.code, `[${opName}] ${err.message}`),
      status: refused ? 503 : 200,
    };
  }
  const timings: StageTimings = { ...result.timings, receive: extra.receiveMs };
  if (extra.receiveMs !== undefined) timings.total += extra.receiveMs;
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
  return { response: okResponse(result.key, result.value), status: 200 };
}
