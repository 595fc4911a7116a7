// The prepare worker's side of timelines and inputs by reference: "video_path"/"video_url" become an allowed local
// file, and a timeline request streams its windows to the main thread in batches ([B, ...] model inputs) as the
// video decodes. At most IN_FLIGHT batches are out at once: decoding waits for the main thread's credit (a batch
// inferred), so a slow model never lets decoded windows pile up.
import { inputError } from '../errors.ts';
import type { FloatTensor } from '../tensor.ts';
import type { PipelineSpec } from '../video/pipelines.ts';
import { forEachWindow, type WindowSource } from '../video/windows.ts';
import type { SourcePolicy, TimelineConf } from './long-config.ts';
import type { OpInput } from './request.ts';
import { allowedPath, downloadVideoUrl } from './sources.ts';
import type { TimelineParams } from './timeline-request.ts';

/** What prepare workers get from the config. */
export interface LongWorkerInit {
  sources: SourcePolicy;
  timeline: TimelineConf;
}

/** Where a window lies in the source (seconds) and which frames it holds. */
export interface WindowMeta {
  start: number;
  end: number;
  firstFrame: number;
  frames: number;
}

export type TimelinePartial =
  /** Sent first when the request states its own deadline or asks for a timeline. */
  | { type: 'start'; timeoutMs?: number; timeline: boolean; topk?: number }
  /** A batch of windows: `input` is [windows.length, ...]. */
  | { type: 'windows'; windows: WindowMeta[]; input: Float32Array; dims: number[]; decodeMs: number; preprocessMs: number };

export interface TimelineSummary {
  frames: number;
  duration: number;
  windows: number;
}

/** Batches in flight to the main thread before decoding waits. */
const IN_FLIGHT = 2;
/** A batch holds at most this many bytes of model input (PP-TSN's 150 MB windows go one by one). */
const BATCH_BYTES = 64 * 1024 * 1024;

/** Runs `fn` with the request's input as something ffmpeg can read locally: allowed paths as they are, URLs fetched. */
export async function withLocalInput<R>(input: OpInput, policy: SourcePolicy | undefined, signal: AbortSignal, fn: (input: OpInput) => Promise<R>): Promise<R> {
  const none: SourcePolicy = { paths: [], urls: [], maxDownloadBytes: 0 };
  if (input.kind === 'path') return fn({ kind: 'path', path: await allowedPath(input.path, policy ?? none) });
  if (input.kind !== 'url') return fn(input);
  const { file, remove } = await downloadVideoUrl(input.url, policy ?? none, signal);
  try {
    return await fn({ kind: 'path', path: file });
  } finally {
    await remove();
  }
}

export interface StreamWindowsOptions {
  params: TimelineParams;
  conf: TimelineConf;
  signal: AbortSignal;
  /** Posts a partial result (transferring the input's buffer). */
  post: (p: TimelinePartial) => void;
  /** Resolves when the main thread has consumed one more batch (credits given earlier count). */
  credit: () => Promise<void>;
  /** Windows per batch (default from the config and the window's size); streams use 1 for low latency. */
  batch?: number;
  /** Live sources: read timeout. */
  readTimeoutMs?: number;
}

/** Decodes the source once and posts its windows in batches; resolves with the totals. */
export async function streamWindows(spec: PipelineSpec, source: WindowSource, o: StreamWindowsOptions): Promise<TimelineSummary> {
  let outstanding = 0;
  let pending: { metas: WindowMeta[]; tensors: FloatTensor[]; preprocessMs: number } = { metas: [], tensors: [], preprocessMs: 0 };
  let batch = o.batch ?? 0;
  let windows = 0;
  let lastPost = performance.now();
  const flush = async (): Promise<void> => {
    if (!pending.tensors.length) return;
    const per = pending.tensors[0]!.data.length;
    const input = new Float32Array(per * pending.tensors.length);
    pending.tensors.forEach((t, i) => input.set(t.data, i * per));
    const dims = [pending.tensors.length, ...pending.tensors[0]!.dims];
    const now = performance.now();
    const msg: TimelinePartial = { type: 'windows', windows: pending.metas, input, dims, decodeMs: now - lastPost - pending.preprocessMs, preprocessMs: pending.preprocessMs };
    pending = { metas: [], tensors: [], preprocessMs: 0 };
    while (outstanding >= IN_FLIGHT) {
      await o.credit();
      outstanding--;
    }
    outstanding++;
    o.post(msg);
    lastPost = performance.now();
  };
  const run = await forEachWindow(spec, source, {
    window: o.params.window,
    stride: o.params.stride,
    signal: o.signal,
    readTimeoutMs: o.readTimeoutMs,
    onWindow: async (w) => {
      if (++windows > o.conf.maxWindows) throw inputError(`the timeline has more than ${o.conf.maxWindows} windows (timeline.max_windows); use a longer "stride"`);
      const tensor = w.tensor as FloatTensor;
      if (!batch) batch = Math.max(1, Math.min(o.conf.batch, Math.floor(BATCH_BYTES / tensor.data.byteLength)));
      pending.metas.push({ start: w.start, end: w.end, firstFrame: w.firstFrame, frames: w.frames });
      pending.tensors.push(tensor);
      pending.preprocessMs += w.preprocessMs;
      if (pending.tensors.length >= batch) await flush();
    },
  });
  await flush();
  // Every batch must be consumed before the task's final reply.
  while (outstanding > 0) {
    await o.credit();
    outstanding--;
  }
  return { frames: run.frames, duration: run.duration, windows: run.windows };
}
