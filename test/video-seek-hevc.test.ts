// Seeking decode of HEVC (src/video/hevc.ts + seek.ts) against the full decode, bit for bit, on clips rendered here with
// libx265: its defaults (open GOP: CRA keyframes with RASL pictures, B-frames), a closed GOP, a phone-like hvc1 MOV
// (rotation, audio), Main 10, temporal sub-layers. Every check also asserts which path ran and, where it is worked out
// here from the NAL unit types, how many packets were fed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSource } from '../src/video/container.ts';
import { decodeAllFrames } from '../src/video/decode.ts';
import { ffmpegPath } from '../src/video/ffmpeg.ts';
import { asStreamStart, hevcDependencies, hevcPicture, parseHvcC, type HevcPicture } from '../src/video/hevc.ts';
import { PIPELINES, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { decodePlan, planSeek, readSeekIndex, SeekUnverified, splitPlan, type SeekIndex } from '../src/video/seek.ts';
import { assertFallsBackToFull, assertSameFrames, framesAt, type DecodePath } from './support/frames.ts';

const exec = promisify(execFile);
let dir = '';
const path = (name: string): string => join(dir, name);
const ffmpeg = async (...args: string[]): Promise<void> => {
  await exec(ffmpegPath(), ['-v', 'error', '-y', ...args]);
};
const testsrc = (size: string, rate: string, secs: number): string[] => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}:duration=${secs}`];
// x265's own defaults (preset medium: open GOP, keyint 250, 4 B-frames with b-pyramid) unless params say otherwise.
const x265 = (pixFmt: string, ...params: string[]): string[] => ['-c:v', 'libx265', '-pix_fmt', pixFmt, '-x265-params', ['log-level=error', ...params].join(':')];

const CLIPS = [
  'x265_defaults.mp4', // 640 frames; IDR at 0, CRA keyframes near 250 and 500 with RASL pictures
  'x265_closed_gop.mp4', // IDR every 30 frames
  'x265_phone.mov', // hvc1 in MOV, display matrix 90 degrees, AAC audio, closed GOP every second
  'x265_main10.mp4', // yuv420p10le; open GOP every 40 frames (RASL_R pictures)
  'x265_temporal_layers.mp4', // TSA_N pictures at TemporalId 1
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidserve-seek-hevc-test-'));
  await Promise.all([
    ffmpeg(...testsrc('160x120', '25', 25.6), ...x265('yuv420p'), path('x265_defaults.mp4')),
    ffmpeg(...testsrc('96x64', '30', 6), ...x265('yuv420p', 'no-open-gop=1', 'keyint=30'), path('x265_closed_gop.mp4')),
    ffmpeg(...testsrc('96x64', '30', 5), '-f', 'lavfi', '-i', 'sine=duration=5', ...x265('yuv420p', 'no-open-gop=1', 'keyint=30'),
      '-tag:v', 'hvc1', '-metadata:s:v:0', 'rotate=90', '-c:a', 'aac', path('x265_phone.mov')),
    ffmpeg(...testsrc('96x64', '25', 6), ...x265('yuv420p10le', 'keyint=40'), path('x265_main10.mp4')),
    ffmpeg(...testsrc('96x64', '25', 6), ...x265('yuv420p', 'temporal-layers=1', 'keyint=40'), path('x265_temporal_layers.mp4')),
    renderJoined('hevc'),
    renderJoined('h264'),
  ]);
});

/**
 * Two encodes with different parameter sets joined as elementary streams (the second half flipped, with other coding
 * tools), each repeating its sets at every keyframe, then put in MP4: '<codec>_joined.mp4'. '<codec>_sets_once.mp4':
 * the same with each distinct set kept only where it first occurs, so the second half's later keyframes rely on sets
 * sent before them. No B-frames: a raw stream carries no timestamps to reorder by.
 */
async function renderJoined(format: 'hevc' | 'h264'): Promise<void> {
  const [a, b] = [path(`${format}_part_a`), path(`${format}_part_b`)];
  const enc = (...extra: string[]): string[] =>
    format === 'hevc'
      ? x265('yuv420p', 'repeat-headers=1', 'keyint=30', 'no-open-gop=1', 'bframes=0', ...extra)
      : ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-x264-params', ['keyint=30', 'min-keyint=30', 'scenecut=0', 'bframes=0', ...extra].join(':')];
  await Promise.all([
    ffmpeg(...testsrc('96x64', '25', 3), ...enc(), '-f', format, a),
    ffmpeg(...testsrc('96x64', '25', 3), '-vf', 'hflip', ...enc(...(format === 'hevc' ? ['sao=0', 'cbqpoffs=3'] : ['cabac=0', 'chroma-qp-offset=3'])), '-f', format, b),
  ]);
  const stream = Buffer.concat([await readFile(a), await readFile(b)]);
  // NAL units between 3-byte start codes, less trailing zero bytes (a 4-byte start code's first byte).
  const at: number[] = [];
  for (let i = stream.indexOf(Buffer.from([0, 0, 1])); i >= 0; i = stream.indexOf(Buffer.from([0, 0, 1]), i + 3)) at.push(i + 3);
  const nals = at.map((s, k) => {
    let e = k + 1 < at.length ? at[k + 1]! - 3 : stream.length;
    while (e > s && stream[e - 1] === 0) e--;
    return stream.subarray(s, e);
  });
  const isSet = (nal: Buffer): boolean => (format === 'hevc' ? [32, 33, 34].includes((nal[0]! >> 1) & 0x3f) : [7, 8].includes(nal[0]! & 0x1f));
  const seen = new Set<string>();
  const once = nals.filter((nal) => !isSet(nal) || (!seen.has(nal.toString('hex')) && seen.add(nal.toString('hex'))));
  const code = Buffer.from([0, 0, 0, 1]);
  for (const [name, list] of [['joined', nals], ['sets_once', once]] as const) {
    await writeFile(path(`${format}_${name}.${format}`), Buffer.concat(list.flatMap((nal) => [code, nal])));
    await ffmpeg('-r', '25', '-f', format, '-i', path(`${format}_${name}.${format}`), '-c', 'copy', ...(format === 'hevc' ? ['-tag:v', 'hvc1'] : []), path(`${format}_${name}.mp4`));
  }
}

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The seek index of a clip and every sample's picture, read with hevc.ts's sample parser. */
async function hevcIndex(name: string): Promise<{ seek: SeekIndex; pictures: HevcPicture[]; frameOf: Int32Array }> {
  const bytes = new Uint8Array(await readFile(path(name)));
  const src = (await openSource(bytes))!;
  const seek = await readSeekIndex(src);
  await src.close();
  assert.ok(seek, `${name}: seekable`);
  assert.equal(seek.format, 'hevc');
  const { nalLength } = parseHvcC(seek.index.hvcC!)!;
  const pictures = Array.from({ length: seek.index.frames }, (_, i) =>
    hevcPicture(bytes.subarray(seek.index.offset[i]!, seek.index.offset[i]! + seek.index.size[i]!), nalLength)!);
  const frameOf = new Int32Array(seek.index.frames);
  seek.packetOf.forEach((p, f) => (frameOf[p] = f));
  return { seek, pictures, frameOf };
}

const IDR = [19, 20];
const CRA = 21;
const RASL = [8, 9];

/**
 * Packets one frame needs, worked out from the NAL unit types alone: from the IDR or CRA before it (for a RASL
 * picture: the one before its CRA) to it, every picture but the sub-layer non-reference ones of the top TemporalId
 * and the start CRA's RASL pictures.
 */
function expectedPackets(pictures: HevcPicture[], p: number): number {
  const irap = (q: number): boolean => IDR.includes(pictures[q]!.type) || pictures[q]!.type === CRA;
  let s = p;
  while (!irap(s)) s--;
  if (RASL.includes(pictures[p]!.type)) for (s--; !irap(s); s--);
  const top = Math.max(...pictures.map((x) => x.temporalId));
  let k = 0;
  let inStartGop = true; // no IRAP since the start yet: RASL pictures here belong to the start picture
  for (let q = s; q <= p; q++) {
    const x = pictures[q]!;
    if (q > s && irap(q)) inStartGop = false;
    const nonRef = x.type <= 14 && x.type % 2 === 0 && x.temporalId === top;
    const raslOfStart = pictures[s]!.type === CRA && inStartGop && RASL.includes(x.type);
    if (q === s || q === p || (!nonRef && !raslOfStart)) k++;
  }
  return k;
}

test('HEVC seeking decode returns exactly the frames of the full decode (x265 defaults, closed GOP, hvc1 MOV rotated, Main 10, temporal layers)', async () => {
  for (const name of CLIPS) {
    const all = await decodeAllFrames(path(name));
    const n = all.T;
    const { pictures, frameOf } = await hevcIndex(name);
    assert.equal(pictures.length, n, `${name}: one frame per sample`);
    // The RASL pictures' frames (they need the group before their CRA) and the CRA frames themselves.
    const rasl = pictures.flatMap((x, p) => (RASL.includes(x.type) ? [frameOf[p]!] : []));
    const cra = pictures.flatMap((x, p) => (x.type === CRA ? [frameOf[p]!] : []));
    const picks: Array<[string, number[]]> = [
      ['PPTSM', sampleIndices(PIPELINES.PPTSM!, n)],
      ['PPTSN', sampleIndices(PIPELINES.PPTSN!, n)],
      ['first and last', [0, n - 1]],
      ['a run across a group boundary, repeated and unordered', [...Array.from({ length: 30 }, (_, k) => Math.min(n - 1, Math.floor(n / 2) - 15 + k)), 3, 3, n - 2]],
    ];
    if (rasl.length) picks.push(['RASL pictures and their CRAs', [...rasl, ...cra]]);
    for (const [label, indices] of picks) {
      const { frames, mode } = await framesAt(path(name), indices);
      assert.equal(mode.mode, 'seek', `${name} ${label}: ${JSON.stringify(mode)}`);
      assertSameFrames(all, indices, frames, `${name} ${label}`);
    }
  }
});

test('HEVC: only what a frame needs is fed (IDR/CRA start points, non-reference pictures and a start CRA\'s RASL pictures left out)', async () => {
  const checks: Array<[string, (pictures: HevcPicture[], frameOf: Int32Array) => number[]]> = [
    // x265 defaults: the CRA keyframes are start points; a frame late in the second GOP, and a RASL picture.
    ['x265_defaults.mp4', (pictures, frameOf) => {
      const cra = pictures.findIndex((x) => x.type === CRA);
      const rasl = pictures.findIndex((x, p) => p > cra && RASL.includes(x.type));
      assert.ok(cra > 0 && rasl > cra, 'x265 defaults: CRA keyframes with RASL pictures');
      return [frameOf[cra + 150]!, frameOf[rasl]!];
    }],
    ['x265_closed_gop.mp4', (_, frameOf) => [frameOf[100]!]],
    ['x265_phone.mov', (_, frameOf) => [frameOf[58]!]],
    ['x265_main10.mp4', (pictures, frameOf) => pictures.flatMap((x, p) => (x.type === 9 ? [frameOf[p]!] : [])).slice(0, 2)],
    ['x265_temporal_layers.mp4', (_, frameOf) => [frameOf[70]!]],
  ];
  for (const [name, framesOf] of checks) {
    const { seek, pictures, frameOf } = await hevcIndex(name);
    const all = await decodeAllFrames(path(name));
    const frames = framesOf(pictures, frameOf);
    assert.ok(frames.length > 0, name);
    for (const f of frames) {
      const expected = expectedPackets(pictures, seek.packetOf[f]!);
      assert.equal(planSeek(seek, [f]).feed.length, expected, `${name} frame ${f}: plan`);
      const { frames: got, mode } = await framesAt(path(name), [f]);
      assert.deepEqual(mode, { mode: 'seek', packets: expected, frames: seek.index.frames, runs: 1 } satisfies DecodePath, `${name} frame ${f}`);
      assertSameFrames(all, [f], got, `${name} frame ${f}`);
    }
  }
  // Temporal layers: the TemporalId 1 pictures (TSA_N) are the ones left out; sub-layer non-reference pictures of
  // TemporalId 0 (which TemporalId 1 pictures may use) are kept.
  const { seek, pictures } = await hevcIndex('x265_temporal_layers.mp4');
  const top = pictures.filter((x) => x.temporalId === 1);
  assert.ok(top.length > 20 && top.every((x) => x.type === 2), 'TSA_N at TemporalId 1');
  pictures.forEach((x, p) => assert.equal(seek.ref[p], x.temporalId === 1 ? 0 : 1, `packet ${p} (type ${x.type}, TemporalId ${x.temporalId})`));
});

test('parameter sets that change midway (two encodes joined, HEVC and H.264): a keyframe starts a group only where the sets in force are known', async () => {
  for (const format of ['hevc', 'h264'] as const) {
    for (const [name, starts] of [[`${format}_joined.mp4`, [0, 30, 60, 75, 105, 135]], [`${format}_sets_once.mp4`, [0, 30, 60, 75]]] as const) {
      const src = (await openSource(path(name)))!;
      const seek = (await readSeekIndex(src))!;
      await src.close();
      assert.equal(seek?.format, format, name);
      assert.deepEqual([...seek.index.key].flatMap((v, p) => (v ? [p] : [])), [0, 30, 60, 75, 105, 135], `${name}: keyframes`);
      // Without the sets sent at 75, decoding from 105 or 135 would use the first encode's sets.
      assert.deepEqual([...seek.start].flatMap((v, p) => (v ? [p] : [])), starts, `${name}: start points`);
      const all = await decodeAllFrames(path(name));
      const n = all.T;
      for (const indices of [sampleIndices(PIPELINES.PPTSM!, n), [n - 1], [110, 20]]) {
        // One ffmpeg run, and the groups split over two where they split evenly enough (splitPlan).
        for (const seekRuns of [1, 2]) {
          const plan = planSeek(seek, indices);
          const { frames, mode } = await framesAt(path(name), indices, { seekRuns });
          const expected = { mode: 'seek', packets: plan.feed.length, frames: n, runs: splitPlan(plan, seekRuns).length } satisfies DecodePath;
          assert.deepEqual(mode, expected, `${name} ${indices} (seekRuns ${seekRuns})`);
          assertSameFrames(all, indices, frames, `${name} ${indices} (seekRuns ${seekRuns})`);
        }
      }
    }
  }
});

test('HEVC preprocessing through the seeking decode equals it with seeking off (PP-TSM float32, PP-TSN uint8)', async () => {
  for (const name of ['x265_defaults.mp4', 'x265_phone.mov', 'x265_main10.mp4']) {
    const modes: string[] = [];
    const onDecodePath = (p: DecodePath): number => modes.push(p.mode);
    const a = await preprocessVideo(PIPELINES.PPTSM!, path(name), { onDecodePath });
    const b = await preprocessVideo(PIPELINES.PPTSM!, path(name), { seek: false, onDecodePath });
    const c = await preprocessVideo(PIPELINES.PPTSN!, path(name), { stage: 'uint8', onDecodePath });
    const d = await preprocessVideo(PIPELINES.PPTSN!, path(name), { stage: 'uint8', seek: false, onDecodePath });
    assert.deepEqual(modes, ['seek', 'full', 'seek', 'full'], name);
    assert.ok(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer)), `${name} PP-TSM`);
    assert.ok(Buffer.from(c.data).equals(Buffer.from(d.data)), `${name} PP-TSN`);
  }
});

test('HEVC: damaged samples anywhere, even in frames no pick needs, send decoding down the full path', async () => {
  const { seek, pictures } = await hevcIndex('x265_closed_gop.mp4');
  const mp4 = await readFile(path('x265_closed_gop.mp4'));
  const at = (p: number): number => seek.index.offset[p]!;
  // One sample zeroed: its NAL lengths no longer fill it.
  const zeroed = Buffer.from(mp4);
  const victim = seek.packetOf[100]!;
  zeroed.fill(0, at(victim), at(victim) + seek.index.size[victim]!);
  await writeFile(path('hevc_zeroed.mp4'), zeroed);
  // One picture's NAL unit type made reserved (RSV_IRAP_VCL22): ffmpeg skips it, so the full decode has a frame less
  // and every later frame number moves.
  const retyped = Buffer.from(mp4);
  const p = pictures.findIndex((x, q) => q > 100 && x.type === 1);
  retyped[at(p) + 4] = (retyped[at(p) + 4]! & 0x81) | (22 << 1);
  await writeFile(path('hevc_reserved_type.mp4'), retyped);

  for (const name of ['hevc_zeroed.mp4', 'hevc_reserved_type.mp4']) {
    await assertFallsBackToFull(path(name), name);
  }
  assert.equal((await decodeAllFrames(path('hevc_reserved_type.mp4'))).T, seek.index.frames - 1, 'the reserved-type picture is not output');
});

test('HEVC: a reference picture missing from the feed is caught in the run (the decoder logs it), not passed off as the frame', async () => {
  const { seek, pictures } = await hevcIndex('x265_closed_gop.mp4');
  const p = 100;
  const q = pictures.findIndex((x, k) => k > 90 && k < p && x.type === 1); // a TRAIL_R picture in the same GOP
  assert.ok(q > 0 && !IDR.includes(pictures[p]!.type));
  const ref = seek.ref.slice();
  ref[q] = 0;
  const broken = { ...seek, ref };
  const f = seek.packetOf.indexOf(p);
  const plan = planSeek(broken, [f]);
  assert.ok(!plan.feed.includes(q) && plan.feed.includes(p));
  const src = (await openSource(path('x265_closed_gop.mp4')))!;
  try {
    await assert.rejects(decodePlan(src, broken, plan, 'test clip', () => {}), (err) => err instanceof SeekUnverified && /errors/.test(err.message));
    await decodePlan(src, seek, planSeek(seek, [f]), 'test clip', () => {}); // the real plan runs clean
  } finally {
    await src.close();
  }
});

test('HEVC dependencies from picture types: TemporalId rule, RASL reach, what is not covered', () => {
  const config = parseHvcC(hvcC())!;
  const pic = (type: number, temporalId = 0, more: Partial<HevcPicture> = {}): HevcPicture =>
    ({ type, temporalId, noOutputOfPriorPics: false, parameterSets: [], endOfSequence: false, ...more });
  // IDR, TRAIL_R, TRAIL_N(t0), TSA_N(t1), CRA, RASL_R, RASL_N, RADL_N(t1), TRAIL_N(t1), TRAIL_R
  const stream = [pic(19), pic(1), pic(0), pic(2, 1), pic(21), pic(9), pic(8), pic(6, 1), pic(0, 1), pic(1)];
  const deps = hevcDependencies(stream, config)!;
  assert.deepEqual([...deps.ref], [1, 1, 1, 0, 1, 1, 1, 0, 0, 1], 'only sub-layer non-reference pictures of the top TemporalId');
  assert.deepEqual([...deps.start], [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...deps.reach], [0, 0, 0, 0, 4, 0, 0, 4, 4, 4], 'RASL pictures of the CRA reach back to the IDR');
  // Without temporal sub-layers every sub-layer non-reference picture can go.
  assert.deepEqual([...hevcDependencies(stream.map((x) => ({ ...x, temporalId: 0 })), config)!.ref], [1, 1, 0, 0, 1, 1, 0, 0, 0, 1]);
  assert.deepEqual([...hevcDependencies(stream, config, { craStarts: false })!.start], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // In-band parameter sets unlike hvcC's: an IRAP picture after them is a start point only if its own sample
  // repeats them (copies of hvcC's sets need no repeat); samples carrying sets are always fed.
  const sps = new Uint8Array([0x42, 0x01, 0x01, 0x60]);
  const own = config.nals[1]!;
  const withSets = (sets: Uint8Array[]): HevcPicture[] =>
    [pic(19), pic(1, 0, { parameterSets: [own] }), pic(1, 0, { parameterSets: [sps] }), pic(21, 0, { parameterSets: sets }), pic(1), pic(19), pic(1)];
  assert.deepEqual([...hevcDependencies(withSets([sps]), config)!.start], [1, 0, 0, 1, 0, 0, 0], 'the new SPS repeated at the CRA, not at the IDR');
  assert.deepEqual([...hevcDependencies(withSets([]), config)!.start], [1, 0, 0, 0, 0, 0, 0], 'the new SPS never repeated');
  assert.deepEqual([...hevcDependencies(withSets([own]), config)!.start], [1, 0, 0, 0, 0, 0, 0], "hvcC's SPS is no repeat of the new one");
  assert.equal(hevcDependencies([...stream.slice(0, 3), pic(2, 1, { parameterSets: [sps] })], config)!.ref[3], 1);
  // Not covered: a first picture that is no IDR, BLA pictures, end of sequence, prior pictures dropped at an IRAP.
  assert.equal(hevcDependencies([pic(21), ...stream.slice(1)], config), undefined);
  assert.equal(hevcDependencies([...stream, pic(16)], config), undefined);
  assert.equal(hevcDependencies([...stream, pic(1, 0, { endOfSequence: true })], config), undefined);
  assert.equal(hevcDependencies([...stream, pic(19, 0, { noOutputOfPriorPics: true })], config), undefined);
  // The CRA that starts a group is written as BLA_W_LP; nothing else changes.
  const craNal = new Uint8Array([21 << 1, 0x01, 0xc0, 0x55]);
  assert.deepEqual([...asStreamStart(craNal)], [16 << 1, 0x01, 0xc0, 0x55]);
  const trail = new Uint8Array([1 << 1, 0x01, 0x80]);
  assert.equal(asStreamStart(trail), trail);
});

test('hvcC: parameter sets to Annex B; malformed records and PPSs that can hide pictures are refused', () => {
  const cfg = parseHvcC(hvcC())!;
  assert.equal(cfg.nalLength, 4);
  assert.deepEqual(cfg.nals.map((n) => (n[0]! >> 1) & 0x3f), [32, 33, 34]);
  assert.deepEqual([...cfg.parameterSets.subarray(0, 6)], [0, 0, 0, 1, 0x40, 0x01]);
  assert.equal(parseHvcC(hvcC({ lengthSizeMinusOne: 2 })), undefined, 'a 3-byte NAL length');
  assert.equal(parseHvcC(hvcC({ outputFlag: true })), undefined, 'output_flag_present_flag');
  assert.equal(parseHvcC(hvcC().subarray(0, 30)), undefined, 'truncated');
});

/** A minimal hvcC: VPS, SPS, PPS arrays (the PPS: ids 0 and 0, then dependent_slice_segments and output flags). */
function hvcC(o: { lengthSizeMinusOne?: number; outputFlag?: boolean } = {}): Uint8Array {
  const arrays: Array<[number, number[]]> = [
    [32, [0x40, 0x01, 0x0c, 0x01]],
    [33, [0x42, 0x01, 0x01, 0x01]],
    [34, [0x44, 0x01, o.outputFlag ? 0xd0 : 0xc0]], // 1 (ue 0), 1 (ue 0), 0, output flag
  ];
  const head = new Array<number>(21).fill(0);
  head[0] = 1;
  const body = [...head, 0xfc | (o.lengthSizeMinusOne ?? 3), arrays.length];
  for (const [type, nal] of arrays) body.push(0x80 | type, 0, 1, nal.length >> 8, nal.length & 0xff, ...nal);
  return Uint8Array.from(body);
}
