// modelInputImages: the model input tensor back as the crops' pixels, for every Image2Array layout and for PP-TSN's
// ten-crop stack — equal to the pipeline's own uint8 stage (before Normalization).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPipeline, preprocessFrames, type PipelineSpec } from '../src/video/pipelines.ts';
import { modelInputImages } from '../src/video/seen.ts';
import { syntheticFrames } from './serving-fixtures.ts';

/** The images [H,W,3] held by a uint8 Image2Array output in layout `format`. */
function imagesOf(u8: Uint8Array, dims: number[], format: 'tchw' | 'cthw' | 'thwc'): Uint8Array[] {
  const [N, H, W] = format === 'tchw' ? [dims[0]!, dims[2]!, dims[3]!] : format === 'cthw' ? [dims[1]!, dims[2]!, dims[3]!] : [dims[0]!, dims[1]!, dims[2]!];
  const out: Uint8Array[] = [];
  for (let t = 0; t < N; t++) {
    const img = new Uint8Array(H * W * 3);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let c = 0; c < 3; c++) {
          const at = format === 'tchw' ? ((t * 3 + c) * H + y) * W + x : format === 'cthw' ? ((c * N + t) * H + y) * W + x : ((t * H + y) * W + x) * 3 + c;
          img[(y * W + x) * 3 + c] = u8[at]!;
        }
    out.push(img);
  }
  return out;
}

const frames = { data: syntheticFrames(12, 40, 56, 7), T: 12, H: 40, W: 56 };

const small = (image2array: Record<string, unknown>, norm = true, tensorShape?: number[]): PipelineSpec => ({
  name: 'small',
  ops: [
    { op: 'Sampler', args: { num_seg: 3, seg_len: 1, valid_mode: true } },
    { op: 'Scale', args: { short_size: 32 } },
    { op: 'CenterCrop', args: { target_size: 24 } },
    { op: 'Image2Array', args: image2array },
    ...(norm ? [{ op: 'Normalization' as const, args: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], ...(tensorShape ? { tensor_shape: tensorShape } : {}) } }] : []),
  ],
});

for (const [format, args] of [['tchw', {}], ['cthw', { data_format: 'cthw' }], ['thwc', { transpose: false }]] as const) {
  test(`Image2Array ${format}: the normalized input inverts to the exact crops`, () => {
    // Untransposed [T,H,W,3]: mean/std broadcast along the last axis.
    const spec = small(args as Record<string, unknown>, true, format === 'thwc' ? [1, 1, 3] : undefined);
    const u8 = preprocessFrames(spec, frames, { stage: 'uint8' });
    const f32 = preprocessFrames(spec, frames);
    const imgs = modelInputImages(spec, f32);
    assert.equal(imgs.length, 3);
    assert.deepEqual(imgs.map((i) => [i.width, i.height]), [[24, 24], [24, 24], [24, 24]]);
    assert.deepEqual(imgs.map((i) => i.data), imagesOf(u8.data, u8.dims, format));
  });
}

test('without Normalization the float input is the bytes themselves', () => {
  const spec = small({}, false);
  const f32 = preprocessFrames(spec, frames);
  assert.deepEqual(modelInputImages(spec, f32).map((i) => i.data), imagesOf(preprocessFrames(spec, frames, { stage: 'uint8' }).data, f32.dims, 'tchw'));
});

test('PP-TSN: 25 segments x 10 crops = 250 images of 224x224, each segment\'s crops in turn', () => {
  const spec = getPipeline('PPTSN');
  const frames = { data: syntheticFrames(30, 40, 56, 9), T: 30, H: 40, W: 56 };
  const u8 = preprocessFrames(spec, frames, { stage: 'uint8' });
  const imgs = modelInputImages(spec, preprocessFrames(spec, frames));
  assert.equal(imgs.length, 250);
  assert.deepEqual([imgs[0]!.width, imgs[0]!.height], [224, 224]);
  const want = imagesOf(u8.data, u8.dims, 'tchw');
  for (const i of [0, 1, 9, 10, 123, 249]) assert.deepEqual(imgs[i]!.data, want[i], `image ${i}`);
});
