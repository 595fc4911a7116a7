// The bench's real-video inputs, rendered once with ffmpeg's lavfi sources and cached under models/bench/clips/:
// H.264 in MP4 with x264's defaults for the GOP and B-frames (keyint 250, min-keyint 25, scenecut, 3 B-frames with
// b-pyramid) — a fast preset only shortens the encode. 1080p uses testsrc2 (busy, ~6 Mb/s: decoding costs what HD
// costs); the long 720p clips use testsrc (moving pattern, ~0.2 Mb/s) so that a 10-minute body stays ~17 MB and the
// request measures decoding rather than a 300 MB upload.
// HEVC_CLIPS (bench/seek.ts only): a phone-like 'hvc1' MP4 with x265's default GOP (keyint 250, open GOP: CRA
// keyframes) and B-frames; x265 is slow, so preset superfast (~1 min for 30 s of 1080p on 2 busy cores).
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { runFfmpeg, stderrTail } from '../../src/video/ffmpeg.ts';

export interface BenchClip {
  /** Key in results.json (e2e.<key>, ratios.<key>_over_bare). */
  key: string;
  label: string;
  file: string;
  frames: number;
}

export interface ClipSpec {
  key: string;
  label: string;
  codec?: 'libx264' | 'libx265';
  source: 'testsrc' | 'testsrc2';
  size: string;
  seconds: number;
  preset: string;
}

const FPS = 30;
const SPECS: ClipSpec[] = [
  { key: 'video_1080p_10s', label: '10 s 1080p H.264', source: 'testsrc2', size: '1920x1080', seconds: 10, preset: 'fast' },
  { key: 'video_720p_2min', label: '2 min 720p H.264', source: 'testsrc', size: '1280x720', seconds: 120, preset: 'superfast' },
  { key: 'video_720p_10min', label: '10 min 720p H.264', source: 'testsrc', size: '1280x720', seconds: 600, preset: 'superfast' },
];

export const HEVC_CLIPS: ClipSpec[] = [
  { key: 'video_hevc_1080p_30s', label: '30 s 1080p HEVC', codec: 'libx265', source: 'testsrc2', size: '1920x1080', seconds: 30, preset: 'superfast' },
];

/** Renders the clips that are not cached yet (the 10-minute one takes a few minutes on 2 cores). */
export async function ensureBenchClips(dir: string, log: (l: string) => void, specs: readonly ClipSpec[] = SPECS): Promise<BenchClip[]> {
  await mkdir(dir, { recursive: true });
  const out: BenchClip[] = [];
  for (const s of specs) {
    const codec = s.codec ?? 'libx264';
    const file = path.join(dir, `${s.key}_${s.source}_${s.preset}.mp4`);
    if (!existsSync(file)) {
      log(`clips: rendering ${s.label} (${s.source} ${s.size}, ${codec.slice(3)} ${s.preset}, default GOP/B-frames) to ${path.relative(process.cwd(), file)}`);
      const t0 = performance.now();
      const tmp = `${file}.part.mp4`;
      const run = await runFfmpeg([
        '-y', '-f', 'lavfi', '-i', `${s.source}=size=${s.size}:rate=${FPS}:duration=${s.seconds}`,
        '-c:v', codec, '-preset', s.preset, '-pix_fmt', 'yuv420p',
        ...(codec === 'libx265' ? ['-tag:v', 'hvc1', '-x265-params', 'log-level=error'] : []), tmp,
      ]);
      if (run.code !== 0) throw new Error(`ffmpeg could not render ${s.label}: ${stderrTail(run.stderr)}`);
      await rename(tmp, file);
      log(`clips: ${s.label} rendered in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    out.push({ key: s.key, label: s.label, file, frames: s.seconds * FPS });
  }
  return out;
}
