// Long clips for the timeline tests: rendered ffmpeg test patterns of different content, concatenated, stored with
// a lossless intra-only codec (FFV1 in AVI) so that cutting frames out again (by frame number, re-encoded the same
// way) gives clips with exactly the same pixels.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../src/video/ffmpeg.ts';

const run = promisify(execFile);

export async function ffmpeg(...args: string[]): Promise<void> {
  await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
}

/** lavfi sources that look nothing alike (moving counter, colour bars, flat colours, a fractal zoom). */
export const PATTERNS = ['testsrc', 'smptebars', 'color=c=red', 'mandelbrot', 'color=c=blue', 'rgbtestsrc'] as const;

export interface LongClipOptions {
  patterns: readonly string[];
  /** Seconds per pattern. */
  seconds: number;
  rate: number;
  size: string;
}

/** Renders the patterns one after another into `file` (FFV1, .avi). */
export async function renderLongClip(file: string, o: LongClipOptions): Promise<void> {
  const inputs = o.patterns.flatMap((p) => ['-t', String(o.seconds), '-f', 'lavfi', '-i', `${p}${p.includes('=') ? ':' : '='}size=${o.size}:rate=${o.rate}`]);
  const labels = o.patterns.map((_, i) => `[${i}:v]`).join('');
  await ffmpeg(...inputs, '-filter_complex', `${labels}concat=n=${o.patterns.length}:v=1:a=0,format=yuv420p[v]`, '-map', '[v]', '-c:v', 'ffv1', file);
}

/** Frames [first, first + count) of `file` as a clip of their own (FFV1, .avi): cut by frame number, not by time. */
export async function cutFrames(file: string, first: number, count: number, out: string): Promise<void> {
  await ffmpeg('-i', file, '-vf', `trim=start_frame=${first}:end_frame=${first + count},setpts=PTS-STARTPTS`, '-c:v', 'ffv1', out);
}
