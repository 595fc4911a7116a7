// Windowed sampling over a long clip (src/video/windows.ts): every window's model input equals the single-clip
// preprocessing of the same frames cut out of the clip with ffmpeg (by frame number, lossless intra-only codec).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINES, preprocessVideo } from '../src/video/pipelines.ts';
import { forEachWindow, type WindowSamples } from '../src/video/windows.ts';
import { ServingError } from '../src/errors.ts';
import { cutFrames, ffmpeg, PATTERNS, renderLongClip } from './support/long-clip.ts';
import { run } from './support/run.ts';

let dir = '';
let long = '';
const RATE = 10;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidserve-windows-'));
  long = join(dir, 'long.avi');
  // 4 patterns x 3 s at 10 fps: 120 frames, frame n at n/10 s.
  await renderLongClip(long, { patterns: PATTERNS.slice(0, 4), seconds: 3, rate: RATE, size: '96x64' });
});
after(() => rm(dir, { recursive: true, force: true }));

async function windowsOf(spec = PIPELINES.PPTSM, window = 2, stride = 1, stage: 'uint8' | 'float32' = 'uint8', file = long): Promise<WindowSamples[]> {
  const out: WindowSamples[] = [];
  await forEachWindow(spec, file, { window, stride, stage, onWindow: (w) => void out.push(w) });
  return out;
}

test('windows follow the grid: window k holds the frames whose time lies in [k*stride, k*stride + window)', async () => {
  const ws = await windowsOf();
  // Full windows 0..10 (the last one ends at 12 s), then window 11 (11..12 s) spans half a window: kept.
  assert.deepEqual(ws.map((w) => w.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  for (const w of ws.slice(0, 11)) {
    assert.equal(w.firstFrame, w.index * RATE);
    assert.equal(w.frames, 2 * RATE);
    assert.equal(w.start, w.index);
    assert.equal(w.end, w.index + 2);
  }
  assert.deepEqual([ws[11]!.firstFrame, ws[11]!.frames, ws[11]!.end], [110, 10, 12]);
  // stride > window leaves gaps; window 2.5 s at stride 4 s: windows at 0, 4, 8 s.
  const sparse = await windowsOf(PIPELINES.PPTSM, 2.5, 4);
  assert.deepEqual(sparse.map((w) => [w.start, w.firstFrame, w.frames]), [[0, 0, 25], [4, 40, 25], [8, 80, 25]]);
});

test('each window equals the single-clip preprocessing of its frames cut out with ffmpeg (PP-TSM, uint8 crops)', async () => {
  const ws = await windowsOf();
  for (const w of ws) {
    const cut = join(dir, `cut_${w.index}.avi`);
    await cutFrames(long, w.firstFrame, w.frames, cut);
    const single = await preprocessVideo(PIPELINES.PPTSM, cut, { stage: 'uint8' });
    assert.deepEqual(w.tensor.dims, single.dims, `window ${w.index}`);
    assert.ok(Buffer.from(w.tensor.data.buffer, w.tensor.data.byteOffset, w.tensor.data.byteLength).equals(Buffer.from(single.data.buffer, single.data.byteOffset, single.data.byteLength)), `window ${w.index}: crops differ`);
  }
});

test('float32 inputs are bit-identical too, for PP-TSM and for PP-TSN (25 frames ten-cropped per window)', async () => {
  for (const [spec, window, stride] of [[PIPELINES.PPTSM, 2.5, 3], [PIPELINES.PPTSN, 3, 4.5]] as const) {
    const ws = await windowsOf(spec, window, stride, 'float32');
    assert.ok(ws.length >= 2);
    for (const w of ws.slice(0, 2)) {
      const cut = join(dir, `cutf_${spec.name}_${w.index}.avi`);
      await cutFrames(long, w.firstFrame, w.frames, cut);
      const single = await preprocessVideo(spec, cut);
      assert.deepEqual(w.tensor.dims, single.dims);
      assert.ok(Buffer.from(w.tensor.data.buffer).equals(Buffer.from(single.data.buffer, single.data.byteOffset, single.data.byteLength)), `${spec.name} window ${w.index}`);
    }
  }
});

test('variable frame rate: windows go by the source timestamps, not by frame counts', async () => {
  // 10 fps for 3 s, then 30 fps for 3 s (mkv keeps each frame's own timestamp).
  const vfr = join(dir, 'vfr.mkv');
  await ffmpeg(
    '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=30', '-frames:v', '120',
    '-vf', "setpts='if(lt(N,30),N*3,60+N)/30/TB'", '-vsync', 'vfr', '-c:v', 'ffv1', vfr,
  );
  const ws = await windowsOf(PIPELINES.PPTSM, 1, 1, 'uint8', vfr);
  assert.deepEqual(ws.map((w) => w.frames), [10, 10, 10, 30, 30, 30]);
  assert.deepEqual(ws.map((w) => w.firstFrame), [0, 10, 20, 30, 60, 90]);
});

test('a window too short for the Sampler is an input error naming the window; a bad grid is refused', async () => {
  // PP-TSN needs more than 25 frames: 2 s at 10 fps is 20.
  await assert.rejects(windowsOf(PIPELINES.PPTSN, 2, 2), (e: unknown) => e instanceof ServingError && e.code === 5000 && /window 0-2 s .* 20 frames/.test(e.message));
  await assert.rejects(windowsOf(PIPELINES.PPTSM, 0, 1), (e: unknown) => e instanceof ServingError && /"window" must be a positive/.test(e.message));
  await assert.rejects(forEachWindow(PIPELINES.PPTSM, join(dir, 'missing.avi'), { window: 1, stride: 1, onWindow: () => {} }), (e: unknown) => e instanceof ServingError && e.code === 5000);
});

test('live sources: the read-timeout option given to ffmpeg is one that ffmpeg knows (rtsp: -stimeout before FFmpeg 5, -timeout since)', async () => {
  // The bundled ffmpeg (@ffmpeg-installer, a 2018 build) and the system's, when there is one (FFMPEG_PATH, or the
  // fallback where the installer has no binary).
  const ffmpegs = [undefined, ...['/usr/bin/ffmpeg'].filter((f) => existsSync(f))];
  for (const ffmpegPath of ffmpegs) {
    for (const url of ['rtsp://127.0.0.1:9/live', 'udp://127.0.0.1:9', 'http://127.0.0.1:9/live.ts']) {
      const env = { ...process.env, ...(ffmpegPath ? { FFMPEG_PATH: ffmpegPath } : {}) };
      const r = await run(process.execPath, ['--import', 'tsx', 'test/support/open-stream.ts', url], { env });
      const said = `${ffmpegPath ?? 'bundled ffmpeg'} ${url}: ${r.stdout}${r.stderr}`;
      assert.doesNotMatch(r.stdout, /Unrecognized option|Option not found|no error/, said);
      // udp waits for packets until the read timeout; the others are refused at once.
      assert.match(r.stdout, url.startsWith('udp') ? /.+/ : /Connection refused/, said);
    }
  }
});

test('with the system ffmpeg too (FFmpeg 5+ reports rgb24 with its colour properties): the same windows and clip input', { skip: existsSync('/usr/bin/ffmpeg') ? false : 'no /usr/bin/ffmpeg' }, async () => {
  const summary = async (ffmpegPath?: string) => {
    const env = { ...process.env, ...(ffmpegPath ? { FFMPEG_PATH: ffmpegPath } : {}) };
    const r = await run(process.execPath, ['--import', 'tsx', 'test/support/windows-summary.ts', long], { env });
    assert.equal(r.code, 0, `${ffmpegPath ?? 'bundled ffmpeg'}: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as { windows: Array<{ start: number; picked: number[]; dims: number[]; mean: number }>; clip: { dims: number[]; mean: number } };
  };
  const bundled = await summary();
  const system = await summary('/usr/bin/ffmpeg');
  assert.equal(system.windows.length, 12);
  // Grid and picks are exact; pixels may differ by the versions' YUV-to-RGB rounding.
  assert.deepEqual(system.windows.map((w) => [w.start, w.picked, w.dims]), bundled.windows.map((w) => [w.start, w.picked, w.dims]));
  system.windows.forEach((w, i) => assert.ok(Math.abs(w.mean - bundled.windows[i]!.mean) < 2, `window ${i} mean ${w.mean} vs ${bundled.windows[i]!.mean}`));
  assert.deepEqual(system.clip.dims, bundled.clip.dims);
  assert.ok(Math.abs(system.clip.mean - bundled.clip.mean) < 2);
});
