// Seeking decode (src/video/seek.ts) against the full decode, bit for bit, on clips rendered here: H.264 with x264's
// defaults (B-frames with b-pyramid, keyint 250, scenecut), short GOPs, open GOPs, variable frame rate, rotation,
// audio; MJPEG in AVI and MOV. Every check also asserts which path ran, so a fallback cannot pass for a seek.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSource } from '../src/video/container.ts';
import { decodeAllFrames, decodeFramesAt, forEachSampledFrame, type DecodeOptions } from '../src/video/decode.ts';
import { ffmpegPath, useSpawnerProcess } from '../src/video/ffmpeg.ts';
import { PIPELINES, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { planSeek, readSeekIndex, seekRunsFor, splitPlan } from '../src/video/seek.ts';
import { assertFallsBackToFull, assertSameFrames, framesAt } from './support/frames.ts';

const exec = promisify(execFile);
let dir = '';
const path = (name: string): string => join(dir, name);
const ffmpeg = async (...args: string[]): Promise<void> => {
  await exec(ffmpegPath(), ['-v', 'error', '-y', ...args]);
};
// testsrc's counter and moving gradient make every frame differ, so a frame from the wrong place is visible.
const testsrc = (size: string, rate: string, secs: number): string[] => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}:duration=${secs}`];
const x264 = (...params: string[]): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...(params.length ? ['-x264-params', params.join(':')] : [])];

/** Clips the seeking decode must take (and match the full decode on). */
const SEEKABLE = [
  'x264_defaults.mp4', // 640 frames: IDRs at 0, 250, 500; B-frames (b-pyramid normal)
  'x264_gop24.mp4', // many groups
  'x264_open_gop.mp4', // recovery-point I frames: only the IDR at 0 is a start point
  'x264_vfr.mp4', // irregular frame durations
  'x264_rotated.mov', // display matrix: 90 degrees
  'x264_audio_faststart.mp4',
  'x264_colr_pc.mp4', // container colour description (full-range BT.709) that the SPS does not carry
  'x264_colr_tv.mp4',
  'mjpeg.avi',
  'mjpeg.mov',
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidserve-seek-test-'));
  await Promise.all([
    ffmpeg(...testsrc('160x120', '25', 25.6), ...x264(), path('x264_defaults.mp4')),
    ffmpeg(...testsrc('96x64', '30', 6), ...x264('keyint=24:min-keyint=24'), path('x264_gop24.mp4')),
    ffmpeg(...testsrc('96x64', '25', 6), ...x264('keyint=40:open-gop=1'), path('x264_open_gop.mp4')),
    ffmpeg(...testsrc('96x64', '25', 6), '-vf', 'setpts=(N+floor(N/7)*0.6)/25/TB', '-vsync', 'passthrough', ...x264('keyint=30'), path('x264_vfr.mp4')),
    ffmpeg(...testsrc('96x64', '25', 4), '-f', 'lavfi', '-i', 'sine=duration=5', ...x264('keyint=20'), '-c:a', 'aac', '-movflags', '+faststart', path('x264_audio_faststart.mp4')),
    ffmpeg(...testsrc('96x64', '25', 4), '-c:v', 'mjpeg', '-q:v', '5', path('mjpeg.avi')),
    ffmpeg(...testsrc('96x64', '30000/1001', 3), '-c:v', 'mjpeg', '-q:v', '5', path('mjpeg.mov')),
  ]);
  await ffmpeg('-i', path('x264_gop24.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path('x264_rotated.mov'));
  for (const range of ['pc', 'tv']) {
    const colour = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', range];
    await ffmpeg('-i', path('x264_gop24.mp4'), '-c', 'copy', ...colour, '-movflags', '+write_colr', path(`x264_colr_${range}.mp4`));
  }
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('seeking decode returns exactly the frames of the full decode (H.264 with B-frames and keyint 250, MJPEG AVI/MOV)', async () => {
  for (const name of SEEKABLE) {
    const all = await decodeAllFrames(path(name));
    const n = all.T;
    const picks: Array<[string, number[]]> = [
      ['PPTSM', sampleIndices(PIPELINES.PPTSM!, n)],
      ['PPTSN', sampleIndices(PIPELINES.PPTSN!, n)],
      ['first and last', [0, n - 1]],
      ['a run across a group boundary, repeated and unordered', [...Array.from({ length: 30 }, (_, k) => Math.min(n - 1, Math.floor(n / 2) - 15 + k)), 3, 3, n - 2]],
    ];
    for (const [label, indices] of picks) {
      const { frames, mode } = await framesAt(path(name), indices);
      assert.equal(mode.mode, 'seek', `${name} ${label}: ${JSON.stringify(mode)}`);
      assertSameFrames(all, indices, frames, `${name} ${label}`);
    }
  }
});

test('only what the frames need is fed: IDR groups up to the last wanted frame, non-reference pictures left out', async () => {
  const bytes = new Uint8Array(await readFile(path('x264_defaults.mp4')));
  const src = (await openSource(bytes))!;
  const seek = (await readSeekIndex(src))!;
  await src.close();
  assert.equal(seek.format, 'h264');
  const n = seek.index.frames;
  assert.equal(n, 640);
  const idr = [...seek.start].flatMap((s, i) => (s ? [i] : []));
  assert.deepEqual(idr, [0, 250, 500], 'x264 defaults: an IDR every 250 frames');
  const nonRef = seek.ref.reduce((k, r) => k + (r ? 0 : 1), 0);
  assert.ok(nonRef >= 10, `B-frames that are not references: ${nonRef}`);

  // One frame late in the second group: from its IDR to it, references only (plus the frame itself).
  const f = 400;
  const plan = planSeek(seek, [f]);
  const p = seek.packetOf[f]!;
  assert.equal(plan.feed[0], 250);
  assert.equal(plan.feed[plan.feed.length - 1], p);
  assert.ok(plan.feed.every((q) => q === p || seek.ref[q]), 'only references besides the wanted frame');
  assert.ok(plan.feed.length < p - 250 + 1, `${plan.feed.length} packets fed of ${p - 250 + 1}`);
  assert.equal(plan.outputs.length, plan.feed.length);
  // PP-TSM on the whole clip: far fewer packets than frames.
  const pptsm = planSeek(seek, sampleIndices(PIPELINES.PPTSM!, n));
  assert.ok(pptsm.feed.length < n * 0.75, `${pptsm.feed.length} of ${n}`);

  const all = await decodeAllFrames(bytes);
  const { frames, mode } = await framesAt(bytes, [f]);
  assert.deepEqual(mode, { mode: 'seek', packets: plan.feed.length, frames: n, runs: 1 });
  assertSameFrames(all, [f], frames, 'frame 400 from bytes');
});

test('preprocessing through the seeking decode equals it with seeking off (PP-TSM float32, PP-TSN uint8)', async () => {
  for (const name of ['x264_defaults.mp4', 'x264_rotated.mov', 'mjpeg.avi']) {
    const modes: string[] = [];
    const onDecodePath: DecodeOptions['onDecodePath'] = (p) => modes.push(p.mode);
    const a = await preprocessVideo(PIPELINES.PPTSM!, path(name), { onDecodePath });
    const b = await preprocessVideo(PIPELINES.PPTSM!, path(name), { seek: false, onDecodePath });
    assert.deepEqual(modes, ['seek', 'full'], name);
    assert.ok(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer)), `${name} PP-TSM`);
    const c = await preprocessVideo(PIPELINES.PPTSN!, path(name), { stage: 'uint8' });
    const d = await preprocessVideo(PIPELINES.PPTSN!, path(name), { stage: 'uint8', seek: false });
    assert.ok(Buffer.from(c.data).equals(Buffer.from(d.data)), `${name} PP-TSN`);
  }
});

test('damaged packets anywhere, even in frames no pick needs, send decoding down the full path', async () => {
  // H.264: one sample's bytes zeroed (its NAL lengths no longer fill it). MJPEG: a frame's JPEG headers blanked.
  const mp4 = Buffer.from(await readFile(path('x264_gop24.mp4')));
  const src = (await openSource(new Uint8Array(mp4)))!;
  const seek = (await readSeekIndex(src))!;
  await src.close();
  const victim = seek.packetOf[100]!;
  mp4.fill(0, seek.index.offset[victim]!, seek.index.offset[victim]! + seek.index.size[victim]!);
  await writeFile(path('h264_damaged.mp4'), mp4);

  const avi = Buffer.from(await readFile(path('mjpeg.avi')));
  const chunks: number[] = [];
  for (let i = avi.indexOf('00dc'); i >= 0; i = avi.indexOf('00dc', i + 4)) chunks.push(i);
  const at = chunks[50]!;
  avi.fill(0, at + 10, at + 8 + avi.readUInt32LE(at + 4));
  await writeFile(path('mjpeg_damaged.avi'), avi);

  for (const name of ['h264_damaged.mp4', 'mjpeg_damaged.avi']) {
    await assertFallsBackToFull(path(name), name);
  }
});

test('IDR groups split over two ffmpeg runs: whole groups, balanced halves, the same frames as one run and the full decode', async () => {
  const bytes = new Uint8Array(await readFile(path('x264_gop24.mp4')));
  const src = (await openSource(bytes))!;
  const seek = (await readSeekIndex(src))!;
  await src.close();
  const n = seek.index.frames;
  const indices = sampleIndices(PIPELINES.PPTSM!, n);
  const plan = planSeek(seek, indices);
  const parts = splitPlan(plan, 2);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts.flatMap((q) => q.feed), plan.feed);
  assert.deepEqual(parts.flatMap((q) => q.outputs), plan.outputs);
  for (const q of parts) {
    assert.ok(plan.starts.includes(q.feed[0]!), 'each part starts at a group start');
    assert.ok(q.feed.length <= 0.6 * plan.feed.length, `${q.feed.length} of ${plan.feed.length} packets`);
  }
  assert.equal(splitPlan(plan, 1).length, 1);
  // One group, or groups too uneven to gain: one run.
  assert.equal(splitPlan(planSeek(seek, [30, 40]), 2).length, 1);

  const all = await decodeAllFrames(bytes);
  for (const seekRuns of [2, 1]) {
    const { frames, mode } = await framesAt(bytes, indices, { seekRuns });
    assert.deepEqual(mode, { mode: 'seek', packets: plan.feed.length, frames: n, runs: seekRuns }, `seekRuns ${seekRuns}`);
    assertSameFrames(all, indices, frames, `seekRuns ${seekRuns}`);
  }
  // The PP-TSM tensor through two runs equals it with seeking off, also with ffmpeg started by the spawner helper.
  const b = await preprocessVideo(PIPELINES.PPTSM!, bytes, { seek: false });
  for (const helper of [false, true]) {
    useSpawnerProcess(helper);
    try {
      const a = await preprocessVideo(PIPELINES.PPTSM!, bytes, { seekRuns: 2 });
      assert.ok(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer)), `PP-TSM tensor (helper: ${helper})`);
    } finally {
      useSpawnerProcess(false);
    }
  }
  // Aborted when the first frame arrives: both runs stop, no frame is delivered after the abort.
  const ac = new AbortController();
  const seen: number[] = [];
  const aborted = forEachSampledFrame(bytes, () => indices, (i) => {
    seen.push(i);
    ac.abort();
  }, { signal: ac.signal, seekRuns: 2 });
  await assert.rejects(aborted, { name: 'AbortError' });
  assert.equal(seen.length, 1);
});

test('two runs by default only while the cores are free (runnable threads from /proc/loadavg)', () => {
  assert.equal(seekRunsFor('0.52 0.58 0.59 1/467 12345\n', 2), 2, 'only the caller runs');
  assert.equal(seekRunsFor('0.52 0.58 0.59 2/467 12345\n', 2), 2, 'the caller and one other thread on 2 cores');
  assert.equal(seekRunsFor('0.52 0.58 0.59 3/467 12345\n', 2), 1, 'more threads than cores');
  assert.equal(seekRunsFor('0.52 0.58 0.59 4/467 12345\n', 4), 2);
  assert.equal(seekRunsFor('8.48 8.06 6.36 17/350 12697\n', 2), 1);
  assert.equal(seekRunsFor('0.00 0.00 0.00 1/10 1\n', 1), 1, 'one core');
  assert.equal(seekRunsFor(undefined, 8), 1, 'unknown (not Linux)');
  assert.equal(seekRunsFor('garbage', 8), 1);
});

test('a decoding error in one of two runs sends decoding down the full path (the same frames)', async () => {
  // Slice data garbled inside a reference picture of the second half: the packet structure stays sound (so the
  // index checks pass), the decoder complains.
  const mp4 = Buffer.from(await readFile(path('x264_gop24.mp4')));
  const src = (await openSource(new Uint8Array(mp4)))!;
  const seek = (await readSeekIndex(src))!;
  await src.close();
  const n = seek.index.frames;
  const indices = sampleIndices(PIPELINES.PPTSM!, n);
  const parts = splitPlan(planSeek(seek, indices), 2);
  assert.equal(parts.length, 2);
  // The largest reference picture of the second half that is not its IDR.
  const victim = parts[1]!.feed.filter((p) => !seek.start[p] && seek.ref[p]).sort((p, q) => seek.index.size[q]! - seek.index.size[p]!)[0]!;
  assert.ok(seek.index.size[victim]! > 60, `a reference picture to damage (${seek.index.size[victim]} bytes)`);
  const at = seek.index.offset[victim]!;
  const size = seek.index.size[victim]!;
  for (let i = Math.floor(size / 3); i < size - 8; i += 3) mp4[at + i] = (mp4[at + i]! * 7 + 91) & 0xff;
  await writeFile(path('h264_garbled.mp4'), mp4);

  const all = await decodeAllFrames(path('h264_garbled.mp4'));
  const { frames, mode } = await framesAt(path('h264_garbled.mp4'), indices, { seekRuns: 2 });
  assert.equal(mode.mode, 'full', JSON.stringify(mode));
  assert.match((mode as { reason: string }).reason, /not verified/);
  assertSameFrames(all, indices, frames, 'garbled');
});

test('the container colour description reaches the decoder: without it the frames would differ', async () => {
  const plain = await decodeAllFrames(path('x264_gop24.mp4'));
  const pc = await decodeAllFrames(path('x264_colr_pc.mp4'));
  assert.ok(!Buffer.from(pc.data).equals(Buffer.from(plain.data)), 'colr changes the RGB conversion');
});

test('seek: false and unsupported codecs decode in full; out-of-range frames are input errors either way', async () => {
  const all = await decodeAllFrames(path('x264_gop24.mp4'));
  const off = await framesAt(path('x264_gop24.mp4'), [7, 100], { seek: false });
  assert.deepEqual(off.mode, { mode: 'full', reason: 'seeking turned off' });
  assertSameFrames(all, [7, 100], off.frames, 'seek off');
  await ffmpeg(...testsrc('96x64', '25', 2), '-c:v', 'mpeg4', path('mpeg4.avi'));
  assert.equal((await framesAt(path('mpeg4.avi'), [3])).mode.mode, 'full');
  for (const seekOn of [true, false])
    await assert.rejects(decodeFramesAt(path('x264_gop24.mp4'), [all.T], { seek: seekOn }), /out of range/);
});
