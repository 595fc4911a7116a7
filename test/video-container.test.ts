// The frame count read from AVI / MP4 / MOV headers (container.ts) against ffmpeg's probe, on generated videos and
// example.avi: wherever the header answers, it must equal the probe; for the common layouts it must answer.
// Also: ffmpeg started through the spawner helper (spawner.ts) behaves as when started directly, and PP-TSM frames
// transformed while decoding equal the batch pipeline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { containerFrameCount } from '../src/video/container.ts';
import { decodeAllFrames, decodeSampledFrames, forEachSampledFrame, probeVideo } from '../src/video/decode.ts';
import { ffmpegPath, spawnFfmpeg, useSpawnerProcess, waitForExit } from '../src/video/ffmpeg.ts';
import { RemoteProcess } from '../src/video/spawner.ts';
import { PIPELINES, preprocessFrames, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { needsShared, SHARED } from './support/shared.ts';

const run = promisify(execFile);
const EXAMPLE = SHARED.exampleAvi;
let dir = '';
const path = (name: string): string => join(dir, name);
const ffmpeg = async (...args: string[]): Promise<void> => {
  await run(ffmpegPath(), ['-v', 'error', '-y', ...args]);
};
// Durations inside the filter sources: a trailing -t would apply to the next input, not to this one.
const testsrc = (size: string, rate: string, secs: number): string[] => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}:duration=${secs}`];
const sine = (secs: number): string[] => ['-f', 'lavfi', '-i', `sine=duration=${secs}`];

/** Files whose header must give the count (the layouts encoders write). */
const ANSWERED = [
  'h264.mp4',
  'h264_faststart.mp4',
  'h264_audio.mp4',
  'rotated.mp4',
  'one_frame.mp4',
  'ntsc_mjpeg.mov',
  'mpeg4.avi',
  'mpeg4_audio.avi',
  'mjpeg_damaged.avi',
  'h264_large_chunks.mov',
];
/** Files the header may or may not settle (then the probe decides); where it answers it must agree. */
const OTHERS = ['vp8.webm', 'ffv1.mkv', 'trimmed.mp4', 'fragmented.mp4', 'audio_only.m4a', 'cut.avi', 'cut.mp4', 'mpeg.ts'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidserve-container-test-'));
  const x264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
  await Promise.all([
    ffmpeg(...testsrc('96x64', '30', 2), ...x264, path('h264.mp4')),
    ffmpeg(...testsrc('96x64', '25', 1.6), ...sine(3), ...x264, '-c:a', 'aac', '-movflags', '+faststart', path('h264_audio.mp4')),
    ffmpeg(...testsrc('64x48', '30', 1), '-frames:v', '1', ...x264, path('one_frame.mp4')),
    ffmpeg(...testsrc('96x64', '30000/1001', 1.5), '-c:v', 'mjpeg', '-q:v', '6', path('ntsc_mjpeg.mov')),
    ffmpeg(...testsrc('64x48', '15', 20), '-c:v', 'mpeg4', '-q:v', '10', path('mpeg4.avi')),
    ffmpeg(...testsrc('64x48', '24', 3), ...sine(2), '-c:v', 'mpeg4', '-c:a', 'pcm_s16le', path('mpeg4_audio.avi')),
    ffmpeg(...testsrc('96x64', '25', 1.2), '-c:v', 'mjpeg', '-q:v', '5', path('mjpeg.avi')),
    ffmpeg(...testsrc('96x64', '25', 1.2), '-c:v', 'libvpx', '-b:v', '200k', path('vp8.webm')),
    ffmpeg(...testsrc('96x64', '24', 1), '-c:v', 'ffv1', path('ffv1.mkv')),
    ffmpeg(...testsrc('96x64', '25', 2), ...x264, '-movflags', 'frag_keyframe+empty_moov', path('fragmented.mp4')),
    ffmpeg(...testsrc('96x64', '25', 1), '-c:v', 'mpeg2video', '-f', 'mpegts', path('mpeg.ts')),
    ffmpeg(...sine(1), path('audio_only.m4a')),
  ]);
  await Promise.all([
    ffmpeg('-i', path('h264.mp4'), '-c', 'copy', '-movflags', '+faststart', path('h264_faststart.mp4')),
    ffmpeg('-i', path('h264.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path('rotated.mp4')),
    // Starting mid-GOP with stream copy writes an edit list that skips the decoded-only frames.
    ffmpeg('-ss', '0.5', '-i', path('h264.mp4'), '-c', 'copy', path('trimmed.mp4')),
    // Interleaving chunks of many samples (stsc runs of several samples per chunk).
    ffmpeg('-i', path('h264.mp4'), '-c', 'copy', '-f', 'mov', '-movflags', '+faststart', path('h264_large_chunks.mov')),
  ]);
  // Damaged MJPEG in AVI: 30 packets, two of which do not decode (the count is still 30).
  const avi = await readFile(path('mjpeg.avi'));
  const soi: number[] = [];
  for (let i = 0; i + 1 < avi.length; i++) if (avi[i] === 0xff && avi[i + 1] === 0xd8) soi.push(i);
  for (const k of [10, 11]) avi.fill(0, soi[k]!, soi[k]! + 300);
  await writeFile(path('mjpeg_damaged.avi'), avi);
  const mpeg4 = await readFile(path('mpeg4.avi'));
  await writeFile(path('cut.avi'), mpeg4.subarray(0, Math.floor(mpeg4.length * 0.7)));
  const mp4 = await readFile(path('h264_faststart.mp4'));
  await writeFile(path('cut.mp4'), mp4.subarray(0, Math.floor(mp4.length * 0.7)));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function probeFrames(file: string): Promise<number | undefined> {
  try {
    return (await probeVideo(file)).frames;
  } catch {
    return undefined;
  }
}

/** The header's count equals the probe's, from the file and from its bytes. */
async function headerMatchesProbe(file: string): Promise<void> {
  const fromFile = await containerFrameCount(file);
  const fromBytes = await containerFrameCount(new Uint8Array(await readFile(file)));
  const probed = await probeFrames(file);
  assert.ok(fromFile, `${file}: header count expected`);
  assert.equal(fromFile.frames, probed, `${file}: header ${fromFile.frames}, probe ${probed}`);
  assert.deepEqual(fromBytes, fromFile, `${file}: bytes and file agree`);
}

/** Frames transformed while decoding equal the batch pipeline on all decoded frames (float32 and uint8). */
async function streamedMatchesBatch(file: string): Promise<void> {
  const all = await decodeAllFrames(file);
  let timings: { decodeMs: number; preprocessMs: number } | undefined;
  const streamed = await preprocessVideo(PIPELINES.PPTSM!, new Uint8Array(await readFile(file)), { onTimings: (t) => (timings = t) });
  const batch = preprocessFrames(PIPELINES.PPTSM!, all);
  assert.deepEqual(streamed.dims, batch.dims, file);
  assert.ok(Buffer.from(streamed.data.buffer).equals(Buffer.from(batch.data.buffer)), `${file}: float32 tensor`);
  assert.ok(timings && timings.decodeMs > 0 && timings.preprocessMs > 0);
  const u8 = await preprocessVideo(PIPELINES.PPTSM!, file, { stage: 'uint8' });
  assert.ok(Buffer.from(u8.data).equals(Buffer.from(preprocessFrames(PIPELINES.PPTSM!, all, { stage: 'uint8' }).data)), `${file}: uint8`);
}

test('header frame counts equal the ffmpeg probe (AVI, MP4, MOV), from files and from bytes', async () => {
  for (const file of ANSWERED.map(path)) await headerMatchesProbe(file);
  assert.deepEqual(await containerFrameCount(path('h264_faststart.mp4')), { format: 'mov', frames: 60, width: 96, height: 64 });
  assert.deepEqual(await containerFrameCount(path('mpeg4.avi')), { format: 'avi', frames: 300, width: 64, height: 48 });
});

test('other containers and unusual layouts: no answer, or the probe\'s answer', async () => {
  for (const name of OTHERS) {
    const got = await containerFrameCount(path(name));
    if (got === undefined) continue;
    assert.equal(got.frames, await probeFrames(path(name)), `${name}: header ${got.frames}`);
  }
  for (const name of ['vp8.webm', 'ffv1.mkv', 'fragmented.mp4', 'audio_only.m4a', 'cut.avi', 'cut.mp4', 'mpeg.ts'])
    assert.equal(await containerFrameCount(path(name)), undefined, name);
  assert.equal(await containerFrameCount(new TextEncoder().encode('RIFF....AVI junk')), undefined);
  assert.equal(await containerFrameCount(new Uint8Array(0)), undefined);
  assert.equal(await containerFrameCount(path('missing.avi')), undefined);
});

test('garbage after valid headers never throws: every truncation of a header answers undefined or the full count', async () => {
  for (const name of ['h264_faststart.mp4', 'mpeg4_audio.avi']) {
    const bytes = new Uint8Array(await readFile(path(name)));
    const full = (await containerFrameCount(bytes))!.frames;
    for (let cut = 0; cut < Math.min(bytes.length, 6000); cut += 97) {
      const got = await containerFrameCount(bytes.subarray(0, cut));
      assert.ok(got === undefined || got.frames === full, `${name} cut at ${cut}`);
    }
  }
});

test('one ffmpeg run: sampled decoding from the header count equals indexing all decoded frames', async () => {
  for (const name of ['h264_audio.mp4', 'rotated.mp4', 'mpeg4_audio.avi', 'mjpeg_damaged.avi', 'trimmed.mp4']) {
    const all = await decodeAllFrames(path(name));
    const idx = sampleIndices(PIPELINES.PPTSM!, all.T);
    const s = await decodeSampledFrames(new Uint8Array(await readFile(path(name))), (n) => sampleIndices(PIPELINES.PPTSM!, n));
    assert.deepEqual([s.T, s.H, s.W], [idx.length, all.H, all.W], name);
    const size = all.H * all.W * 3;
    idx.forEach((i, t) =>
      assert.ok(Buffer.from(s.data.subarray(t * size, (t + 1) * size)).equals(Buffer.from(all.data.subarray(i * size, (i + 1) * size))), `${name} t=${t}`),
    );
  }
});

test('ffmpeg started by the spawner helper: same frames, same errors, abort kills it', async () => {
  const bytes = new Uint8Array(await readFile(path('h264_audio.mp4')));
  const pick = (n: number): number[] => sampleIndices(PIPELINES.PPTSM!, n);
  const direct = await decodeSampledFrames(bytes, pick);
  const errors = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const p of [
      () => decodeSampledFrames(new TextEncoder().encode('not a video at all'), pick),
      () => decodeSampledFrames(path('missing.mp4'), pick),
      () => decodeSampledFrames(bytes.subarray(0, Math.floor(bytes.length * 0.6)), pick),
      () => decodeAllFrames(path('audio_only.m4a')),
    ])
      out.push(await p().then(() => 'resolved', (e: Error) => e.message.replace(/vidserve-\w+\/input/, 'TMP/input')));
    return out;
  };
  const directErrors = await errors();
  useSpawnerProcess(true);
  try {
    const child = spawnFfmpeg(['-version']);
    assert.ok(child instanceof RemoteProcess, 'spawned through the helper');
    child.stdout.resume();
    const run = await waitForExit(child);
    assert.equal(run.code, 0);
    const viaHelper = await decodeSampledFrames(bytes, pick);
    assert.deepEqual([viaHelper.T, viaHelper.H, viaHelper.W], [direct.T, direct.H, direct.W]);
    assert.ok(Buffer.from(viaHelper.data).equals(Buffer.from(direct.data)));
    assert.deepEqual(await errors(), directErrors);
    // Concurrent runs keep their streams apart.
    const many = await Promise.all([1, 2, 3].map(() => decodeAllFrames(path('mpeg4_audio.avi'))));
    const ref = await decodeAllFrames(path('mpeg4.avi'));
    assert.ok(ref.T > 0 && many.every((m) => Buffer.from(m.data).equals(Buffer.from(many[0]!.data))));
    // Aborted when the first sampled frame arrives: ffmpeg is still decoding the rest.
    const ac = new AbortController();
    const frames: number[] = [];
    const aborted = forEachSampledFrame(path('mpeg4.avi'), (n) => [0, n - 1], (i) => {
      frames.push(i);
      ac.abort();
    }, { signal: ac.signal });
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.deepEqual(frames, [0]);
    await assert.rejects(decodeAllFrames(path('mpeg4.avi'), { signal: AbortSignal.abort() }), { name: 'AbortError' });
    // The helper still serves after an abort.
    assert.ok(Buffer.from((await decodeSampledFrames(bytes, pick)).data).equals(Buffer.from(direct.data)));
  } finally {
    useSpawnerProcess(false);
  }
});

test('frames the decoder drops move the pick after decoding: the streamed tensor still equals the batch pipeline', async () => {
  // An MJPEG AVI whose frames 10..12 are blanked after the JPEG start marker: the index still counts 50 frames, the
  // decoder (like cv2's reads) yields 47, so the Sampler's pick changes once decoding has finished.
  // With frame 0 the only readable one (past ffmpeg's own 2/3 error limit, not cv2's), none of the first pick's
  // frames exists: the input comes from the second decode alone.
  const cases: Array<[string, number[], number]> = [
    ['mjpeg_dropped.avi', [10, 11, 12], 47],
    ['mjpeg_one_left.avi', Array.from({ length: 49 }, (_, k) => k + 1), 1],
  ];
  for (const [name, blank, readable] of cases) {
    const file = path(name);
    await ffmpeg(...testsrc('160x120', '25', 2), '-c:v', 'mjpeg', file);
    const b = Buffer.from(await readFile(file));
    const chunks: number[] = [];
    for (let i = b.indexOf('00dc'); i >= 0 && chunks.length < 50; i = b.indexOf('00dc', i + 4)) chunks.push(i);
    for (const k of blank) {
      const at = chunks[k]!;
      b.fill(0, at + 10, at + 8 + b.readUInt32LE(at + 4));
    }
    await writeFile(file, b);
    assert.equal((await containerFrameCount(new Uint8Array(b)))?.frames, 50);
    const all = await decodeAllFrames(file);
    assert.equal(all.T, readable, name);
    for (const stage of ['float32', 'uint8'] as const) {
      const streamed = await preprocessVideo(PIPELINES.PPTSM!, new Uint8Array(b), { stage });
      const batch = preprocessFrames(PIPELINES.PPTSM!, all, { stage });
      assert.deepEqual(streamed.dims, batch.dims);
      assert.ok(Buffer.from(streamed.data.buffer).equals(Buffer.from(batch.data.buffer)), `${name} ${stage}`);
    }
  }
});

test('PP-TSM frames transformed as they arrive equal the batch pipeline bit for bit (float32 and uint8)', async () => {
  for (const f of ['h264_audio.mp4', 'rotated.mp4', 'mjpeg_damaged.avi', 'one_frame.mp4', 'vp8.webm']) await streamedMatchesBatch(path(f));
});

describe('example.avi', needsShared(EXAMPLE), () => {
  test('example.avi: the AVI header count equals the probe (131 frames)', async () => {
    await headerMatchesProbe(EXAMPLE);
    assert.deepEqual(await containerFrameCount(EXAMPLE), { format: 'avi', frames: 131, width: 320, height: 240 });
  });

  test('example.avi: frames transformed as they arrive equal the batch pipeline', async () => {
    await streamedMatchesBatch(EXAMPLE);
  });
});
