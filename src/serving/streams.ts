// Live streams: an rtsp/rtmp/http(s)/udp source read by ffmpeg in a stream worker, classified window by window for
// as long as it runs. Results go to server-sent-event subscribers and into a bounded ring clients can poll; a source
// that drops is reconnected with exponential backoff. Off unless the config says `streams: {enabled: true}`, and
// only sources under the allow-list's sources.urls.
//
//   GET    /streams               the sessions
//   POST   /streams               {"source": "...", "window": 2.5, "stride": 1, "topk": 3, "threshold": 0.5} -> 201
//   GET    /streams/{id}          state, counters, segments and the ring's events (?after=SEQ for the newer ones)
//   GET    /streams/{id}/events   text/event-stream: the ring's events (after Last-Event-ID), then each new one
//   DELETE /streams/{id}          stops it
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, ServingError, toServingError } from '../errors.ts';
import { segmentWindows, type TimelineSegment, type TopkEntry } from '../protocol/timeline.ts';
import { checkWindowGrid, redactUrl, type UrlSource } from '../video/windows.ts';
import type { LongConf, SourcePolicy, StreamsConf } from './long-config.ts';
import type { VideoOp } from './op.ts';
import { WorkerGroup } from './pool.ts';
import type { PipelineRef } from './preprocess.ts';
import { predict } from './postprocess.ts';
import { streamSource } from './sources.ts';
import type { TimelinePartial } from './timeline-worker.ts';

export type StreamState = 'connecting' | 'running' | 'reconnecting' | 'stopped';

export type StreamEvent =
  | { seq: number; type: 'window'; at: string; connection: number; start: number; end: number; label: string; prob: number; topk: TopkEntry[] }
  | { seq: number; type: 'status'; at: string; connection: number; state: StreamState; message?: string };

export interface StreamSpec {
  source: string;
  window: number;
  stride: number;
  topk?: number;
  threshold?: number;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const isoNow = () => new Date().toISOString();

class StreamSession {
  state: StreamState = 'connecting';
  connections = 0;
  windows = 0;
  /** Windows decoded while the model was still busy with an earlier one (a live source is never made to wait). */
  dropped = 0;
  readonly created = isoNow();
  private ring: StreamEvent[] = [];
  private seq = 0;
  private subscribers = new Set<(e: StreamEvent) => void>();
  private task: AbortController | null = null;
  private sleep: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private inferring = false;
  private stopping = false;
  readonly done: Promise<void>;

  constructor(
    readonly id: string,
    readonly spec: StreamSpec & { threshold: number; topk: number },
    private readonly source: UrlSource,
    private readonly m: { group: WorkerGroup; op: VideoOp; conf: StreamsConf; logger: Logger },
  ) {
    this.done = this.loop();
  }

  private emit(e: DistributiveOmit<StreamEvent, 'seq' | 'at'>): void {
    const ev = { ...e, seq: ++this.seq, at: isoNow() } as StreamEvent;
    this.ring.push(ev);
    if (this.ring.length > this.m.conf.ring) this.ring.splice(0, this.ring.length - this.m.conf.ring);
    for (const s of this.subscribers) s(ev);
  }

  private setState(state: StreamState, message?: string): void {
    this.state = state;
    this.emit({ type: 'status', connection: this.connections, state, ...(message ? { message } : {}) });
    this.m.logger[state === 'reconnecting' ? 'warn' : 'info'](
      { stream: this.id, state, connection: this.connections },
      `stream ${this.id} (${redactUrl(this.spec.source)}) ${state}${message ? `: ${message}` : ''}`,
    );
  }

  private async loop(): Promise<void> {
    let backoff = this.m.conf.reconnectMinMs;
    while (!this.stopping) {
      this.connections++;
      this.setState('connecting');
      const ac = new AbortController();
      this.task = ac;
      let got = 0;
      let why = 'the source ended';
      try {
        await this.m.group.run(
          { kind: 'stream', source: this.source, window: this.spec.window, stride: this.spec.stride, readTimeoutMs: this.m.conf.readTimeoutMs },
          [],
          ac.signal,
          (partial, reply) => {
            const p = partial as TimelinePartial;
            if (p.type !== 'windows') return;
            if (got++ === 0) {
              this.setState('running');
              backoff = this.m.conf.reconnectMinMs;
            }
            this.onWindows(p, () => reply({ kind: 'credit' }));
          },
        );
      } catch (e) {
        why = toServingError(e, ErrorCode.UNKNOWN).message;
      }
      this.task = null;
      if (this.stopping) break;
      this.setState('reconnecting', `${why}; next attempt in ${backoff} ms`);
      await new Promise<void>((resolve) => {
        this.sleep = { timer: setTimeout(resolve, backoff), wake: resolve };
      });
      this.sleep = null;
      backoff = Math.min(backoff * 2, this.m.conf.reconnectMaxMs);
    }
    this.setState('stopped');
    for (const s of this.subscribers) s({ seq: 0, type: 'status', at: isoNow(), connection: this.connections, state: 'stopped' });
    this.subscribers.clear();
  }

  /** One window (streams run with batches of one) through the op's model queue. */
  private onWindows(p: Extract<TimelinePartial, { type: 'windows' }>, credit: () => void): void {
    if (this.inferring) {
      // The model is behind the source: skip this window rather than stall ffmpeg (a live source does not wait).
      this.dropped += p.windows.length;
      credit();
      return;
    }
    this.inferring = true;
    const connection = this.connections;
    credit();
    this.m.op
      .runTensor(p.input, p.dims)
      .then((r) => {
        const preds = predict(r.scores, r.dims, this.m.op.opts.labels, this.spec.topk);
        p.windows.forEach((w, i) => {
          const pred = preds[i]!;
          this.windows++;
          this.emit({
            type: 'window',
            connection,
            start: w.start,
            end: w.end,
            label: pred.labels[0]!,
            prob: pred.probs[0]!,
            topk: pred.labels.map((label, j) => ({ label, prob: pred.probs[j]! })),
          });
        });
      })
      .catch((e: Error) => this.m.logger.error({ stream: this.id, err: e.message }, `stream ${this.id}: inference failed: ${e.message}`))
      .finally(() => (this.inferring = false));
  }

  /** Events newer than `after`. */
  events(after = 0): StreamEvent[] {
    return this.ring.filter((e) => e.seq > after);
  }

  /** Segments over the ring's windows of the latest connection (times restart with each connection). */
  segments(): TimelineSegment[] {
    const ws = this.ring.filter((e): e is Extract<StreamEvent, { type: 'window' }> => e.type === 'window' && e.connection === this.connections);
    return segmentWindows(ws, this.spec.stride, this.spec.threshold);
  }

  subscribe(fn: (e: StreamEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  summary(): Record<string, unknown> {
    const { source, ...rest } = this.spec;
    return { id: this.id, source: redactUrl(source), ...rest, state: this.state, created: this.created, connections: this.connections, windows: this.windows, dropped: this.dropped, last_seq: this.seq };
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.task?.abort();
    if (this.sleep) {
      clearTimeout(this.sleep.timer);
      this.sleep.wake();
    }
    return this.done;
  }
}

/** The server's stream sessions. */
export class StreamManager {
  private sessions = new Map<string, StreamSession>();
  private next = 1;

  constructor(
    private readonly group: WorkerGroup,
    private readonly op: VideoOp,
    private readonly conf: LongConf,
    private readonly logger: Logger,
  ) {}

  list(): Record<string, unknown>[] {
    return [...this.sessions.values()].map((s) => s.summary());
  }

  get(id: string): StreamSession | undefined {
    return this.sessions.get(id);
  }

  start(body: unknown): StreamSession {
    const spec = readSpec(body);
    const source = streamSource(spec.source, this.conf.sources as SourcePolicy);
    const running = [...this.sessions.values()].filter((s) => s.state !== 'stopped').length;
    if (running >= this.conf.streams.maxStreams)
      throw new ServingError(ErrorCode.NO_SERVICE, `${running} streams are running, the most this server runs (streams.max_streams); stop one first`);
    const id = `s${this.next++}`;
    const s = new StreamSession(id, { ...spec, topk: spec.topk ?? this.op.opts.topk, threshold: spec.threshold ?? this.conf.timeline.threshold }, source, {
      group: this.group,
      op: this.op,
      conf: this.conf.streams,
      logger: this.logger,
    });
    this.sessions.set(id, s);
    return s;
  }

  async stop(id: string): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s) return false;
    await s.stop();
    this.sessions.delete(id);
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.stop(id)));
    await this.group.close();
  }
}

function readSpec(body: unknown): StreamSpec {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, 'expected a JSON object {"source": "...", "window": seconds, "stride": seconds}');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!['source', 'window', 'stride', 'topk', 'threshold'].includes(k)) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, `unknown field "${k}" (source, window, stride, topk, threshold)`);
  const num = (k: string): number | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, `"${k}" must be a number`);
    return n;
  };
  if (typeof b.source !== 'string' || !b.source) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, '"source" must be a URL (rtsp://, rtmp://, http(s)://, udp://)');
  const window = num('window');
  if (window === undefined) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, '"window" (seconds) is required');
  const grid = checkWindowGrid({ window, stride: num('stride') ?? window });
  const topk = num('topk');
  if (topk !== undefined && (!Number.isInteger(topk) || topk < 1)) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, '"topk" must be a positive integer');
  const threshold = num('threshold');
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, '"threshold" must be in 0..1');
  return { source: b.source, ...grid, ...(topk !== undefined ? { topk } : {}), ...(threshold !== undefined ? { threshold } : {}) };
}

function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  const err = toServingError(e, ErrorCode.UNKNOWN);
  const status = err.code === ErrorCode.INPUT_PARAMS_ERROR ? 400 : err.code === ErrorCode.NO_SERVICE ? 503 : err.code === ErrorCode.NOT_IMPLEMENTED ? 404 : 500;
  return reply.code(status).type('application/json').send({ err_no: err.code, err_msg: err.message });
}

const KEEPALIVE_MS = 15_000;

/** The /streams routes; without a manager (streams off) they answer that streams are disabled. */
export function registerStreamRoutes(app: FastifyInstance, manager: StreamManager | undefined): void {
  const off = new ServingError(ErrorCode.NOT_IMPLEMENTED, 'streams are disabled on this server (config streams.enabled: true turns them on)');
  const session = (id: string) => {
    if (!manager) throw off;
    const s = manager.get(id);
    if (!s) throw new ServingError(ErrorCode.NOT_IMPLEMENTED, `no stream ${id}`);
    return s;
  };
  app.get('/streams', async (_req, reply) => (manager ? reply.send({ streams: manager.list() }) : sendError(reply, off)));
  app.post('/streams', async (req, reply) => {
    try {
      if (!manager) throw off;
      const raw = req.body instanceof Uint8Array ? Buffer.from(req.body).toString('utf8') : '';
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new ServingError(ErrorCode.INPUT_PARAMS_ERROR, 'request body is not JSON');
      }
      const s = manager.start(body);
      return reply.code(201).header('location', `/streams/${s.id}`).send(s.summary());
    } catch (e) {
      return sendError(reply, e);
    }
  });
  app.get<{ Params: { id: string }; Querystring: { after?: string } }>('/streams/:id', async (req, reply) => {
    try {
      const s = session(req.params.id);
      return reply.send({ ...s.summary(), segments: s.segments(), events: s.events(Number(req.query.after) || 0) });
    } catch (e) {
      return sendError(reply, e);
    }
  });
  app.delete<{ Params: { id: string } }>('/streams/:id', async (req, reply) => {
    try {
      session(req.params.id);
      await manager!.stop(req.params.id);
      return reply.send({ id: req.params.id, state: 'stopped' });
    } catch (e) {
      return sendError(reply, e);
    }
  });
  app.get<{ Params: { id: string }; Querystring: { after?: string } }>('/streams/:id/events', async (req, reply) => {
    let s: StreamSession;
    try {
      s = session(req.params.id);
    } catch (e) {
      return sendError(reply, e);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (e: StreamEvent): void => {
      if (e.seq) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      if (e.type === 'status' && e.state === 'stopped') res.end();
    };
    res.write('retry: 2000\n\n');
    const after = Number(req.headers['last-event-id'] ?? req.query.after) || 0;
    for (const e of s.events(after)) write(e);
    if (s.state === 'stopped') return res.end();
    const unsubscribe = s.subscribe(write);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  });
}

/** Starts the stream workers when the config turns streams on (one per stream that may run); else undefined. */
export async function startStreams(conf: LongConf, o: { pipeline: PipelineRef; op: VideoOp; logger: Logger }): Promise<StreamManager | undefined> {
  if (!conf.streams.enabled) return undefined;
  const { group } = await WorkerGroup.start('stream', conf.streams.maxStreams, { role: 'prepare', pipeline: o.pipeline, long: { sources: conf.sources, timeline: conf.timeline } });
  o.logger.info(`streams on: up to ${conf.streams.maxStreams} at once, sources under ${conf.sources.urls.length} allowed URL prefixes`);
  return new StreamManager(group, o.op, conf, o.logger);
}
