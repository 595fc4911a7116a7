// Client-side load: one request at a time for latency, or c requests in flight (closed loop) for throughput.
// Requests are built once (decoding/base64 of the input is the client's business, not the server's); each send gets
// its own logid so the server's log line for it can be found.
import { VideoClient, type TransportKind } from '../../src/client/index.ts';
import type { PipelineRequest } from '../../src/protocol/types.ts';
import { completionRate } from './stats.ts';

export interface Sent {
  logid: number;
  latencyMs: number;
  /** performance.now() when the answer arrived. */
  doneAt: number;
}

let nextLogid = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;
export function takeLogid(): number {
  return nextLogid++;
}

async function sendOne(client: VideoClient, req: PipelineRequest): Promise<Sent> {
  const logid = takeLogid();
  const t0 = performance.now();
  const { response } = await client.infer({ ...req, logid });
  const doneAt = performance.now();
  if (response.err_no !== 0) throw new Error(`server answered err_no ${response.err_no}: ${response.err_msg}`);
  return { logid, latencyMs: doneAt - t0, doneAt };
}

export function makeClient(transport: TransportKind, port: number): VideoClient {
  return new VideoClient({ transport, host: '127.0.0.1', port, timeoutMs: 600_000 });
}

/**
 * `warmup` untimed sends, then `count` sequential timed ones. `before` runs ahead of each timed send (the bench
 * uses it for a paired bare model run, so both see the same machine load).
 */
export async function sequential(
  client: VideoClient,
  req: PipelineRequest,
  o: { warmup: number; count: number; before?: () => Promise<void> },
): Promise<Sent[]> {
  for (let i = 0; i < o.warmup; i++) await sendOne(client, req);
  const out: Sent[] = [];
  for (let i = 0; i < o.count; i++) {
    await o.before?.();
    out.push(await sendOne(client, req));
  }
  return out;
}

export interface Throughput {
  concurrency: number;
  /** Requests answered inside the measurement window. */
  requests: number;
  windowMs: number;
  /** Every answer of the run, window or not (for per-request CPU over the whole run). */
  answeredTotal: number;
  /**
   * Answers per second inside the window (start-up excluded; requests still in flight at its end not counted),
   * from the spacing of the answers (stats.completionRate), not quantized to whole answers per window.
   */
  rps: number;
  /** The same as answers / window length. */
  rpsCount: number;
  /** completionRate's numerator and span, summed over merged blocks. */
  rateAnswers: number;
  rateSpanMs: number;
  /** Answers inside the window (the warm-up should outlast one latency, so that these are steady-state ones). */
  sent: Sent[];
}

/**
 * Closed loop: `concurrency` senders, each sending its next request as soon as its last one is answered, for
 * warmupMs + windowMs; throughput is the answers inside the window / its length. Counting a fixed number of
 * requests instead would mix in the start (pipeline filling) and the drain (queue emptying without new work).
 */
export async function closedLoop(client: VideoClient, req: PipelineRequest, o: { concurrency: number; warmupMs: number; windowMs: number }): Promise<Throughput> {
  const t0 = performance.now();
  const from = t0 + o.warmupMs;
  const to = from + o.windowMs;
  const inWindow: Sent[] = [];
  let answeredTotal = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < to) {
        const r = await sendOne(client, req);
        answeredTotal++;
        if (r.doneAt >= from && r.doneAt <= to) inWindow.push(r);
      }
    }),
  );
  const answered = inWindow.length;
  const rpsCount = answered / (o.windowMs / 1000);
  const rate = completionRate(inWindow.map((r) => r.doneAt));
  return {
    concurrency: o.concurrency,
    requests: answered,
    windowMs: o.windowMs,
    answeredTotal,
    rps: rate ? rate.answers / (rate.spanMs / 1000) : rpsCount,
    rpsCount,
    rateAnswers: rate?.answers ?? 0,
    rateSpanMs: rate?.spanMs ?? 0,
    sent: inWindow,
  };
}

/** Several windows seen as one. */
export function mergeBlocks(blocks: Throughput[]): Throughput {
  const requests = blocks.reduce((n, b) => n + b.requests, 0);
  const windowMs = blocks.reduce((n, b) => n + b.windowMs, 0);
  const answeredTotal = blocks.reduce((n, b) => n + b.answeredTotal, 0);
  const rateAnswers = blocks.reduce((n, b) => n + b.rateAnswers, 0);
  const rateSpanMs = blocks.reduce((n, b) => n + b.rateSpanMs, 0);
  const rpsCount = requests / (windowMs / 1000);
  return {
    concurrency: blocks[0]?.concurrency ?? 0,
    requests,
    windowMs,
    answeredTotal,
    rps: rateSpanMs > 0 ? rateAnswers / (rateSpanMs / 1000) : rpsCount,
    rpsCount,
    rateAnswers,
    rateSpanMs,
    sent: blocks.flatMap((b) => b.sent),
  };
}
