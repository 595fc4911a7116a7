// Pipelines are data: a new model is a spec. Layout options and the fused Image2Array+Normalization path must agree
// with the step-by-step operators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frames } from '../src/video/decode.ts';
import { readNpy, writeNpy } from '../src/video/npy.ts';
import { PIPELINES, preprocessFrames, preprocessVideo, type PipelineSpec } from '../src/video/pipelines.ts';
import { renderTestClip } from '../src/cli/demo.ts';
import { image2Array, normalization } from '../src/video/transforms/array.ts';
import { vidserve } from './support/run.ts';

const NORM = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Deterministic synthetic frames (no decoding needed). */
function syntheticFrames(T: number, H: number, W: number): Frames {
  const data = new Uint8Array(T * H * W * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 24) ^ (i % 251);
  return { data, T, H, W };
}

test('fused Image2Array+Normalization equals the operators applied one by one', () => {
  const frames = syntheticFrames(40, 90, 160);
  for (const name of ['PPTSM', 'PPTSN']) {
    const spec = PIPELINES[name]!;
    const fused = preprocessFrames(spec, frames);
    const u8 = preprocessFrames(spec, frames, { stage: 'uint8' });
    const stepwise = normalization(NORM, u8);
    assert.deepEqual(fused.dims, stepwise.dims);
    assert.ok(Buffer.from(fused.data.buffer).equals(Buffer.from(stepwise.data.buffer)), name);
  }
});

test('a new model is a config: cthw and channel-last layouts, mean/std broadcast per layout', () => {
  const frames = syntheticFrames(20, 72, 128);
  const base = PIPELINES.PPTSM!.ops;
  const tchw = preprocessFrames(PIPELINES.PPTSM!, frames);
  const [T, C, H, W] = tchw.dims as [number, number, number, number];

  const cthwSpec: PipelineSpec = {
    name: 'PPTSM_CTHW',
    ops: [...base.slice(0, 3), { op: 'Image2Array', args: { data_format: 'cthw' } }, { op: 'Normalization', args: { ...NORM, tensor_shape: [3, 1, 1, 1] } }],
  };
  const cthw = preprocessFrames(cthwSpec, frames);
  assert.deepEqual(cthw.dims, [C, T, H, W]);
  const lastSpec: PipelineSpec = {
    name: 'PPTSM_THWC',
    ops: [...base.slice(0, 3), { op: 'Image2Array', args: { transpose: false } }, { op: 'Normalization', args: { ...NORM, tensor_shape: [1, 1, 1, 3] } }],
  };
  const thwc = preprocessFrames(lastSpec, frames);
  assert.deepEqual(thwc.dims, [T, H, W, C]);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      for (const [y, x] of [[0, 0], [17, 100], [H - 1, W - 1]] as const) {
        const v = tchw.data[((t * C + c) * H + y) * W + x];
        assert.equal(cthw.data[((c * T + t) * H + y) * W + x], v);
        assert.equal(thwc.data[((t * H + y) * W + x) * C + c], v);
      }
    }
  }
  // The default [3,1,1] against [C,T,H,W] broadcasts over T, as NumPy would — and fails unless T == 3.
  const badSpec: PipelineSpec = { name: 'BAD', ops: [...base.slice(0, 3), { op: 'Image2Array', args: { data_format: 'cthw' } }, { op: 'Normalization', args: NORM }] };
  assert.throws(() => preprocessFrames(badSpec, frames), /cannot broadcast mean\/std of shape \[3,1,1\] against \[3,8,224,224\]/);
});

test('pipelines without Normalization return Image2Array values as float32; misordered specs fail clearly', () => {
  const frames = syntheticFrames(12, 64, 64);
  const spec: PipelineSpec = { name: 'RAW', ops: [PIPELINES.PPTSM!.ops[0]!, { op: 'Scale', args: { short_size: 32, fixed_ratio: false } }, { op: 'Image2Array' }] };
  const x = preprocessFrames(spec, frames);
  const u8 = image2Array({}, [{ data: new Uint8Array(32 * 32 * 3), width: 32, height: 32 }]);
  assert.deepEqual(x.dims, [8, 3, 32, 32]);
  assert.deepEqual(u8.dims, [1, 3, 32, 32]);
  assert.ok(x.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
  assert.throws(() => preprocessFrames({ name: 'NOSAMPLER', ops: [{ op: 'Image2Array' }] }, frames), /first operator must be Sampler/);
  assert.throws(
    () => preprocessFrames({ name: 'LATE', ops: [PIPELINES.PPTSM!.ops[0]!, { op: 'Image2Array' }, { op: 'CenterCrop', args: { target_size: 8 } }] }, frames),
    /CenterCrop needs images/,
  );
  assert.throws(() => preprocessFrames({ name: 'X', ops: [PIPELINES.PPTSM!.ops[0]!, { op: 'Resize' } as never] }, frames), /unknown operator 'Resize'/);
});

test('vidserve preprocess writes the batched model input as .npy', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vidserve-preprocess-'));
  try {
    // A rendered 2 s 320x240 clip (50 frames: enough for PP-TSN's 25 segments).
    const video = join(dir, 'clip.avi');
    await renderTestClip(video);
    const ok = async (args: string[]): Promise<void> => {
      const r = await vidserve(args);
      assert.equal(r.code, 0, r.stderr);
    };
    await ok(['preprocess', '-n', 'pptsm', '-i', video, '--out', join(dir, 'x.npy')]);
    await ok(['preprocess', '-n', 'PPTSN', '-i', video, '--out', join(dir, 'u.npy'), '--stage', 'uint8', '--full-decode']);
    const x = readNpy(await readFile(join(dir, 'x.npy')));
    assert.deepEqual(x.dims, [1, 8, 3, 224, 224]);
    assert.ok(x.data instanceof Float32Array);
    // The library's tensor (test/video-golden.test.ts checks that one against PaddleVideo's), with the batch dim.
    const lib = await preprocessVideo(PIPELINES.PPTSM!, video);
    assert.deepEqual(x.dims, [1, ...lib.dims]);
    assert.ok(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(Buffer.from(lib.data.buffer, lib.data.byteOffset, lib.data.byteLength)));
    const u = readNpy(await readFile(join(dir, 'u.npy')));
    assert.deepEqual(u.dims, [1, 250, 3, 224, 224]);
    assert.ok(u.data instanceof Uint8Array);
    const bad = await vidserve(['preprocess', '-n', 'XYZ', '-i', video, '--out', join(dir, 'y.npy')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown model name 'XYZ'/);
    // writeNpy output is readable back exactly.
    const back = readNpy(writeNpy({ data: new Float32Array([1.5, -2]), dims: [2] }));
    assert.deepEqual([...back.data], [1.5, -2]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
