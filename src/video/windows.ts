// Timelines: the recognizer's own sampling run inside each window of a long video or a live source.
//
// ffmpeg decodes the source once, sequentially, into a pipe of raw RGB frames; `settb=AVTB,showinfo` reports each
// frame's presentation time in microseconds on stderr, so windows follow the source's timestamps (variable frame
// rates included), not an assumed fps. Window k covers [k*stride, k*stride + window): its frames are those whose
// time falls inside, and the pipeline's Sampler picks from them exactly as it would from a clip holding only those
// frames (PP-TSM: 8 segments of the window; PP-TSN: 25 frames, ten-cropped). Only the frames of windows still open
// are kept (about window x fps frames), and decoding waits while the consumer is busy with a window, so memory is
// bounded by the window length and resolution, never by the length of the source.
import { inputError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { describe, inputFailure, parseReport, rgbOutputSize, truncation, withInputFile, type VideoInput } from './decode.ts';
import { cleanLogLine, rtspReadTimeoutOption, spawnFfmpeg, StderrLog, stderrTail, waitForExit } from './ffmpeg.ts';
import { FfmpegInterruptedError, interruption } from './interrupted.ts';
import { pipelineSampler, runAfterSampler, type PipelineSpec } from './pipelines.ts';
import { DEFAULT_ORIENTATION, rotateRgb, type Orientation } from './rotate.ts';
import { samplerIndices } from './sampler.ts';
import type { RgbImage } from './transforms/image.ts';

export interface WindowGrid {
  /** Window length in seconds (> 0). */
  window: number;
  /** Seconds between window starts (> 0). */
  stride: number;
}

/** One closed window: where it lies, which frames the Sampler took, and the model input made from them. */
export interface WindowSamples {
  /** k: the window starts at k * stride seconds. */
  index: number;
  /** Seconds from the first frame. `end` is start + window, or the end of the source for a last, shorter window. */
  start: number;
  end: number;
  /** Source frame number (0 = first decoded frame) of the window's first frame, and how many frames it holds. */
  firstFrame: number;
  frames: number;
  /** Source frame numbers the Sampler picked, in pick order. */
  picked: number[];
  /** The network input for this window without a batch axis, e.g. [8, 3, 224, 224] for PP-TSM. */
  tensor: Tensor<Float32Array | Uint8Array>;
  /** Time spent on this window's transforms (the rest of the wall time is decoding). */
  preprocessMs: number;
}

/** A URL ffmpeg reads itself (streams): `protocols` is its -protocol_whitelist; `live` sources get a read timeout. */
export interface UrlSource {
  url: string;
  protocols: readonly string[];
  live?: boolean;
  /** The protocol's read-timeout option in microseconds (default: rtsp's in this ffmpeg for rtsp://, else -rw_timeout). */
  timeoutOption?: string;
}

/** A file path, the bytes of a file, or a URL. */
export type WindowSource = VideoInput | UrlSource;

export interface WindowOptions extends WindowGrid {
  signal?: AbortSignal;
  orientation?: Orientation;
  /** 'uint8': the crops before Normalization (checks, tests). */
  stage?: 'float32' | 'uint8';
  /** Gets each window as soon as it closes; decoding waits while a returned promise is pending. */
  onWindow: (w: WindowSamples) => void | Promise<void>;
  /** Live sources: ffmpeg gives up when no data arrives for this long (default 10 s), so a dead source is noticed. */
  readTimeoutMs?: number;
}

export interface WindowRun {
  /** Windows handed to onWindow. */
  windows: number;
  /** Frames decoded, and the source's length in seconds (last frame's time + its duration). */
  frames: number;
  duration: number;
  width: number;
  height: number;
}

/** Checks a window grid; the messages name the request keys. */
export function checkWindowGrid(g: WindowGrid): WindowGrid {
  if (!(Number.isFinite(g.window) && g.window > 0)) throw inputError(`"window" must be a positive number of seconds, got ${g.window}`);
  if (!(Number.isFinite(g.stride) && g.stride > 0)) throw inputError(`"stride" must be a positive number of seconds, got ${g.stride}`);
  if (g.window > 3600 || g.stride > 3600) throw inputError('"window" and "stride" must be at most 3600 seconds');
  return g;
}

const US = 1_000_000;
const SHOWINFO = /Parsed_showinfo_\d+ @ [^\]]*\] n:\s*\d+ pts:\s*(-?\d+|NOPTS)/;

function isUrlSource(s: WindowSource): s is UrlSource {
  return typeof s === 'object' && !(s instanceof Uint8Array) && 'url' in s;
}

/** Frame times as ffmpeg reports them, waited for by frame number (stderr and stdout are separate pipes). */
class FrameClock {
  private times: Array<number | null> = [];
  private base = 0;
  private waiter: (() => void) | null = null;
  private ended = false;
  private partial = '';

  push(text: string): void {
    this.partial += text;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      const m = SHOWINFO.exec(line);
      if (m) this.times.push(m[1] === 'NOPTS' ? null : Number(m[1]));
    }
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The time (µs, as reported; null = no timestamp) of frame `n`, in order n = 0, 1, 2, ... */
  async next(n: number): Promise<number | null> {
    while (n - this.base >= this.times.length) {
      if (this.ended) throw new Error(`ffmpeg reported no timestamp for frame ${n}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const t = this.times[n - this.base]!;
    // Times are consumed in order; drop the ones behind us now and then.
    if (n - this.base > 4096) {
      this.times = this.times.slice(n - this.base);
      this.base = n;
    }
    return t;
  }
}

interface OpenWindow {
  k: number;
  first: number;
}

interface Kept {
  n: number;
  data: Uint8Array;
}

/**
 * Decodes `source` once and calls `onWindow` with every window of the grid, in order. Windows start every `stride`
 * seconds from the first frame; a window holding no frame (a gap in the source) is skipped; at the end, a last
 * window cut short by the end of the source is kept when it spans at least half a window (the first window always
 * is), and dropped when the Sampler cannot sample it (PP-TSN needs more than 25 frames) unless it is the only one.
 */
export async function forEachWindow(spec: PipelineSpec, source: WindowSource, opts: WindowOptions): Promise<WindowRun> {
  checkWindowGrid(opts);
  pipelineSampler(spec);
  if (isUrlSource(source)) return windowsOf(spec, source.url, `source ${redactUrl(source.url)}`, opts, await urlArgs(source, opts));
  return withInputFile(source, (path) => windowsOf(spec, path, describe(source), opts, []));
}

/** Input options for a URL: only the protocols it needs, and a read timeout so a dead source ends the run. */
async function urlArgs(s: UrlSource, opts: WindowOptions): Promise<string[]> {
  const args = ['-protocol_whitelist', s.protocols.join(',')];
  if (!s.live) return args;
  const timeout = s.timeoutOption ?? (s.url.startsWith('rtsp:') ? await rtspReadTimeoutOption() : '-rw_timeout');
  // A live source: probe about 1 s of it, not ffmpeg's default 5 s, before the first frame.
  args.push(timeout, String(Math.round((opts.readTimeoutMs ?? 10_000) * 1000)), '-analyzeduration', '1000000');
  return args;
}

/** user:password@ never reaches logs or answers. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}

async function windowsOf(spec: PipelineSpec, input: string, what: string, opts: WindowOptions, inputArgs: string[]): Promise<WindowRun> {
  const sampler = pipelineSampler(spec);
  const windowUs = Math.round(opts.window * US);
  const strideUs = Math.round(opts.stride * US);
  const startOf = (k: number) => k * strideUs;
  const endOf = (k: number) => k * strideUs + windowUs;

  const args = [
    '-max_error_rate', '1', ...inputArgs, '-noautorotate', '-i', input,
    '-map', '0:V:0', '-vf', 'settb=AVTB,showinfo', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  const child = spawnFfmpeg(args, { signal: opts.signal });
  const log = new StderrLog();
  const exited = waitForExit(child, log);
  exited.catch(() => {});
  const clock = new FrameClock();
  child.stderr.on('data', (c: string) => clock.push(c));
  child.stderr.once('end', () => clock.end());

  // The rgb24 output's size (and the rotation metadata) are reported before any frame is written.
  let width = 0;
  let height = 0;
  let rotation = 0;
  const header = (): boolean => {
    const size = rgbOutputSize(log.start);
    if (!size) return false;
    rotation = parseReport(log.start, what, opts.orientation ?? DEFAULT_ORIENTATION).rotation;
    ({ width, height } = size);
    return true;
  };
  const quarter = () => rotation === 90 || rotation === 270;
  const outW = () => (quarter() ? height : width);
  const outH = () => (quarter() ? width : height);

  // Frame buffers are reused once no open window needs them.
  const free: Uint8Array[] = [];
  const take = (): Uint8Array => free.pop() ?? new Uint8Array(width * height * 3);
  const kept: Kept[] = [];
  const frameAt = (n: number): Uint8Array => {
    const f = kept[n - kept[0]!.n];
    if (!f || f.n !== n) throw new Error(`window frame ${n} is no longer kept`);
    return f.data;
  };

  const open: OpenWindow[] = [];
  let nextK = 0;
  let emitted = 0;
  let decoded = 0;
  let firstUs: number | undefined;
  let lastUs = 0;
  let lastStep = 0;

  const emit = async (w: OpenWindow, endFrame: number, endUs: number): Promise<void> => {
    const count = endFrame - w.first;
    let picked: number[];
    try {
      picked = samplerIndices(sampler, count).map((i) => w.first + i);
    } catch (e) {
      const msg = (e as Error).message;
      throw inputError(`window ${startOf(w.k) / US}-${endUs / US} s of ${what} holds ${count} frames, too few for this model: ${msg}; ask for a longer "window"`);
    }
    const imgs: RgbImage[] = picked.map((n) => ({ data: frameAt(n), width: outW(), height: outH() }));
    const t0 = performance.now();
    const tensor = runAfterSampler(spec, imgs, { stage: opts.stage });
    const preprocessMs = performance.now() - t0;
    emitted++;
    await opts.onWindow({ index: w.k, start: startOf(w.k) / US, end: endUs / US, firstFrame: w.first, frames: count, picked, tensor, preprocessMs });
  };

  const release = (below: number): void => {
    while (kept.length && kept[0]!.n < below) free.push(kept.shift()!.data);
  };

  const onFrame = async (raw: Uint8Array): Promise<void> => {
    const n = decoded++;
    const reported = await clock.next(n);
    // Times relative to the first frame, never going backwards (a NOPTS frame follows the previous one).
    let t = reported === null || firstUs === undefined ? (n === 0 ? 0 : lastUs + lastStep) : reported - firstUs;
    if (n === 0) firstUs = reported ?? 0;
    if (t < lastUs) t = lastUs;
    if (n > 0) lastStep = t - lastUs || lastStep;
    lastUs = t;

    // Windows ending at or before this frame are complete (a frame at the nominal end belongs to the next one).
    while (open.length && endOf(open[0]!.k) <= t) {
      const w = open.shift()!;
      await emit(w, n, endOf(w.k));
    }
    release(open.length ? open[0]!.first : n);
    let data = raw;
    if (rotation) {
      data = take();
      rotateRgb(raw, width, height, rotation, data);
      free.push(raw);
    }
    kept.push({ n, data });
    for (; startOf(nextK) <= t; nextK++) if (endOf(nextK) > t) open.push({ k: nextK, first: n });
    if (!open.length) release(n + 1);
  };
  let current: Uint8Array | undefined;
  let filled = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      if (!width) {
        while (!header()) {
          if (child.stderr.readableEnded) throw new Error(`ffmpeg did not report the decoded frame size for ${what}`);
          await new Promise<void>((resolve) => {
            child.stderr.once('data', () => resolve());
            child.stderr.once('end', () => resolve());
          });
        }
      }
      const frameBytes = width * height * 3;
      let off = 0;
      while (off < chunk.length) {
        current ??= take();
        const n = Math.min(frameBytes - filled, chunk.length - off);
        current.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          filled = 0;
          const f = current;
          current = undefined;
          await onFrame(f);
        }
      }
    }
  } catch (e) {
    child.kill('SIGKILL');
    opts.signal?.throwIfAborted();
    throw e;
  }
  const run = await exited;
  opts.signal?.throwIfAborted();
  const stderr = run.stderr;
  if (run.code !== 0) {
    const stopped = interruption(run);
    if (stopped) throw new FfmpegInterruptedError(`${stopped} while decoding ${what}`);
    if (decoded === 0 && !truncation(stderr) && /Error while decoding|Conversion failed/.test(stderr))
      throw inputError(`${what} has no decodable video frames (ffmpeg: ${stderrTail(stderr, 3)})`);
    // A live source that drops after delivering frames ends the run like the end of a file; the caller reconnects.
    if (decoded === 0 || !isLiveEnd(stderr)) throw inputFailure(what, stderr);
  }
  if (filled !== 0 && run.code === 0) throw new Error(`ffmpeg output for ${what} ended inside a frame`);
  const cut = truncation(stderr);
  if (cut) throw inputError(`${what} is truncated or corrupt (ffmpeg: ${cleanLogLine(cut)})`);
  if (decoded === 0) throw inputError(`${what} has no decodable video frames`);

  // The end of the source: the last frame's time plus its duration (the step before it).
  const endUs = lastUs + (lastStep || Math.round(US / 25));
  const only = emitted === 0 && open.length === 1;
  for (const w of open.splice(0)) {
    const span = endUs - startOf(w.k);
    if (w.k !== 0 && span * 2 < windowUs) continue;
    // A short last window the Sampler cannot sample is dropped (unless it is all there is).
    if (!only && !sampleable(sampler, decoded - w.first)) continue;
    await emit(w, decoded, Math.min(endUs, endOf(w.k)));
  }
  return { windows: emitted, frames: decoded, duration: endUs / US, width: outW(), height: outH() };
}

function sampleable(sampler: ReturnType<typeof pipelineSampler>, count: number): boolean {
  try {
    samplerIndices(sampler, count);
    return true;
  } catch {
    return false;
  }
}

/** ffmpeg's ways of saying a network source stopped (as opposed to a file it cannot read). */
function isLiveEnd(stderr: string): boolean {
  return /Connection (timed out|reset|refused)|End of file|Input\/output error|timed out|Broken pipe|Server returned 5\d\d/i.test(stderr);
}
