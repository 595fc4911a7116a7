// Builds the pipeline request for one video, in either of the two input forms the server accepts:
//   frames: the seed's protocol — every frame decoded here, RGB uint8 [T,H,W,3], base64, plus "(T, H, W, 3)";
//   video:  the compressed file as base64 (far smaller; the server decodes only the frames it samples).
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import type { PipelineRequest } from '../protocol/types.ts';
import type { Frames } from '../video/decode.ts';
import { InputError } from './errors.ts';

/**
 * frames: every frame decoded here and sent raw (the seed's protocol); video: the compressed file; path / url: the
 * input string is a path on the server's machine or a URL the server fetches ("video_path" / "video_url"; the
 * server's config must allow it).
 */
export type PredictMode = 'frames' | 'video' | 'path' | 'url';

/** Frames already decoded by the caller: RGB uint8, [T, H, W, 3] row-major (what decodeAllFrames returns). */
export type DecodedFrames = Frames;

/** A path to a video file, the bytes of one, or frames decoded already (frames mode only). */
export type VideoInput = string | Uint8Array | DecodedFrames;

export interface PayloadOptions {
  mode: PredictMode;
  topk?: number;
  logid?: number;
  /** Ask for a timeline: window length and stride in seconds, optional segment threshold (0..1). */
  windows?: WindowRequest;
  /** The request's own deadline on the server (ms). */
  timeoutMs?: number;
}

export interface WindowRequest {
  window: number;
  stride?: number;
  threshold?: number;
}

// V8's longest string (2^29 - 24 characters): the base64 of the frames must fit in one.
const MAX_STRING_CHARS = 2 ** 29 - 24;

function isDecoded(x: VideoInput): x is DecodedFrames {
  return typeof x === 'object' && !(x instanceof Uint8Array) && 'data' in x;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Checks a video path before anything reads it: one clear message for a missing path, a directory, an empty or an unreadable file. */
async function checkVideoFile(file: string): Promise<void> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError('ENOENT', `${file}: no such file`, file, { cause: e });
    throw new InputError('UNREADABLE', `${file}: cannot read (${(e as Error).message})`, file, { cause: e });
  }
  if (!st.isFile()) throw new InputError('NOT_A_FILE', `${file}: not a regular file`, file);
  if (st.size === 0) throw new InputError('NOT_A_VIDEO', `${file}: empty file, not a video`, file);
  try {
    await access(file, constants.R_OK);
  } catch (e) {
    throw new InputError('UNREADABLE', `${file}: cannot read (${(e as Error).message})`, file, { cause: e });
  }
}

/** Reads a video file's bytes, after checkVideoFile. */
export async function readVideoFile(file: string): Promise<Buffer> {
  await checkVideoFile(file);
  try {
    return await readFile(file);
  } catch (e) {
    throw new InputError('UNREADABLE', `${file}: cannot read (${(e as Error).message})`, file, { cause: e });
  }
}

/** Decodes every frame (RGB [T,H,W,3]); input ffmpeg cannot read is NOT_A_VIDEO. */
async function decodeInput(input: string | Uint8Array): Promise<DecodedFrames> {
  // A path gets the existence/emptiness checks (clear messages) before ffmpeg reads it.
  if (typeof input === 'string') await checkVideoFile(input);
  const label = typeof input === 'string' ? input : `video buffer (${input.byteLength} bytes)`;
  const { decodeAllFrames } = await import('../video/decode.ts');
  let frames: DecodedFrames;
  try {
    frames = await decodeAllFrames(input);
  } catch (e) {
    const why = oneLine((e as Error).message);
    const msg = why.includes(typeof input === 'string' ? input : 'bytes') ? why : `${label}: cannot decode as a video (${why})`;
    throw new InputError('NOT_A_VIDEO', msg, label, { cause: e });
  }
  if (frames.T === 0) throw new InputError('NOT_A_VIDEO', `${label}: no video frames decoded`, label);
  return frames;
}

function oneLine(s: string): string {
  const line = s.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? s;
  return line.length > 200 ? line.slice(0, 197) + '...' : line;
}

/** The key/value request for one video. */
export async function buildRequest(input: VideoInput, opts: PayloadOptions): Promise<PipelineRequest> {
  const key: string[] = [];
  const value: string[] = [];
  if (opts.mode === 'frames') {
    const f = isDecoded(input) ? input : await decodeInput(input);
    if (f.data.byteLength !== f.T * f.H * f.W * 3) {
      throw new InputError('BAD_INPUT', `decoded frames hold ${f.data.byteLength} bytes, not T*H*W*3 = ${f.T * f.H * f.W * 3}`);
    }
    const b64Chars = 4 * Math.ceil(f.data.byteLength / 3);
    if (b64Chars > MAX_STRING_CHARS) {
      const mb = (n: number): string => (n / 1024 / 1024).toFixed(0);
      throw new InputError(
        'TOO_LARGE',
        `${typeof input === 'string' ? input : 'video'}: ${f.T} frames of ${f.W}x${f.H} are ${mb(f.data.byteLength)} MB raw (${mb(b64Chars)} MB as base64), more than one request can carry; send the compressed file instead (mode 'video', CLI --mode video)`,
        typeof input === 'string' ? input : undefined,
      );
    }
    key.push('frames', 'frames_shape');
    value.push(base64(f.data), `(${f.T}, ${f.H}, ${f.W}, 3)`);
  } else if (opts.mode === 'video') {
    if (isDecoded(input)) throw new InputError('BAD_INPUT', "mode 'video' sends the compressed file: give a path or its bytes, not decoded frames");
    const bytes = typeof input === 'string' ? await readVideoFile(input) : input;
    if (bytes.byteLength === 0) throw new InputError('NOT_A_VIDEO', 'empty video buffer');
    key.push('video');
    value.push(base64(bytes));
  } else if (opts.mode === 'path' || opts.mode === 'url') {
    if (typeof input !== 'string' || input === '') throw new InputError('BAD_INPUT', `mode '${opts.mode}' sends a ${opts.mode === 'path' ? 'path on the server' : 'URL'}: give it as a string`);
    key.push(opts.mode === 'path' ? 'video_path' : 'video_url');
    value.push(input);
  } else {
    throw new InputError('BAD_INPUT', `unknown mode '${String(opts.mode)}' (expected 'frames', 'video', 'path' or 'url')`);
  }
  if (opts.windows) {
    const { window, stride, threshold } = opts.windows;
    const positive = (n: number | undefined): boolean => n === undefined || (Number.isFinite(n) && n > 0);
    if (!positive(window) || !positive(stride)) throw new InputError('BAD_INPUT', `window and stride must be positive seconds, got ${window}:${stride}`);
    if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new InputError('BAD_INPUT', `threshold must be in 0..1, got ${threshold}`);
    if (opts.mode === 'frames') throw new InputError('BAD_INPUT', "a timeline needs the compressed video (mode 'video', 'path' or 'url'): raw frames carry no timestamps");
    key.push('window');
    value.push(String(window));
    if (stride !== undefined) key.push('stride'), value.push(String(stride));
    if (threshold !== undefined) key.push('threshold'), value.push(String(threshold));
  }
  if (opts.timeoutMs !== undefined) {
    if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs < 1) throw new InputError('BAD_INPUT', `timeoutMs must be a positive integer, got ${opts.timeoutMs}`);
    key.push('timeout_ms');
    value.push(String(opts.timeoutMs));
  }
  if (opts.topk !== undefined) {
    if (!Number.isInteger(opts.topk) || opts.topk < 1) throw new InputError('BAD_INPUT', `topk must be a positive integer, got ${opts.topk}`);
    key.push('topk');
    value.push(String(opts.topk));
  }
  const req: PipelineRequest = { key, value };
  if (opts.logid !== undefined) req.logid = opts.logid;
  return req;
}
