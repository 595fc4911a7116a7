// Decoding and PP-TSM / PP-TSN preprocessing of example.avi against PaddleVideo's own outputs (../shared/golden).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeAllFrames, decodeSampledFrames, probeVideo, type Frames } from '../src/video/decode.ts';
import { readNpy, writeNpy } from '../src/video/npy.ts';
import { PIPELINES, preprocessFrames, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { goldenFile, needsShared, SHARED } from './support/shared.ts';

const VIDEO = SHARED.exampleAvi;
const golden = (name: string): Buffer => readFileSync(goldenFile(name));
const goldenJson = (name: string): any => JSON.parse(golden(name).toString('utf8'));

const sha256 = (a: ArrayBufferView): string =>
  createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const ROW = 3 * 224 * 224;

let framesPromise: Promise<Frames> | undefined;
const frames = (): Promise<Frames> => (framesPromise ??= decodeAllFrames(VIDEO));

/** max / mean abs error and the share of exactly equal values. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number; identical: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (e > max) max = e;
    sum += e;
    if (e === 0) same++;
  }
  return { max, mean: sum / a.length, identical: same / a.length };
}

describe('example.avi against PaddleVideo\'s own outputs', needsShared(SHARED.golden, VIDEO), () => {
  test('example.avi: input file is the one golden was made from', () => {
    const meta = goldenJson('example_frames.json');
    assert.equal(sha256(readFileSync(VIDEO)), meta.video_sha256);
  });

  test('example.avi: probe reports what cv2 reports', async () => {
    const meta = goldenJson('example_frames.json');
    const info = await probeVideo(VIDEO);
    assert.deepEqual(info, { frames: meta.cv2_reported_frame_count, width: meta.W, height: meta.H, fps: meta.cv2_fps, rotation: 0, codec: 'mpeg4' });
  });

  test('example.avi: decoded frames equal cv2.VideoCapture + BGR->RGB byte for byte', async () => {
    const meta = goldenJson('example_frames.json');
    const f = await frames();
    assert.deepEqual([f.T, f.H, f.W], [meta.T, meta.H, meta.W]);
    assert.equal(sha256(f.data), meta.sha256_rgb);
    const size = f.H * f.W * 3;
    for (let t = 0; t < f.T; t++) {
      const frame = f.data.subarray(t * size, (t + 1) * size);
      assert.equal(sha256(frame), meta.frame_sha256_rgb[t], `frame ${t}`);
      let sum = 0;
      for (let i = 0; i < frame.length; i++) sum += frame[i]!;
      assert.ok(Math.abs(sum / frame.length - meta.frame_means[t]) < 1e-9, `frame ${t} mean`);
    }
  });

  test('example.avi from bytes (Uint8Array) decodes the same', async () => {
    const f = await decodeAllFrames(new Uint8Array(readFileSync(VIDEO)));
    assert.equal(sha256(f.data), goldenJson('example_frames.json').sha256_rgb);
  });

  test('PP-TSM tensor for example.avi equals PaddleVideo (float32 and uint8 crops)', async () => {
    const meta = goldenJson('pptsm_example_meta.json');
    const f = await frames();
    assert.deepEqual(sampleIndices(PIPELINES.PPTSM!, f.T), meta.sampled_frame_indices);

    const u8 = preprocessFrames(PIPELINES.PPTSM!, f, { stage: 'uint8' });
    const gu8 = readNpy(golden('pptsm_example_uint8.npy'));
    assert.deepEqual(u8.dims, gu8.dims);
    const cu8 = compare(u8.data, gu8.data);

    const x = preprocessFrames(PIPELINES.PPTSM!, f);
    const gx = readNpy(golden('pptsm_example.npy'));
    assert.deepEqual(x.dims, meta.shape);
    assert.deepEqual(gx.dims, meta.shape);
    const cx = compare(x.data, gx.data);
    console.log(
      `PP-TSM example.avi: max abs err ${cx.max}, mean abs err ${cx.mean}, float32 identical ${(100 * cx.identical).toFixed(4)}%, ` +
        `uint8 crops identical ${(100 * cu8.identical).toFixed(4)}%`,
    );
    assert.ok(cx.max <= 0.02, `max abs error ${cx.max}`);
    assert.ok(cu8.max <= 1);
    // Achieved: bit-exact.
    assert.equal(sha256(u8.data), meta.sha256_uint8_pre_normalization);
    assert.equal(sha256(x.data), meta.sha256_float32);
    for (let t = 0; t < 8; t++) {
      assert.equal(sha256(x.data.subarray(t * ROW, (t + 1) * ROW)), meta.row_sha256_float32[t], `row ${t}`);
      assert.equal(sha256(u8.data.subarray(t * ROW, (t + 1) * ROW)), meta.row_sha256_uint8[t], `uint8 row ${t}`);
    }
  });

  test('PP-TSN tensor for example.avi equals PaddleVideo (subsets, per-row sha256, stats)', async () => {
    const st = goldenJson('pptsn_example_stats.json');
    const f = await frames();
    assert.deepEqual(sampleIndices(PIPELINES.PPTSN!, f.T), st.sampled_frame_indices);

    const x = preprocessFrames(PIPELINES.PPTSN!, f);
    const u8 = preprocessFrames(PIPELINES.PPTSN!, f, { stage: 'uint8' });
    assert.deepEqual(x.dims, st.shape);

    // uint8 subset: 10 crops of t = 0, 12, 24.
    const sub = readNpy(golden('pptsn_example_subset_uint8.npy'));
    assert.deepEqual(sub.dims, [st.subset_uint8_rows.length, 3, 224, 224]);
    const mine = new Uint8Array(sub.data.length);
    st.subset_uint8_rows.forEach((r: number, i: number) => mine.set(u8.data.subarray(r * ROW, (r + 1) * ROW), i * ROW));
    const cu8 = compare(mine, sub.data);

    // float32 subset rows.
    const fsub = readNpy(golden('pptsn_example_subset.npy'));
    const minef = new Float32Array(fsub.data.length);
    st.subset_float32_rows.forEach((r: number, i: number) => minef.set(x.data.subarray(r * ROW, (r + 1) * ROW), i * ROW));
    const cf = compare(minef, fsub.data);
    console.log(
      `PP-TSN example.avi subsets: float32 max abs err ${cf.max}, mean ${cf.mean}; uint8 crops identical ${(100 * cu8.identical).toFixed(4)}%`,
    );
    assert.ok(cf.max <= 0.02);
    assert.ok(cu8.max <= 1);

    // Achieved: every row bit-exact, before and after Normalization.
    for (let r = 0; r < 250; r++) {
      assert.equal(sha256(x.data.subarray(r * ROW, (r + 1) * ROW)), st.row_sha256_float32[r], `row ${r}`);
      assert.equal(sha256(u8.data.subarray(r * ROW, (r + 1) * ROW)), st.row_sha256_uint8_pre_normalization[r], `uint8 row ${r}`);
    }
    assert.equal(sha256(x.data), st.sha256_float32);

    let sum = 0;
    let sq = 0;
    for (let r = 0; r < 250; r++) {
      let rs = 0;
      for (let i = r * ROW; i < (r + 1) * ROW; i++) rs += x.data[i]!;
      assert.ok(Math.abs(rs / ROW - st.row_means[r]) < 1e-6, `row ${r} mean`);
      sum += rs;
    }
    const mean = sum / x.data.length;
    for (let i = 0; i < x.data.length; i++) sq += (x.data[i]! - mean) ** 2;
    assert.ok(Math.abs(mean - st.mean) < 1e-6);
    assert.ok(Math.abs(Math.sqrt(sq / x.data.length) - st.std) < 1e-6);
  });

  test('server-side sampled decoding equals full decoding + sampling', async () => {
    const f = await frames();
    const size = f.H * f.W * 3;
    for (const name of ['PPTSM', 'PPTSN']) {
      const spec = PIPELINES[name]!;
      const idx = sampleIndices(spec, f.T);
      const s = await decodeSampledFrames(VIDEO, (n) => sampleIndices(spec, n));
      assert.deepEqual([s.T, s.H, s.W], [idx.length, f.H, f.W]);
      idx.forEach((i, t) => assert.ok(Buffer.from(s.data.subarray(t * size, (t + 1) * size)).equals(f.data.subarray(i * size, (i + 1) * size)), `${name} t=${t}`));
    }
    const meta = goldenJson('pptsm_example_meta.json');
    let timings: { decodeMs: number; preprocessMs: number } | undefined;
    const x = await preprocessVideo(PIPELINES.PPTSM!, VIDEO, { onTimings: (t) => (timings = t) });
    assert.equal(sha256(x.data), meta.sha256_float32);
    assert.ok(timings && timings.decodeMs > 0 && timings.preprocessMs > 0);
    const u8 = await preprocessVideo(PIPELINES.PPTSM!, new Uint8Array(readFileSync(VIDEO)), { stage: 'uint8' });
    assert.equal(sha256(u8.data), meta.sha256_uint8_pre_normalization);
  });

  test('npy: golden files parse and round-trip byte-identically', () => {
    for (const name of ['pptsm_example.npy', 'pptsm_example_uint8.npy', 'pptsn_example_subset.npy', 'pptsn_example_subset_uint8.npy']) {
      const bytes = golden(name);
      const arr = readNpy(bytes, name);
      assert.ok(Buffer.from(writeNpy(arr)).equals(bytes), name);
    }
    assert.throws(() => readNpy(new Uint8Array([1, 2, 3]), 'x.npy'), /x\.npy: not a NumPy/);
  });
});
