// Decoding videos other than example.avi: containers, codecs, sizes, frame rates, lengths, rotation, bad input.
// The videos are generated here with the same ffmpeg the decoder uses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ServingError } from '../src/errors.ts';
import { decodeAllFrames, decodeSampledFrames, parseRate, probeVideo, rgbOutputSize, type Frames } from '../src/video/decode.ts';
import { ffmpegPath } from '../src/video/ffmpeg.ts';
import { PIPELINES, preprocessFrames, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { appliedRotation, rotateRgb } from '../src/video/rotate.ts';

const run = promisify(execFile);
let dir = '';
const path = (name: string): string => join(dir, name);

async function ffmpeg(...args: string[]): Promise<void> {
  await run(ffmpegPath(), ['-v', 'error', '-y', ...args]);
}
const testsrc = (size: string, rate: string, secs: number): string[] => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`, '-t', String(secs)];

interface Case {
  file: string;
  frames: number;
  width: number;
  height: number;
  codec: string;
}
const CASES: Case[] = [
  // ffmpeg writes the moov atom at the end by default: needs a seekable input.
  { file: 'h264_moov_end.mp4', frames: 60, width: 160, height: 90, codec: 'h264' },
  { file: 'vp8.webm', frames: 30, width: 96, height: 64, codec: 'vp8' },
  { file: 'vp9.webm', frames: 30, width: 96, height: 64, codec: 'vp9' },
  { file: 'odd_ffv1.mkv', frames: 36, width: 121, height: 67, codec: 'ffv1' },
  { file: 'ntsc_mjpeg.mov', frames: 45, width: 128, height: 72, codec: 'mjpeg' },
  { file: 'one_frame.mp4', frames: 1, width: 64, height: 48, codec: 'h264' },
  // Two minutes at 15 fps.
  { file: 'long_mpeg4.avi', frames: 1800, width: 64, height: 48, codec: 'mpeg4' },
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidserve-video-test-'));
  await Promise.all([
    ffmpeg(...testsrc('160x90', '30', 2), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path('h264_moov_end.mp4')),
    ffmpeg(...testsrc('96x64', '25', 1.2), '-c:v', 'libvpx', '-b:v', '300k', path('vp8.webm')),
    ffmpeg(...testsrc('96x64', '25', 1.2), '-c:v', 'libvpx-vp9', path('vp9.webm')),
    ffmpeg(...testsrc('121x67', '24', 1.5), '-c:v', 'ffv1', path('odd_ffv1.mkv')),
    ffmpeg(...testsrc('128x72', '30000/1001', 1.5), '-c:v', 'mjpeg', '-q:v', '4', path('ntsc_mjpeg.mov')),
    ffmpeg(...testsrc('64x48', '30', 1), '-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path('one_frame.mp4')),
    ffmpeg(...testsrc('64x48', '15', 120), '-c:v', 'mpeg4', '-q:v', '10', path('long_mpeg4.avi')),
    ffmpeg('-f', 'lavfi', '-i', 'sine', '-t', '1', path('audio_only.m4a')),
  ]);
  // Rotation metadata (display matrix) on a copy of the h264 stream, moov moved to the front.
  await ffmpeg('-i', path('h264_moov_end.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', '-movflags', '+faststart', path('rotated.mp4'));
  await ffmpeg('-i', path('h264_moov_end.mp4'), '-c', 'copy', '-movflags', '+faststart', path('faststart.mp4'));
  // Audio longer than the video: the container duration (what cv2's frame count is estimated from) is 2 s.
  await ffmpeg(
    ...['-f', 'lavfi', '-t', '1', '-i', 'testsrc=size=96x64:rate=25', '-f', 'lavfi', '-t', '2', '-i', 'sine'],
    ...['-c:v', 'libvpx', '-c:a', 'libvorbis', path('long_audio.webm')],
  );
  // MJPEG in AVI with two frames' JPEG headers wiped: 30 packets, 28 decodable frames.
  await ffmpeg(...testsrc('96x64', '25', 1.2), '-c:v', 'mjpeg', '-q:v', '5', path('mjpeg.avi'));
  const avi = await readFile(path('mjpeg.avi'));
  const soi: number[] = [];
  for (let i = 0; i + 1 < avi.length; i++) if (avi[i] === 0xff && avi[i + 1] === 0xd8) soi.push(i);
  for (const k of [10, 11]) avi.fill(0, soi[k]!, soi[k]! + 300);
  await writeFile(path('mjpeg_damaged.avi'), avi);
  for (const at of soi) avi.fill(0, at, at + 300);
  await writeFile(path('mjpeg_undecodable.avi'), avi);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const frameAt = (f: Frames, t: number): Buffer => {
  const size = f.H * f.W * 3;
  return Buffer.from(f.data.buffer, f.data.byteOffset + t * size, size);
};

for (const c of CASES) {
  test(`${c.file}: probe, full decode, sampled decode and preprocessing agree`, async () => {
    const info = await probeVideo(path(c.file));
    assert.deepEqual([info.frames, info.width, info.height, info.codec, info.rotation], [c.frames, c.width, c.height, c.codec, 0]);
    const all = await decodeAllFrames(path(c.file));
    assert.deepEqual([all.T, all.H, all.W], [c.frames, c.height, c.width]);
    // testsrc frames differ from each other (moving counter), so frame order is observable.
    if (all.T > 1) assert.ok(!frameAt(all, 0).equals(frameAt(all, all.T - 1)));

    for (const name of ['PPTSM', 'PPTSN']) {
      const spec = PIPELINES[name]!;
      if (name === 'PPTSN' && all.T <= 25) {
        await assert.rejects(preprocessVideo(spec, path(c.file)), (e: unknown) => e instanceof ServingError && /too short/.test(e.message));
        assert.throws(() => preprocessFrames(spec, all), /too short/);
        continue;
      }
      const idx = sampleIndices(spec, all.T);
      const sampled = await decodeSampledFrames(path(c.file), (n) => sampleIndices(spec, n));
      assert.equal(sampled.T, idx.length);
      idx.forEach((i, t) => assert.ok(frameAt(sampled, t).equals(frameAt(all, i)), `${name}: sampled frame ${t} = frame ${i}`));
      if (name === 'PPTSM' || c.frames < 100) {
        const fromFile = await preprocessVideo(spec, path(c.file), { stage: 'uint8' });
        const fromFrames = preprocessFrames(spec, all, { stage: 'uint8' });
        assert.deepEqual(fromFile.dims, name === 'PPTSM' ? [8, 3, 224, 224] : [250, 3, 224, 224]);
        assert.ok(Buffer.from(fromFile.data).equals(Buffer.from(fromFrames.data)), `${name} tensor`);
      }
    }
  });
}

test('bytes input: mp4 with the moov atom at the end decodes from a Uint8Array like from the file', async () => {
  const bytes = new Uint8Array(await readFile(path('h264_moov_end.mp4')));
  const a = await decodeAllFrames(bytes);
  const b = await decodeAllFrames(path('h264_moov_end.mp4'));
  assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)));
  const x = await preprocessVideo(PIPELINES.PPTSM!, bytes);
  assert.deepEqual(Array.from(x.data.subarray(0, 64)), Array.from(preprocessFrames(PIPELINES.PPTSM!, b).data.subarray(0, 64)));
  assert.deepEqual(await probeVideo(bytes), await probeVideo(path('h264_moov_end.mp4')));
});

test('rotation metadata: display (ffmpeg / OpenCV 4.7+), cv2-4.6 (its sign bug) and none', async () => {
  // This ffmpeg stores "rotate=90" as display matrix angle +90: shown turned 270° clockwise (90° counter-clockwise).
  const info = await probeVideo(path('rotated.mp4'));
  assert.equal(info.rotation, 270);
  assert.deepEqual([info.width, info.height], [90, 160]);
  assert.equal((await probeVideo(path('rotated.mp4'), { orientation: 'cv2-4.6' })).rotation, 90);
  assert.deepEqual(await probeVideo(path('rotated.mp4'), { orientation: 'none' }), { ...info, rotation: 0, width: 160, height: 90 });

  const rot = await decodeAllFrames(path('rotated.mp4'));
  const plain = await decodeAllFrames(path('faststart.mp4'));
  assert.deepEqual([rot.T, rot.H, rot.W], [plain.T, plain.W, plain.H]);
  // 'display' equals ffmpeg's own auto-rotation, byte for byte.
  const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-i', path('rotated.mp4'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 26,
  });
  assert.ok(Buffer.from(rot.data).equals(stdout));
  // 90° counter-clockwise: rotated(x', y') = plain(x = W-1-y', y = x').
  for (const t of [0, 17, plain.T - 1]) {
    const r = frameAt(rot, t);
    const p = frameAt(plain, t);
    let mismatches = 0;
    for (let y = 0; y < rot.H; y++) {
      for (let x = 0; x < rot.W; x++) {
        const ro = (y * rot.W + x) * 3;
        const po = (x * plain.W + (plain.W - 1 - y)) * 3;
        if (r[ro] !== p[po] || r[ro + 1] !== p[po + 1] || r[ro + 2] !== p[po + 2]) mismatches++;
      }
    }
    assert.equal(mismatches, 0, `frame ${t}`);
  }
  // OpenCV 4.6.0 turns the other way: the display result upside down.
  const cv46 = await decodeAllFrames(path('rotated.mp4'), { orientation: 'cv2-4.6' });
  assert.deepEqual([cv46.H, cv46.W], [rot.H, rot.W]);
  const a = frameAt(cv46, 5);
  const b = frameAt(rot, 5);
  const n = rot.H * rot.W;
  for (const i of [0, 1234, n - 1]) assert.deepEqual([...a.subarray(i * 3, i * 3 + 3)], [...b.subarray((n - 1 - i) * 3, (n - 1 - i) * 3 + 3)]);
  const none = await decodeAllFrames(path('rotated.mp4'), { orientation: 'none' });
  assert.ok(Buffer.from(none.data).equals(Buffer.from(plain.data)));
  // The server-side path turns the sampled frames the same way.
  const sampled = await decodeSampledFrames(path('rotated.mp4'), (n) => [3, n - 1], { orientation: 'cv2-4.6' });
  assert.ok(frameAt(sampled, 0).equals(frameAt(cv46, 3)) && frameAt(sampled, 1).equals(frameAt(cv46, cv46.T - 1)));
});

test('one-frame video: PP-TSM repeats the frame 8 times', async () => {
  const x = await preprocessVideo(PIPELINES.PPTSM!, path('one_frame.mp4'), { stage: 'uint8' });
  const row = 3 * 224 * 224;
  for (let t = 1; t < 8; t++) assert.ok(Buffer.from(x.data.subarray(t * row, (t + 1) * row)).equals(Buffer.from(x.data.subarray(0, row))));
});

async function assertInputError(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServingError, `expected ServingError, got ${String(e)}`);
    assert.equal(e.code, 5000);
    assert.match(e.message, re);
    return true;
  });
}

test('bad input gives clear input errors', async () => {
  const text = path('notes.mp4');
  await writeFile(text, 'this is not a video\n'.repeat(50));
  await assertInputError(probeVideo(text), /notes\.mp4' is not a (readable )?video/);
  await assertInputError(decodeAllFrames(new TextEncoder().encode('hello')), /uploaded video \(5 bytes\) is not a (readable )?video/);
  await assertInputError(decodeAllFrames(new Uint8Array(0)), /empty/);
  await assertInputError(decodeAllFrames(path('missing.avi')), /missing\.avi': file not found/);
  // Paths are files, never ffmpeg protocols.
  await assertInputError(probeVideo(`concat:${path('vp8.webm')}|${path('vp8.webm')}`), /file not found/);
  await assertInputError(decodeAllFrames(path('audio_only.m4a')), /has no video stream/);
  await assertInputError(preprocessVideo(PIPELINES.PPTSM!, path('audio_only.m4a')), /has no video stream/);
  // 30 packets, none of which decodes.
  await assertInputError(decodeAllFrames(path('mjpeg_undecodable.avi')), /mjpeg_undecodable\.avi' has no decodable video frames/);
  await assertInputError(preprocessVideo(PIPELINES.PPTSM!, path('mjpeg_undecodable.avi')), /has no decodable video frames/);
});

test('truncated files are reported as truncated', async () => {
  for (const name of ['h264_moov_end.mp4', 'faststart.mp4', 'vp9.webm', 'odd_ffv1.mkv']) {
    const bytes = await readFile(path(name));
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    await assertInputError(decodeAllFrames(cut), /truncated/);
    await assertInputError(decodeSampledFrames(cut, (n) => [n - 1]), /truncated/);
  }
});

test('an AbortSignal stops decoding (ffmpeg is killed) and rejects with AbortError', async () => {
  const ac = new AbortController();
  const p = decodeAllFrames(path('long_mpeg4.avi'), { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(p, { name: 'AbortError' });
  await assert.rejects(
    preprocessVideo(PIPELINES.PPTSM!, new Uint8Array(await readFile(path('vp8.webm'))), { signal: AbortSignal.abort() }),
    { name: 'AbortError' },
  );
});

test('cv2 frame count vs readable frames: reads past the readable frames are skipped, like the seed client', async () => {
  // webm: cv2 estimates duration * fps = 50 frames, but only 25 video frames exist.
  assert.equal((await probeVideo(path('long_audio.webm'))).frames, 50);
  const webm = await decodeAllFrames(path('long_audio.webm'));
  assert.equal(webm.T, 25);
  // Damaged MJPEG: two packets do not decode; the sampler must see 28 frames, not 30.
  assert.equal((await probeVideo(path('mjpeg_damaged.avi'))).frames, 30);
  const all = await decodeAllFrames(path('mjpeg_damaged.avi'));
  assert.equal(all.T, 28);
  for (const [file, frames] of [['long_audio.webm', webm], ['mjpeg_damaged.avi', all]] as const) {
    const seen: number[] = [];
    const s = await decodeSampledFrames(path(file), (n) => {
      seen.push(n);
      return sampleIndices(PIPELINES.PPTSM!, n);
    });
    assert.equal(seen[seen.length - 1], frames.T, `${file}: last pick saw the readable frame count`);
    sampleIndices(PIPELINES.PPTSM!, frames.T).forEach((i, t) => assert.ok(frameAt(s, t).equals(frameAt(frames, i)), `${file} t=${t}`));
  }
});

test('rotateRgb is cv::rotate (odd sizes too) and appliedRotation follows each mode', () => {
  // 3 wide, 2 tall; pixel value = 10*y + x in every channel.
  const src = Uint8Array.from({ length: 18 }, (_, i) => 10 * Math.floor(i / 9) + (Math.floor(i / 3) % 3));
  const px = (a: Uint8Array) => Array.from({ length: a.length / 3 }, (_, i) => a[i * 3]);
  const out = new Uint8Array(18);
  rotateRgb(src, 3, 2, 90, out); // clockwise: 2 wide, 3 tall
  assert.deepEqual(px(out), [10, 0, 11, 1, 12, 2]);
  rotateRgb(src, 3, 2, 270, out);
  assert.deepEqual(px(out), [2, 12, 1, 11, 0, 10]);
  rotateRgb(src, 3, 2, 180, out);
  assert.deepEqual(px(out), [12, 11, 10, 2, 1, 0]);
  // Portrait phone video: display matrix -90.
  assert.equal(appliedRotation(-90, 'display'), 90);
  assert.equal(appliedRotation(-90, 'cv2-4.6'), 270);
  assert.equal(appliedRotation(-90, 'none'), 0);
  assert.equal(appliedRotation(180, 'cv2-4.6'), 180);
  assert.equal(appliedRotation(-45, 'display'), 0);
});

test('frame rates printed by ffmpeg map back to exact NTSC rationals', () => {
  assert.equal(parseRate('25'), 25);
  assert.equal(parseRate('29.97'), 30000 / 1001);
  assert.equal(parseRate('23.98'), 24000 / 1001);
  assert.equal(parseRate('59.94'), 60000 / 1001);
  assert.equal(parseRate('12.5'), 12.5);
  assert.equal(parseRate('1k'), 1000);
  assert.ok(Number.isNaN(parseRate(undefined)));
});

test('rgbOutputSize reads the rgb24 output size from the reports of FFmpeg 4 (bundled) and FFmpeg 5+ (with colour properties)', () => {
  // Output sections as each ffmpeg prints them for `-f lavfi -i testsrc=size=96x64 -f rawvideo -pix_fmt rgb24`.
  const ffmpeg4 = `Output #0, rawvideo, to 'pipe:1':
  Metadata:
    encoder         : Lavf58.24.100
    Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 96x64 [SAR 1:1 DAR 3:2], q=2-31, 737 kb/s, 5 fps, 5 tbn, 5 tbc`;
  const ffmpeg5 = `Output #0, rawvideo, to 'pipe:1':
  Metadata:
    encoder         : Lavf59.27.100
  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(progressive), 96x64 [SAR 1:1 DAR 3:2], q=2-31, 737 kb/s, 5 fps, 5 tbn`;
  const ffmpeg5Colour = ffmpeg5.replace('rgb24(progressive)', 'rgb24(pc, gbr/unknown/unknown, progressive)');
  for (const report of [ffmpeg4, ffmpeg5, ffmpeg5Colour]) assert.deepEqual(rgbOutputSize(report), { width: 96, height: 64 }, report);
  // Not yet reported: the input's stream line alone is not the output's.
  assert.equal(rgbOutputSize("Input #0, lavfi, from 'testsrc':\n  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 96x64"), null);
});
