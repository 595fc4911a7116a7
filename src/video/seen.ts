// The frames a model actually saw, back as images: the pipeline's output tensor (after Sampler, Scale, crops,
// Image2Array and Normalization) turned back into RGB uint8 images, one per sampled frame and crop. Normalization
// maps each of the 256 byte values to one float32, so the inverse is exact: these are the pixels of the crops.
import { numel, type Tensor } from '../tensor.ts';
import type { PipelineSpec } from './pipelines.ts';
import type { RgbImage } from './transforms/image.ts';
import { image2ArrayLayout, normalizationAxis, normalizationTables, type Image2ArrayArgs, type NormalizationArgs } from './transforms/array.ts';

/** Index of the byte value whose table entry is closest to v (tables are monotonic; v is normally an entry). */
function invert(table: Float32Array, mean: number, std: number, v: number): number {
  let best = Math.round((v * std + mean) * 255);
  best = best < 0 ? 0 : best > 255 ? 255 : best;
  if (table[best] === v) return best;
  let err = Math.abs(table[best]! - v);
  const lo = best - 1;
  const hi = best + 1;
  if (lo >= 0 && Math.abs(table[lo]! - v) < err) {
    best = lo;
    err = Math.abs(table[lo]! - v);
  }
  if (hi <= 255 && Math.abs(table[hi]! - v) < err) best = hi;
  return best;
}

/**
 * Images from the pipeline's output `tensor` (no batch axis: [N,3,H,W] for PP-TSM's 'tchw', [3,N,H,W] for 'cthw',
 * [N,H,W,3] untransposed), in the tensor's order (PP-TSN: each segment's ten crops in turn).
 */
export function modelInputImages(spec: PipelineSpec, tensor: Tensor<Float32Array | Uint8Array>): RgbImage[] {
  const a2a = spec.ops.find((o) => o.op === 'Image2Array');
  if (!a2a) throw new Error(`pipeline ${spec.name} has no Image2Array: its output is not a stack of images`);
  const layoutArgs: Image2ArrayArgs = (a2a.args as Image2ArrayArgs | undefined) ?? {};
  const norm = spec.ops.find((o) => o.op === 'Normalization')?.args as NormalizationArgs | undefined;
  const { dims, data } = tensor;
  if (dims.length !== 4) throw new Error(`expected a 4-D model input without its batch axis, got [${dims.join(', ')}]`);
  const { channelAxis } = image2ArrayLayout(layoutArgs, 1, 1, 1);
  if (dims[channelAxis] !== 3) throw new Error(`model input [${dims.join(', ')}] has no 3 colour channels on axis ${channelAxis}`);
  const [N, H, W] = channelAxis === 1 ? [dims[0]!, dims[2]!, dims[3]!] : channelAxis === 0 ? [dims[1]!, dims[2]!, dims[3]!] : [dims[0]!, dims[1]!, dims[2]!];

  // Bytes in the tensor's own layout.
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else if (!norm) bytes = Uint8Array.from(data, (v) => Math.min(255, Math.max(0, Math.round(v))));
  else {
    const axis = normalizationAxis(norm, dims);
    const tables = normalizationTables(norm);
    const inner = axis < 0 ? data.length : numel(dims.slice(axis + 1));
    bytes = new Uint8Array(data.length);
    for (let start = 0, block = 0; start < data.length; start += inner, block++) {
      const c = axis < 0 ? 0 : block % tables.length;
      const table = tables[c]!;
      const mean = norm.mean[c]!;
      const std = norm.std[c]!;
      const end = Math.min(start + inner, data.length);
      for (let i = start; i < end; i++) bytes[i] = invert(table, mean, std, data[i]!);
    }
  }

  const plane = H * W;
  // Source offset of pixel p of image t, channel c: t * tStride + c * cStride + p * pStride (as Image2Array wrote it).
  const [tStride, cStride, pStride] = channelAxis === 1 ? [3 * plane, plane, 1] : channelAxis === 0 ? [plane, N * plane, 1] : [3 * plane, 1, 3];
  const out: RgbImage[] = [];
  for (let t = 0; t < N; t++) {
    const img = new Uint8Array(plane * 3);
    const base = t * tStride;
    for (let p = 0; p < plane; p++) {
      const s = base + p * pStride;
      img[p * 3] = bytes[s]!;
      img[p * 3 + 1] = bytes[s + cStride]!;
      img[p * 3 + 2] = bytes[s + 2 * cStride]!;
    }
    out.push({ data: img, width: W, height: H });
  }
  return out;
}
