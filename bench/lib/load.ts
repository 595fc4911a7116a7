// Client-side load: one request at a time for latency, or c requests in flight (closed loop) for throughput.
// Requests are built once (decoding/base64 of the input is the client's business, not the server's); each send gets
// its own logid so the server's log line for it can be found.
import { VideoClient, type TransportKind } from '../../src/client/index.ts';
import type { PipelineRequest } from '../../src/protocol/types.ts';

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
  requests: number;
  wallMs: number;
  /** Requests / wall time (includes the first request's full latency and the drain at the end). */
  rpsWall: number;
  /** Steady-state completion rate: (n - 1) / (last answer - first answer). */
  rps: number;
  sent: Sent[];
}

/** Closed loop: `concurrency` senders, each starting its next request when its last one is answered. */
export async function closedLoop(client: VideoClient, req: PipelineRequest, o: { concurrency: number; requests: number }): Promise<Throughput> {
  let left = o.requests;
  const sent: Sent[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (left > 0) {
        left--;
        sent.push(await sendOne(client, req));
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const done = sent.map((s) => s.doneAt).sort((a, b) => a - b);
  const span = done[done.length - 1]! - done[0]!;
  const rpsWall = sent.length / (wallMs / 1000);
  return { concurrency: o.concurrency, requests: sent.length, wallMs, rpsWall, rps: sent.length > 1 && span > 0 ? (sent.length - 1) / (span / 1000) : rpsWall, sent };
}
