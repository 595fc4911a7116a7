// The video op (the seed's VideoOp): request bytes → prepare worker (parse, base64/video decode, preprocess) →
// infer worker (onnxruntime) → softmax/top-k/label on this thread. Admission is bounded (concurrency + queue_size
// requests in the op at once); optional dynamic batching gathers queued inputs into one model run.
import { ServingError, ErrorCode, toServingError } from '../errors.ts';
import { WorkerGroup } from './pool.ts';
import type { InferResult, PrepareResult, WireFormat } from './messages.ts';
import type { RequestMeta } from './request.ts';
import { formatPrediction, predict, type LabelMap, type Prediction } from './postprocess.ts';
import { numel } from '../tensor.ts';
import { formatTimelineAnswer, TimelineCollector, type TimelineProgress } from './timeline.ts';
import type { TimelinePartial } from './timeline-worker.ts';
import type { Timeline } from '../protocol/timeline.ts';

/** The stages of a request in order (every StageTimings key but `total`): log lines, metrics and the bench. */
export const STAGE_NAMES = ['receive', 'parse', 'base64', 'decode', 'preprocess', 'queue', 'infer', 'postprocess'] as const;

export interface StageTimings {
  /** Body/message receipt (HTTP only; measured by the transport). */
  receive?: number;
  parse: number;
  base64: number;
  decode: number;
  preprocess: number;
  /** Waiting for a free inference worker (and for a batch to fill). */
  queue: number;
  infer: number;
  postprocess: number;
  total: number;
}

export interface OpResult {
  meta: RequestMeta;
  key: string[];
  value: string[];
  predictions: Prediction[];
  timings: StageTimings;
  batch: number;
  /** The model's input frames as PNGs, when the request asked for `frames_seen`. */
  framesSeen?: PrepareResult['framesSeen'];
  /** A timeline request's answer (also in `value` as JSON). */
  timeline?: Timeline;
}

export interface VideoOpOptions {
  name: string;
  concurrency: number;
  queueSize: number;
  timeoutMs: number;
  batchSize: number;
  autoBatchingTimeoutMs: number;
  topk: number;
  labels: LabelMap;
  /** Default segment threshold of timelines (config timeline.threshold). */
  timelineThreshold?: number;
}

/**
 * A request's deadline: op.timeout from its start; for a timeline, op.timeout between batches of windows (so the
 * time allowed grows with the video's length); a request's own "timeout_ms" replaces both.
 */
export class Deadline {
  readonly expired: Promise<never>;
  private reject!: (e: Error) => void;
  private timer: NodeJS.Timeout | undefined;
  private own = false;

  constructor(
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly t0: number,
    private readonly cancel: AbortController,
  ) {
    this.expired = new Promise<never>((_, reject) => (this.reject = reject));
    this.expired.catch(() => {});
    if (timeoutMs > 0) this.arm(timeoutMs, `op ${name} did not finish within timeout ${timeoutMs} ms`);
  }

  private arm(ms: number, msg: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reject(new ServingError(ErrorCode.TIMEOUT, msg));
      // Stop what can be stopped: a queued step is dropped, a video decode is killed.
      this.cancel.abort();
    }, Math.max(0, ms));
  }

  /** A batch of windows was inferred. */
  progress(): void {
    if (!this.own && this.timeoutMs > 0) this.arm(this.timeoutMs, `op ${this.name}: no batch of windows finished within timeout ${this.timeoutMs} ms`);
  }

  /** The request's own timeout_ms, counted from its start. */
  requested(ms: number): void {
    this.own = true;
    this.arm(this.t0 + ms - performance.now(), `op ${this.name} did not finish within the request's timeout_ms ${ms}`);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

export interface RunOptions {
  /** The transport already holds a place for this request (see reserve()). */
  reserved?: boolean;
  /** The bytes' ArrayBuffer is the transport's to give away (transferred to the worker, not copied). */
  ownsBuffer?: boolean;
  /** v2-json: length of the JSON before the binary tensor data (Inference-Header-Content-Length). */
  headerLength?: number;
  /** Timelines: after each batch of windows. */
  onProgress?: (p: TimelineProgress) => void;
}

interface InferItem {
  input: Float32Array;
  dims: number[];
  enqueued: number;
  /** The request's cancellation (a timed-out request's input is not run, also when it waits in a worker). */
  signal?: AbortSignal;
  resolve: (r: { scores: Float32Array; dims: number[]; inferMs: number; queueMs: number; batch: number }) => void;
  reject: (e: Error) => void;
}

/** Whether `view` covers its whole ArrayBuffer (byteOffset 0, same length): only then may the buffer be transferred. */
export function fillsItsBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

export class VideoOp {
  private admitted = 0;
  private inferQueue: InferItem[] = [];
  private inferBusy = 0;
  private batchTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly opts: VideoOpOptions,
    private readonly prepare: WorkerGroup,
    readonly infer: WorkerGroup,
  ) {
    // A replaced inference worker must pick up what queued here meanwhile; a failed restart must not leave it waiting.
    infer.onChange = () => this.inferWorkersChanged();
  }

  private inferWorkersChanged(): void {
    const down = this.infer.unavailable;
    if (!down) {
      this.dispatch();
      return;
    }
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    for (const it of this.inferQueue.splice(0)) it.reject(down);
  }

  get capacity(): number {
    return this.opts.concurrency + this.opts.queueSize;
  }

  /** Requests currently inside the op (being prepared, queued or inferred). */
  get inFlight(): number {
    return this.admitted;
  }

  /** Model runs given to the inference workers (running, or next in a worker). */
  get running(): number {
    return this.inferBusy;
  }

  get queued(): number {
    return this.inferQueue.length + this.prepare.load;
  }

  /** Whether a new request would be admitted now (transports check before reading a large body). */
  canAdmit(): ServingError | null {
    if (this.closing) return new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down; not accepting new requests');
    if (this.admitted >= this.capacity) {
      return new ServingError(
        ErrorCode.NO_SERVICE,
        `server busy: ${this.admitted} requests in progress (op.${this.opts.name}.concurrency ${this.opts.concurrency} + queue_size ${this.opts.queueSize}); retry later`,
      );
    }
    return null;
  }

  /**
   * Takes a place for a request whose body is still arriving (HTTP reserves before reading a possibly huge body,
   * so uploads beyond capacity are refused instead of buffered). Pair with run(..., true) or unreserve().
   */
  reserve(): ServingError | null {
    const refused = this.canAdmit();
    if (refused) return refused;
    this.admitted++;
    return null;
  }

  /** Gives back a reservation whose request never reached run() (body too large, client gone). */
  unreserve(): void {
    this.release();
  }

  /** Runs one request given as its wire bytes (JSON body or protobuf message). Rejects with ServingError. */
  async run(raw: Uint8Array, format: WireFormat, opts: RunOptions = {}): Promise<OpResult> {
    const { reserved = false } = opts;
    if (!reserved) {
      const refused = this.reserve();
      if (refused) throw refused;
    }
    const t0 = performance.now();
    const cancel = new AbortController();
    const deadline = new Deadline(this.opts.name, this.opts.timeoutMs, t0, cancel);
    const work = this.process(raw, format, t0, cancel, deadline, opts);
    try {
      return await Promise.race([work, deadline.expired]);
    } finally {
      deadline.clear();
      // A timed-out request still holds its slot until its work ends, so memory stays bounded.
      work.catch(() => {}).finally(() => this.release());
    }
  }

  private release(): void {
    this.admitted--;
    if (this.admitted === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private async process(raw: Uint8Array, format: WireFormat, t0: number, cancel: AbortController, deadline: Deadline, opts: RunOptions): Promise<OpResult> {
    const { ownsBuffer = false, headerLength } = opts;
    const signal = cancel.signal;
    // Transfer the body's ArrayBuffer when it is ours to give (the transport says so, or the body fills a buffer of its
    // own); anything else, e.g. a view into Node's shared Buffer pool or into a larger message buffer, is copied.
    const owned = raw.buffer instanceof ArrayBuffer && (ownsBuffer || fillsItsBuffer(raw));
    const bytes = owned ? raw : new Uint8Array(raw);
    // Timelines: the worker sends batches of windows while it decodes (see timeline.ts).
    let collector: TimelineCollector | undefined;
    const onPartial = (partial: unknown, reply: (m: { kind: 'credit' }) => void): void => {
      const p = partial as TimelinePartial;
      if (p.type === 'start') {
        if (p.timeoutMs !== undefined) deadline.requested(p.timeoutMs);
        if (p.timeline) {
          collector = new TimelineCollector({
            infer: (input, dims) => this.enqueueInfer(input, dims, signal),
            labels: this.opts.labels,
            topk: p.topk ?? this.opts.topk,
            onProgress: (pr) => {
              deadline.progress();
              opts.onProgress?.(pr);
            },
            onFailure: () => cancel.abort(),
          });
        }
        return;
      }
      if (!collector) throw new Error('windows arrived before the timeline started');
      collector.add(p, () => reply({ kind: 'credit' }));
    };
    let prep: PrepareResult;
    try {
      prep = await this.prepare.run<PrepareResult>({ kind: 'prepare', raw: bytes, format, headerLength }, [bytes.buffer as ArrayBuffer], signal, onPartial);
    } catch (e) {
      // A failed model run stops the decoding; its error is the one to report.
      throw collector?.failure ? toServingError(collector.failure, ErrorCode.MODEL_INFERENCE_ERROR) : e;
    }
    if (signal.aborted) throw new ServingError(ErrorCode.TIMEOUT, 'cancelled');
    if (prep.timeline) {
      const params = prep.meta.timeline;
      if (!params || !collector) throw new Error('a timeline answer for a request without "window"');
      const tp = performance.now();
      let timeline: Timeline;
      try {
        timeline = await collector.finish(prep.timeline, params, this.opts.timelineThreshold ?? 0);
      } catch (e) {
        throw toServingError(e, ErrorCode.MODEL_INFERENCE_ERROR);
      }
      const { key, value } = formatTimelineAnswer(timeline);
      const end = performance.now();
      return {
        meta: prep.meta,
        key,
        value,
        predictions: [],
        timeline,
        batch: collector.largestBatch,
        timings: { ...prep.timings, queue: collector.queueMs, infer: collector.inferMs, postprocess: end - tp, total: end - t0 },
      };
    }
    const inf = await this.enqueueInfer(prep.input, prep.dims, signal);
    const tp = performance.now();
    const k = prep.meta.topk ?? this.opts.topk;
    const predictions = predict(inf.scores, inf.dims, this.opts.labels, k);
    const { key, value } = formatPrediction(predictions);
    const end = performance.now();
    return {
      meta: prep.meta,
      key,
      value,
      predictions,
      batch: inf.batch,
      framesSeen: prep.framesSeen,
      timings: {
        ...prep.timings,
        queue: inf.queueMs,
        infer: inf.inferMs,
        postprocess: end - tp,
        total: end - t0,
      },
    };
  }

  /** Runs a prepared input directly (warm-up). */
  async runTensor(input: Float32Array, dims: number[]): Promise<InferResult> {
    const r = await this.enqueueInfer(input, dims);
    return { scores: r.scores, dims: r.dims, inferMs: r.inferMs };
  }

  private enqueueInfer(input: Float32Array, dims: number[], signal?: AbortSignal) {
    return new Promise<{ scores: Float32Array; dims: number[]; inferMs: number; queueMs: number; batch: number }>((resolve, reject) => {
      const down = this.infer.unavailable;
      if (down) {
        reject(down);
        return;
      }
      const item: InferItem = { input, dims, enqueued: performance.now(), signal, resolve, reject };
      this.inferQueue.push(item);
      // A request that timed out while waiting is not run at all.
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.inferQueue.indexOf(item);
          if (i >= 0) {
            this.inferQueue.splice(i, 1);
            reject(new ServingError(ErrorCode.TIMEOUT, 'cancelled before inference'));
          }
        },
        { once: true },
      );
      this.dispatch();
    });
  }

  /**
   * Starts model runs while the workers take them (each holds its next input beside the running one, see pool.ts);
   * with batch_size > 1, waits up to auto_batching_timeout to fill.
   */
  private dispatch(): void {
    while (this.inferQueue.length > 0 && this.inferBusy < this.infer.capacity) {
      const { batchSize, autoBatchingTimeoutMs } = this.opts;
      if (batchSize > 1 && this.inferQueue.length < batchSize && autoBatchingTimeoutMs > 0) {
        const waited = performance.now() - this.inferQueue[0]!.enqueued;
        if (waited < autoBatchingTimeoutMs) {
          if (!this.batchTimer) {
            this.batchTimer = setTimeout(() => {
              this.batchTimer = null;
              this.dispatch();
            }, Math.ceil(autoBatchingTimeoutMs - waited));
          }
          return;
        }
      }
      const first = this.inferQueue[0]!;
      const sameShape = (it: InferItem) => it.dims.length === first.dims.length && it.dims.every((d, i) => i === 0 || d === first.dims[i]);
      const items: InferItem[] = [];
      while (items.length < batchSize && this.inferQueue.length > 0 && sameShape(this.inferQueue[0]!)) items.push(this.inferQueue.shift()!);
      this.runBatch(items);
    }
  }

  private runBatch(items: InferItem[]): void {
    this.inferBusy++;
    const start = performance.now();
    let input: Float32Array;
    let dims: number[];
    if (items.length === 1) {
      input = items[0]!.input;
      dims = items[0]!.dims;
    } else {
      const total = items.reduce((n, it) => n + it.input.length, 0);
      input = new Float32Array(total);
      let off = 0;
      for (const it of items) {
        input.set(it.input, off);
        off += it.input.length;
      }
      dims = [items.reduce((n, it) => n + it.dims[0]!, 0), ...items[0]!.dims.slice(1)];
    }
    this.infer
      .run<InferResult>({ kind: 'infer', input, dims }, [input.buffer as ArrayBuffer], items.length === 1 ? items[0]!.signal : undefined)
      .then((r) => {
        // Split the batch's score rows back to their requests.
        const rowLen = numel(r.dims.slice(1));
        let row = 0;
        for (const it of items) {
          const rows = it.dims[0]!;
          it.resolve({
            scores: r.scores.slice(row * rowLen, (row + rows) * rowLen),
            dims: [rows, ...r.dims.slice(1)],
            inferMs: r.inferMs,
            queueMs: start - it.enqueued,
            batch: items.length,
          });
          row += rows;
        }
      })
      .catch((e: Error) => {
        const err = toServingError(e, ErrorCode.MODEL_INFERENCE_ERROR);
        for (const it of items) it.reject(err);
      })
      .finally(() => {
        this.inferBusy--;
        this.dispatch();
      });
  }

  /** Stops admitting and resolves when every admitted request has finished. */
  drain(): Promise<void> {
    this.closing = true;
    if (this.admitted === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    await Promise.all([this.prepare.close(), this.infer.close()]);
  }
}
