// PaddleVideo's Image2Array and Normalization (augmentations.py).
import { inputError } from '../../errors.ts';
import type { Tensor } from '../../tensor.ts';
import type { RgbImage } from './image.ts';

export interface Image2ArrayArgs {
  transpose?: boolean;
  data_format?: 'tchw' | 'cthw';
}

export interface NormalizationArgs {
  mean: number[];
  std: number[];
  tensor_shape?: number[];
  inplace?: boolean;
}

/**
 * np.stack(imgs) then transpose to [T,C,H,W] ('tchw'), [C,T,H,W] ('cthw') or none ([T,H,W,C]).
 * PaddleVideo casts to float32 here; the values are the integers 0..255, so they stay uint8 until Normalization.
 */
export function image2Array(args: Image2ArrayArgs, imgs: readonly RgbImage[]): Tensor<Uint8Array> {
  const format = args.data_format ?? 'tchw';
  if (format !== 'tchw' && format !== 'cthw') throw new Error(`Image2Array: data_format must be 'tchw' or 'cthw', got '${format}'`);
  if (imgs.length === 0) throw inputError('Image2Array: no images to stack');
  const { width: W, height: H } = imgs[0]!;
  for (const img of imgs) {
    if (img.width !== W || img.height !== H)
      throw inputError(`Image2Array: images differ in size (${W}x${H} vs ${img.width}x${img.height}); np.stack fails`);
  }
  const T = imgs.length;
  const plane = H * W;
  const out = new Uint8Array(T * plane * 3);
  if (args.transpose === false) {
    imgs.forEach((img, t) => out.set(img.data, t * plane * 3));
    return { data: out, dims: [T, H, W, 3] };
  }
  // Strides of the destination for (t, c): tchw -> (3*plane, plane); cthw -> (plane, T*plane).
  const [tStride, cStride] = format === 'tchw' ? [3 * plane, plane] : [plane, T * plane];
  imgs.forEach((img, t) => {
    const s = img.data;
    const o0 = t * tStride;
    const o1 = o0 + cStride;
    const o2 = o1 + cStride;
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[o0 + i] = s[p]!;
      out[o1 + i] = s[p + 1]!;
      out[o2 + i] = s[p + 2]!;
    }
  });
  return { data: out, dims: format === 'tchw' ? [T, 3, H, W] : [3, T, H, W] };
}

/**
 * ((x / 255.0) - mean) / std in float32, mean/std of `tensor_shape` broadcast against the array as NumPy does.
 * Every step is one float32 operation (as NumPy 1.24 computes float32 array op Python float), so with integer inputs
 * a 256-entry table per channel gives the exact result.
 */
export function normalization(args: NormalizationArgs, arr: Tensor<Uint8Array>): Tensor<Float32Array> {
  if (args.inplace) throw new Error('Normalization: inplace=true is not supported');
  const shape = args.tensor_shape ?? [3, 1, 1];
  const n = args.mean.length;
  if (args.std.length !== n) throw new Error(`Normalization: mean has ${n} values but std has ${args.std.length}`);
  const axisInShape = shape.findIndex((d) => d !== 1);
  if (shape.filter((d) => d !== 1).length > 1 || (axisInShape >= 0 ? shape[axisInShape] : 1) !== n)
    throw new Error(`Normalization: tensor_shape [${shape}] must hold the ${n} mean/std values along one axis`);
  const dims = arr.dims;
  if (shape.length > dims.length) throw new Error(`Normalization: tensor_shape [${shape}] has more axes than the array [${dims}]`);
  const axis = axisInShape < 0 ? -1 : dims.length - shape.length + axisInShape;
  if (axis >= 0 && dims[axis] !== n)
    throw new Error(`Normalization: cannot broadcast mean/std of shape [${shape}] against [${dims}]`);

  const f32 = Math.fround;
  const tables = Array.from({ length: n }, (_, c) => {
    const mean = f32(args.mean[c]!);
    const std = f32(args.std[c]!);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f32(f32(f32(v / 255.0) - mean) / std);
    return table;
  });
  const out = new Float32Array(arr.data.length);
  const src = arr.data;
  // Elements come in runs of `inner` sharing one channel; channels cycle with period n.
  const inner = axis < 0 ? src.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let start = 0, block = 0; start < src.length; start += inner, block++) {
    const table = tables[axis < 0 ? 0 : block % n]!;
    const end = Math.min(start + inner, src.length);
    for (let i = start; i < end; i++) out[i] = table[src[i]!]!;
  }
  return { data: out, dims: [...dims] };
}
