// Video decoding to RGB24 frames with ffmpeg, matching what the seed's client gets from cv2.VideoCapture:
// `int(cap.get(CAP_PROP_FRAME_COUNT))` read attempts, failed reads skipped, BGR->RGB. ffmpeg's default rgb24
// conversion is byte-identical to cv2's BGR24 one (same swscale path), so no scaler flags are set here.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputError } from '../errors.ts';
import { containerFrameCount } from './container.ts';
import { cleanLogLine, runFfmpeg, spawnFfmpeg, StderrLog, stderrTail, waitForExit } from './ffmpeg.ts';
import { FfmpegInterruptedError, interruption } from './interrupted.ts';
import { appliedRotation, DEFAULT_ORIENTATION, rotateRgb, type Orientation } from './rotate.ts';
import { seekFrames, SeekUnverified } from './seek.ts';

/** RGB uint8 frames, C order [T,H,W,3]. */
export interface Frames {
  data: Uint8Array;
  T: number;
  H: number;
  W: number;
}

export interface VideoInfo {
  /** Frame count as cv2's CAP_PROP_FRAME_COUNT reports it (the number of reads the seed's client attempts). */
  frames: number;
  /** Frame size after rotation metadata is applied (what decoded frames have). */
  width: number;
  height: number;
  fps: number;
  /** Clockwise turn in degrees (0, 90, 180, 270) that decoding applies to honour rotation metadata (see rotate.ts). */
  rotation: number;
  codec: string;
}

/** Everything parsed from ffmpeg's report of the input, plus the packet count of the video stream. */
interface ProbeReport extends VideoInfo {
  format: string;
  packets: number;
  durationSec: number | undefined;
}

export type VideoInput = string | Uint8Array;

export interface DecodeOptions {
  /** Aborting kills the ffmpeg process and rejects with the signal's AbortError. */
  signal?: AbortSignal;
  /** How rotation metadata turns the frames (default 'display'; see rotate.ts for the OpenCV versions). */
  orientation?: Orientation;
  /**
   * Sampled decoding may decode only the packets the sampled frames need (seek.ts; default true). The frames are the
   * same either way; false always decodes every frame.
   */
  seek?: boolean;
  /**
   * How many ffmpeg processes may decode a seeking plan's IDR groups at once (seek.ts; default: 2 while the cores are
   * free, else 1, see defaultSeekRuns). With 2, a plan whose groups split into two similar halves runs as two
   * single-threaded decodes instead of one frame-threaded one.
   */
  seekRuns?: number;
  /** Told which way sampled frames were decoded: 'seek' (packets fed of the video's frames, ffmpeg runs) or 'full'. */
  onDecodePath?: (path: { mode: 'seek'; packets: number; frames: number; runs: number } | { mode: 'full'; reason: string }) => void;
}

export function describe(input: VideoInput): string {
  return typeof input === 'string' ? `'${input}'` : `uploaded video (${input.byteLength} bytes)`;
}

/**
 * Gives ffmpeg a seekable file for the input: paths as they are, bytes in a private temp file (removed afterwards).
 * Compressed containers such as mp4 with the moov atom at the end cannot be demuxed from a pipe.
 */
export async function withInputFile<R>(input: VideoInput, fn: (path: string) => Promise<R>): Promise<R> {
  // The file: protocol keeps ffmpeg from reading a path as an option ("-x.mp4") or another protocol ("http:...").
  if (typeof input === 'string') return fn(`file:${input}`);
  if (input.byteLength === 0) throw inputError('video is empty (0 bytes)');
  const dir = await mkdtemp(join(tmpdir(), 'vidserve-'));
  try {
    const path = join(dir, 'input');
    await writeFile(path, input, { mode: 0o600 });
    return await fn(`file:${path}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Containers whose demuxer knows the stream's frame count (AVStream.nb_frames), which cv2 reports as-is.
// For the others cv2 estimates floor(duration * fps + 0.5).
const INDEXED_FORMATS = /^(mov|avi)\b/;

function parseClock(s: string): number {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(s);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

/**
 * A frame rate as ffmpeg prints it ("25", "29.97", "1k"). Printed NTSC rates are rounded; they are mapped back to
 * N*1000/1001 so that frame counts estimated from long durations stay exact.
 */
export function parseRate(s: string | undefined): number {
  if (!s) return NaN;
  const v = s.endsWith('k') ? Number(s.slice(0, -1)) * 1000 : Number(s);
  if (!Number.isFinite(v) || Number.isInteger(v)) return v;
  const k = v * 1.001;
  return Math.abs(k - Math.round(k)) < 0.01 ? (Math.round(k) * 1000) / 1001 : v;
}

/** Turns an ffmpeg failure on the input into a user-facing error. */
export function inputFailure(what: string, stderr: string): Error {
  const tail = stderrTail(stderr);
  if (/No such file or directory/.test(stderr)) return inputError(`${what}: file not found`);
  if (/Permission denied/.test(stderr)) return inputError(`${what}: permission denied`);
  if (/matches no streams|does not contain any stream/.test(stderr)) return inputError(`${what} has no video stream`);
  const cut = truncation(stderr);
  if (cut) return inputError(`${what} is truncated or corrupt (ffmpeg: ${cleanLogLine(cut)})`);
  if (/moov atom not found/.test(stderr))
    return inputError(`${what} is not a readable video (truncated mp4/mov: index 'moov' missing)`);
  if (/Invalid data found when processing input|could not find codec parameters|Unknown input format/i.test(stderr))
    return inputError(`${what} is not a video (ffmpeg: ${tail})`);
  return inputError(`${what} could not be decoded (ffmpeg: ${tail})`);
}

/**
 * Truncated files, as ffmpeg's demuxers report them: mov/mp4 "partial file" (index points past the end), matroska/webm
 * "Read error" at the cut. A truncated AVI is not detectable this way (its frames up to the cut decode, as with cv2).
 */
export function truncation(stderr: string): string | undefined {
  const m = /(stream \d+, offset 0x[0-9a-f]+: partial file|\[matroska,webm @ [^\]]+\] Read error|File ended prematurely[^\n]*)/i.exec(stderr);
  return m?.[1];
}

/** The count in ffmpeg's last "frame=" statistics line (of its first output), 0 when there is none. */
function lastFrameStat(stderr: string): number {
  const stats = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  return stats.length ? Number(stats[stats.length - 1]![1]) : 0;
}

/**
 * The frame size of ffmpeg's rawvideo rgb24 output, from its report (printed before any frame is written); null
 * while not yet reported. FFmpeg 4 prints `rgb24, 96x64`, FFmpeg 5 and later `rgb24(pc, gbr/unknown/unknown,
 * progressive), 96x64`.
 */
export function rgbOutputSize(report: string): { width: number; height: number } | null {
  const m = /Output #\d+, rawvideo[\s\S]*?Stream #\d+:\d+[^\n]*?rgb24(?:\([^)\n]*\))?, (\d+)x(\d+)/.exec(report);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}

export function parseReport(stderr: string, what: string, orientation: Orientation): ProbeReport {
  const lines = stderr.split(/\r?\n/);
  const inputLine = lines.find((l) => l.startsWith('Input #0, '));
  if (!inputLine) throw inputFailure(what, stderr);
  const format = /^Input #0, (.*), from /.exec(inputLine)?.[1] ?? '';
  const durText = /Duration: ([\d:.]+)/.exec(stderr)?.[1];
  const durationSec = durText ? parseClock(durText) : undefined;

  // The first video stream that is not cover art (matches ffmpeg's `-map 0:V:0`).
  const streamIdx = lines.findIndex((l) => /^\s*Stream #0:\d+.*: Video: /.test(l) && !/\(attached pic\)/.test(l));
  if (streamIdx < 0) throw inputError(`${what} has no video stream`);
  const streamLine = lines[streamIdx]!;
  const spec = streamLine.slice(streamLine.indexOf(': Video: ') + 9);
  const codec = /^([^\s,]+)/.exec(spec)?.[1] ?? 'unknown';
  const size = /, (\d+)x(\d+)(?=[ ,[]|$)/.exec(spec);
  if (!size) throw inputError(`${what}: video stream has no frame size (ffmpeg: ${streamLine.trim()})`);
  let width = Number(size[1]);
  let height = Number(size[2]);
  // cv2 reports r_frame_rate (ffmpeg's "tbr"), falling back to the average rate.
  const tbr = parseRate(/([\d.]+k?) tbr/.exec(spec)?.[1]);
  const avg = parseRate(/([\d.]+k?) fps/.exec(spec)?.[1]);
  const fps = Number.isFinite(tbr) && tbr > 0 ? tbr : Number.isFinite(avg) ? avg : 0;

  // Stream metadata and side data follow the stream line, indented deeper, until the next stream/output.
  // The display matrix angle D (counter-clockwise); older ffmpeg also exports a clockwise "rotate" tag (= -D).
  let displayAngle: number | undefined;
  let rotateTag: number | undefined;
  for (let i = streamIdx + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*Stream #|^Output #|^Stream mapping/.test(l)) break;
    const dm = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(l);
    if (dm) displayAngle = Number(dm[1]);
    const rt = /^\s*rotate\s*:\s*(-?\d+)/.exec(l);
    if (rt) rotateTag = Number(rt[1]);
  }
  const rotation = appliedRotation(displayAngle ?? -(rotateTag ?? 0), orientation);
  if (rotation === 90 || rotation === 270) [width, height] = [height, width];

  const packets = lastFrameStat(stderr);

  let frames = packets;
  if (!INDEXED_FORMATS.test(format) && durationSec !== undefined && Number.isFinite(durationSec) && fps > 0) {
    frames = Math.floor(durationSec * fps + 0.5);
  }
  return { frames, width, height, fps, rotation, codec, format, packets, durationSec };
}

async function probeFile(path: string, what: string, opts: DecodeOptions): Promise<ProbeReport> {
  // Stream copy into the null muxer: demuxes the whole file (counting packets) without decoding.
  const run = await runFfmpeg(['-i', path, '-map', '0:V:0', '-c', 'copy', '-f', 'null', '-'], opts);
  const stopped = interruption(run);
  if (stopped) throw new FfmpegInterruptedError(`${stopped} while reading ${what}`);
  if (run.code !== 0) throw inputFailure(what, run.stderr);
  const report = parseReport(run.stderr, what, opts.orientation ?? DEFAULT_ORIENTATION);
  if (report.packets === 0) throw inputError(`${what} has no video frames`);
  return report;
}

/** What decoding needs before it starts: cv2's frame count (the read cap) and the video stream's packet count. */
interface Counts {
  frames: number;
  packets: number;
  /** Pixels to decode (frames x coded size), 0 if unknown: picks the decoder's thread count. */
  work: number;
  /** Known from the probe; undefined when the count came from the container header (the decode run reports it). */
  rotation: number | undefined;
}

/**
 * The counts from the AVI/MP4/MOV header when it settles them (one ffmpeg run per request), else from an ffmpeg probe.
 * Both give the same numbers (test/video-container.test.ts).
 */
async function frameCounts(input: VideoInput, path: string, what: string, opts: DecodeOptions): Promise<Counts> {
  const header = await containerFrameCount(input);
  opts.signal?.throwIfAborted();
  if (header) return { frames: header.frames, packets: header.frames, work: header.frames * header.width * header.height, rotation: undefined };
  const { frames, packets, rotation, width, height } = await probeFile(path, what, opts);
  return { frames, packets, work: frames * width * height, rotation };
}

/** Frame count (as cv2 reports it), size, fps, rotation and codec of the first video stream. */
export async function probeVideo(input: VideoInput, opts: DecodeOptions = {}): Promise<VideoInfo> {
  return withInputFile(input, async (path) => {
    const { frames, width, height, fps, rotation, codec } = await probeFile(path, describe(input), opts);
    return { frames, width, height, fps, rotation, codec };
  });
}

/** Up to this many pixels (frames x width x height, ~20 s of 320x240) a single decoder thread is used. */
const SINGLE_THREAD_WORK = 32_000_000;

/** One ffmpeg decode of the first video stream. */
export interface DecodeRun {
  /** ffmpeg input (a `file:` URL). */
  path: string;
  /** The input as error messages name it. */
  what: string;
  /** At most this many frames are decoded. */
  cap: number;
  /** Only these frame numbers (ascending) are converted and piped; a null output counts every decoded frame. */
  select?: readonly number[];
  /** Clockwise turn of the frames, when known before the run (else read from this run's report of the input). */
  rotation?: number;
  /** Pixels to decode (frames x coded size), 0 if unknown: picks the decoder's thread count. */
  work: number;
  /** Decoder threads, overriding the choice made from `work`. */
  threads?: number;
  /** Demuxer for inputs that are not containers ('h264', 'mjpeg': the elementary streams seek.ts writes). */
  format?: string;
  /** Input (decoder) options before `-i`. */
  inputOptions?: readonly string[];
}

export interface DecodeResult {
  /** Frames the decoder produced (at most the cap). */
  decoded: number;
  width: number;
  height: number;
  /** ffmpeg's log (bounded, see StderrLog). */
  stderr: string;
}

/**
 * Decodes the first video stream to rgb24 through a pipe. With `select`, only those frame numbers (ascending) are
 * converted and piped; a second null output still counts every decoded frame. `onFrame` gets each piped frame with
 * its frame number; the buffer is reused, so copy what you keep.
 */
export async function runDecode(
  run: DecodeRun,
  onFrame: (index: number, rgb: Uint8Array, width: number, height: number) => void,
  opts: DecodeOptions,
): Promise<DecodeResult> {
  const { path, what, cap, select, rotation: knownRotation, work } = run;
  const input = [...(run.inputOptions ?? []), ...(run.format ? ['-f', run.format] : []), '-i', path];
  const capArgs = ['-frames:v', String(cap)];
  const rgbOut = (filter: string[]): string[] => [
    '-map', '0:V:0', ...capArgs, ...filter, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  let args: string[];
  // Small videos decode faster on one thread: frame threading delays each frame's output by a frame per thread and
  // competes with our transforms (example.avi, 320x240x131: 29 vs 40 ms wall, ~10 ms less CPU per request).
  const threads = run.threads !== undefined ? ['-threads', String(run.threads)] : work > 0 && work <= SINGLE_THREAD_WORK ? ['-threads', '1'] : [];
  // cv2 skips frames it cannot decode, however many; the ffmpeg CLI gives up when over 2/3 fail (max_error_rate).
  const decoder = [...threads, '-max_error_rate', '1'];
  if (select) {
    const expr = select.length ? select.map((n) => `eq(n\\,${n})`).join('+') : '0';
    // The counting output comes first so that ffmpeg's "frame=" statistics report it.
    args = [...decoder, '-noautorotate', ...input, '-map', '0:V:0', ...capArgs, '-vsync', 'passthrough', '-f', 'null', '-'];
    args.push(...rgbOut(['-vf', `select=${expr}`]));
  } else {
    args = [...decoder, '-noautorotate', ...input, ...rgbOut([])];
  }
  const child = spawnFfmpeg(args, opts);
  const log = new StderrLog();
  const exited = waitForExit(child, log);
  const orientation = opts.orientation ?? DEFAULT_ORIENTATION;
  let rotation = knownRotation ?? 0;

  // Frames come as stored (-noautorotate) and are turned after the RGB conversion, as cv2 does.
  let width = 0;
  let height = 0;
  let frame: Uint8Array | undefined;
  let turned: Uint8Array | undefined;
  let filled = 0;
  let piped = 0;
  let failure: Error | undefined;
  const pending: Buffer[] = [];

  const consume = (chunk: Uint8Array): void => {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(frame!.length - filled, chunk.length - off);
      frame!.set(chunk.subarray(off, off + n), filled);
      filled += n;
      off += n;
      if (filled === frame!.length) {
        // Once aborted, no more frames reach the caller, even those already in this chunk or the pipe.
        if (opts.signal?.aborted) return;
        const index = select ? select[piped] : piped;
        if (index === undefined) throw new Error(`ffmpeg produced more frames than selected for ${what}`);
        if (turned) {
          rotateRgb(frame!, width, height, rotation, turned);
          if (rotation === 180) onFrame(index, turned, width, height);
          else onFrame(index, turned, height, width);
        } else onFrame(index, frame!, width, height);
        piped++;
        filled = 0;
      }
    }
  };
  const feed = (chunk: Buffer): void => {
    if (failure) return;
    try {
      consume(chunk);
    } catch (err) {
      failure = err as Error;
      child.kill('SIGKILL');
    }
  };

  child.stderr.on('data', () => {
    if (frame || failure) return;
    // The rgb24 output's frame size is reported before any frame is written.
    const size = rgbOutputSize(log.start);
    if (!size) return;
    if (knownRotation === undefined) {
      // No probe ran: the rotation metadata comes from this run's own report of the input (printed before it).
      try {
        rotation = parseReport(log.start, what, orientation).rotation;
      } catch (err) {
        failure = err as Error;
        child.kill('SIGKILL');
        return;
      }
    }
    ({ width, height } = size);
    frame = new Uint8Array(width * height * 3);
    if (rotation) turned = new Uint8Array(frame.length);
    for (const p of pending.splice(0)) feed(p);
  });
  child.stdout.on('data', (c: Buffer) => {
    if (frame) feed(c);
    else pending.push(c);
  });

  const exit = await exited;
  const stderr = exit.stderr;
  if (failure) throw failure;
  const stopped = interruption(exit);
  if (stopped) throw new FfmpegInterruptedError(`${stopped} while decoding ${what}`);
  if (exit.code !== 0) {
    // The probe already found video packets: a decoder that never produced a frame makes ffmpeg fail at the end.
    if (piped === 0 && !truncation(stderr) && /Error while decoding|Conversion failed/.test(stderr))
      throw inputError(`${what} has no decodable video frames (ffmpeg: ${stderrTail(stderr, 3)})`);
    throw inputFailure(what, stderr);
  }
  if (!frame && pending.length) throw new Error(`ffmpeg did not report the decoded frame size for ${what}`);
  if (filled !== 0) throw new Error(`ffmpeg output for ${what} ended inside a frame`);
  const cut = truncation(stderr);
  if (cut) throw inputError(`${what} is truncated or corrupt (ffmpeg: ${cleanLogLine(cut)})`);

  // With a selection, the counting output's statistics say how many frames were decoded.
  const decoded = select ? lastFrameStat(stderr) : piped;
  if (decoded === 0) throw inputError(`${what} has no decodable video frames`);
  const quarter = rotation === 90 || rotation === 270;
  return { decoded, width: quarter ? height : width, height: quarter ? width : height, stderr };
}

/** All frames of a video as cv2.VideoCapture + BGR->RGB gives them to the seed's client. */
export async function decodeAllFrames(input: VideoInput, opts: DecodeOptions = {}): Promise<Frames> {
  const what = describe(input);
  return withInputFile(input, async (path) => {
    const info = await frameCounts(input, path, what, opts);
    // cv2 attempts exactly CAP_PROP_FRAME_COUNT reads; frames past that are never returned.
    const cap = info.frames;
    let frameBytes = 0;
    let data = new Uint8Array(0);
    const res = await runDecode({ path, what, cap, rotation: info.rotation, work: info.work }, (i, rgb) => {
      if (i === 0) {
        // Sized by the decoder's frame size.
        frameBytes = rgb.length;
        data = new Uint8Array(Math.min(cap, info.packets) * frameBytes);
      }
      if ((i + 1) * frameBytes > data.length) {
        const grown = new Uint8Array(Math.max(data.length * 2, (i + 1) * frameBytes));
        grown.set(data);
        data = grown;
      }
      data.set(rgb, i * frameBytes);
    }, opts);
    const T = res.decoded;
    if (data.length !== T * frameBytes) data = data.slice(0, T * frameBytes);
    return { data, T, H: res.height, W: res.width };
  });
}

/**
 * Decodes once and keeps only the frames `pick` selects, in pick order (repeats allowed): memory is O(picked frames).
 * `pick` gets the number of frames the seed's client would have decoded (cv2's count, minus unreadable frames), so
 * the picked frames equal `decodeAllFrames` followed by indexing.
 */
export async function decodeSampledFrames(
  input: VideoInput,
  pick: (frameCount: number) => number[],
  opts: DecodeOptions = {},
): Promise<Frames> {
  const { indices, kept, W, H } = await collectSampledFrames(input, pick, opts);
  return assemble(indices, kept, W, H);
}

/**
 * The frames `indices` (frame numbers as a full decode numbers them: cv2's reads, unreadable frames skipped; any
 * order, repeats allowed) as [T,H,W,3] in that order, bit-identical to decodeAllFrames + indexing, decoding only
 * what they need where the packet index allows it (seek.ts). The building block for windowed decoding.
 */
export async function decodeFramesAt(input: VideoInput, indices: readonly number[], opts: DecodeOptions = {}): Promise<Frames> {
  return decodeSampledFrames(input, () => [...indices], opts);
}

/** The sampled frames by frame number (each an own copy: ffmpeg's buffers are reused), in pick order as `indices`. */
export async function collectSampledFrames(
  input: VideoInput,
  pick: (frameCount: number) => number[],
  opts: DecodeOptions = {},
): Promise<{ indices: number[]; kept: Map<number, Uint8Array>; W: number; H: number }> {
  const kept = new Map<number, Uint8Array>();
  let W = 0;
  let H = 0;
  const indices = await forEachSampledFrame(input, pick, (i, rgb, w, h) => {
    kept.set(i, rgb.slice());
    W = w;
    H = h;
  }, opts);
  return { indices, kept, W, H };
}

/**
 * The streaming form of decodeSampledFrames: `onFrame` gets each selected frame (by frame number, ascending) as soon
 * as ffmpeg delivers it, so work on it overlaps the decoding of later frames; the buffer is reused, copy what you
 * keep. Resolves with the final pick (frame numbers in pick order). If the decoder's frame count disagrees with the
 * container's, frames are picked again: `onFrame` may then see frames that the final pick does not use.
 *
 * Where the packet index allows it, only the packets the picked frames need are decoded (seek.ts). If that decode
 * cannot be verified, every frame is decoded and the picked frames are delivered again: a frame number can then
 * reach `onFrame` twice, and the later delivery is the one that counts.
 */
export async function forEachSampledFrame(
  input: VideoInput,
  pick: (frameCount: number) => number[],
  onFrame: (index: number, rgb: Uint8Array, width: number, height: number) => void,
  opts: DecodeOptions = {},
): Promise<number[]> {
  const what = describe(input);
  let reason = 'seeking turned off';
  if (opts.seek !== false) {
    try {
      const sought = await seekFrames(input, what, pick, onFrame, opts);
      if (sought) return [...sought.indices];
      reason = 'no seekable packet index (codec, container or packet check)';
    } catch (err) {
      if (!(err instanceof SeekUnverified)) throw err;
      // Frames already delivered may be wrong: the full decode below delivers every picked frame again.
      reason = `seeking decode not verified: ${err.message}`;
    }
  }
  opts.onDecodePath?.({ mode: 'full', reason });
  return withInputFile(input, async (path) => {
    const info = await frameCounts(input, path, what, opts);
    const cap = info.frames;
    // First guess of the readable frame count; confirmed (or corrected) by the decoder's own count.
    let count = Math.min(cap, info.packets);
    let indices = pickChecked(pick, count, what);
    const seen = new Set<number>();
    for (let attempt = 0; attempt < 2; attempt++) {
      // A second decode converts only the frames the first did not deliver.
      const wanted = [...new Set(indices)].filter((i) => !seen.has(i)).sort((a, b) => a - b);
      const res = await runDecode({ path, what, cap, select: wanted, rotation: info.rotation, work: info.work }, (i, rgb, w, h) => {
        seen.add(i);
        onFrame(i, rgb, w, h);
      }, opts);
      if (res.decoded === count) return indices;
      // The decoder disagreed with the container's count: pick again for the true count.
      count = res.decoded;
      indices = pickChecked(pick, count, what);
      if (indices.every((i) => seen.has(i))) return indices;
    }
    throw new Error(`${what}: decoded frame count is unstable across runs`);
  });
}

function pickChecked(pick: (n: number) => number[], count: number, what: string): number[] {
  const indices = pick(count);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= count)
      throw inputError(`${what}: frame index ${i} out of range for ${count} frames`);
  }
  return indices;
}

function assemble(indices: readonly number[], kept: Map<number, Uint8Array>, W: number, H: number): Frames {
  const frameBytes = W * H * 3;
  const data = new Uint8Array(indices.length * frameBytes);
  indices.forEach((idx, t) => {
    const f = kept.get(idx);
    if (!f) throw new Error(`frame ${idx} was selected but not decoded`);
    data.set(f, t * frameBytes);
  });
  return { data, T: indices.length, H, W };
}
