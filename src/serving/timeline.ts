// The main thread's side of a timeline: each batch of windows a prepare worker sends is inferred through the op's
// queue (so it shares the model workers and dynamic batching with ordinary requests), its rows become window
// predictions, and the worker gets a credit to decode on. At the end the windows are ordered, smoothed into
// segments and answered as one JSON value.
import { segmentWindows, round, TIMELINE_ANSWER_KEY, type Timeline, type TimelineWindow } from '../protocol/timeline.ts';
import { predict, type LabelMap, type Prediction } from './postprocess.ts';
import type { TimelineParams } from './timeline-request.ts';
import type { TimelinePartial, TimelineSummary, WindowMeta } from './timeline-worker.ts';

export interface Inferred {
  scores: Float32Array;
  dims: number[];
  inferMs: number;
  queueMs: number;
  batch: number;
}

export interface TimelineProgress {
  windows: number;
  /** Seconds of video covered so far (end of the last window inferred). */
  seconds: number;
  elapsedMs: number;
}

export interface CollectorOptions {
  infer: (input: Float32Array, dims: number[]) => Promise<Inferred>;
  labels: LabelMap;
  topk: number;
  /** Called after each inferred batch. */
  onProgress?: (p: TimelineProgress) => void;
  /** Inference failed: stop the decoding. */
  onFailure: (e: Error) => void;
}

export class TimelineCollector {
  private rows: Array<{ meta: WindowMeta; pred: Prediction }> = [];
  private inflight = new Set<Promise<void>>();
  private readonly t0 = performance.now();
  failure: Error | undefined;
  inferMs = 0;
  queueMs = 0;
  largestBatch = 0;
  seconds = 0;

  constructor(private readonly o: CollectorOptions) {}

  get windows(): number {
    return this.rows.length;
  }

  /** Infers a batch of windows; `consumed` gives the worker its credit once the rows are in. */
  add(p: Extract<TimelinePartial, { type: 'windows' }>, consumed: () => void): void {
    const job = this.o.infer(p.input, p.dims).then(
      (r) => {
        const preds = predict(r.scores, r.dims, this.o.labels, this.o.topk);
        if (preds.length !== p.windows.length) throw new Error(`the model answered ${preds.length} rows for ${p.windows.length} windows`);
        p.windows.forEach((meta, i) => this.rows.push({ meta, pred: preds[i]! }));
        this.inferMs += r.inferMs;
        this.queueMs += r.queueMs;
        this.largestBatch = Math.max(this.largestBatch, r.batch);
        this.seconds = Math.max(this.seconds, ...p.windows.map((w) => w.end));
        consumed();
        this.o.onProgress?.({ windows: this.rows.length, seconds: this.seconds, elapsedMs: performance.now() - this.t0 });
      },
      (e: Error) => {
        this.failure ??= e;
        this.o.onFailure(e);
      },
    );
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
  }

  /** Waits for every batch and builds the answer. */
  async finish(summary: TimelineSummary, params: TimelineParams, defaultThreshold: number): Promise<Timeline> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
    const windows: TimelineWindow[] = this.rows
      .sort((a, b) => a.meta.start - b.meta.start)
      .map(({ meta, pred }) => ({
        start: round(meta.start),
        end: round(meta.end),
        label: pred.labels[0]!,
        prob: pred.probs[0]!,
        topk: pred.labels.map((label, i) => ({ label, prob: pred.probs[i]! })),
      }));
    const threshold = params.threshold ?? defaultThreshold;
    return {
      window: params.window,
      stride: params.stride,
      threshold,
      frames: summary.frames,
      duration: round(summary.duration),
      windows,
      segments: segmentWindows(windows, params.stride, threshold),
    };
  }
}

/** The Paddle Serving answer of a timeline: key ["timeline"], the JSON as its value. */
export function formatTimelineAnswer(t: Timeline): { key: string[]; value: string[] } {
  return { key: [TIMELINE_ANSWER_KEY], value: [JSON.stringify(t)] };
}
