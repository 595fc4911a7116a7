// PaddleVideo's Image2Array and Normalization (augmentations.py).
import { inputError } from '../../errors.ts';
import { numel, type Tensor } from '../../tensor.ts';
import { forEachRow, type AnyImage } from './image.ts';

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

/** Output dims of Image2Array and the axis that holds the colour channel. */
export function image2ArrayLayout(args: Image2ArrayArgs, T: number, H: number, W: number): { dims: number[]; channelAxis: number } {
  const format = args.data_format ?? 'tchw';
  if (format !== 'tchw' && format !== 'cthw') throw new Error(`Image2Array: data_format must be 'tchw' or 'cthw', got '${format}'`);
  if (args.transpose === false) return { dims: [T, H, W, 3], channelAxis: 3 };
  return format === 'tchw' ? { dims: [T, 3, H, W], channelAxis: 1 } : { dims: [3, T, H, W], channelAxis: 0 };
}

/**
 * np.stack(imgs) then transpose to [T,C,H,W] ('tchw'), [C,T,H,W] ('cthw') or none ([T,H,W,C]).
 * PaddleVideo casts to float32 here; the values are the integers 0..255, so they stay uint8 — unless `luts` (one
 * 256-entry table per channel, see normalizationTables) is given: then each value is mapped through its channel's
 * table, fusing a following Normalization; the floats then go to `into` when given (else a new array).
 */
export function image2Array(args: Image2ArrayArgs, imgs: readonly AnyImage[]): Tensor<Uint8Array>;
export function image2Array(args: Image2ArrayArgs, imgs: readonly AnyImage[], luts: readonly Float32Array[], into?: Float32Array): Tensor<Float32Array>;
export function image2Array(args: Image2ArrayArgs, imgs: readonly AnyImage[], luts?: readonly Float32Array[], into?: Float32Array): Tensor<Uint8Array | Float32Array> {
  if (imgs.length === 0) throw inputError('Image2Array: no images to stack');
  const { width: W, height: H } = imgs[0]!;
  for (const img of imgs) {
    if (img.width !== W || img.height !== H)
      throw inputError(`Image2Array: images differ in size (${W}x${H} vs ${img.width}x${img.height}); np.stack fails`);
  }
  const T = imgs.length;
  const { dims, channelAxis } = image2ArrayLayout(args, T, H, W);
  const plane = H * W;
  const n = T * plane * 3;
  if (into && into.length !== n) throw new Error(`Image2Array: output buffer holds ${into.length} values, expected ${n}`);
  const u8 = luts ? undefined : new Uint8Array(n);
  const f32 = luts ? (into ?? new Float32Array(n)) : undefined;
  const [l0, l1, l2] = luts ?? [];
  // Destination offset of pixel i of image t, channel c: base(t) + c * cStride + i * pStride.
  const [tStride, cStride, pStride] =
    channelAxis === 1 ? [3 * plane, plane, 1] : channelAxis === 0 ? [plane, T * plane, 1] : [3 * plane, 1, 3];
  imgs.forEach((img, t) => {
    forEachRow(img, (y, s, p, step) => {
      let o = t * tStride + y * W * pStride;
      const o1 = cStride;
      const o2 = 2 * cStride;
      if (f32) {
        for (let x = 0; x < W; x++, p += step, o += pStride) {
          f32[o] = l0![s[p]!]!;
          f32[o + o1] = l1![s[p + 1]!]!;
          f32[o + o2] = l2![s[p + 2]!]!;
        }
      } else {
        for (let x = 0; x < W; x++, p += step, o += pStride) {
          u8![o] = s[p]!;
          u8![o + o1] = s[p + 1]!;
          u8![o + o2] = s[p + 2]!;
        }
      }
    });
  });
  return { data: (f32 ?? u8)!, dims };
}

function checkNormalization(args: NormalizationArgs): { shape: number[]; axisInShape: number } {
  if (args.inplace) throw new Error('Normalization: inplace=true is not supported');
  const shape = args.tensor_shape ?? [3, 1, 1];
  const n = args.mean.length;
  if (args.std.length !== n) throw new Error(`Normalization: mean has ${n} values but std has ${args.std.length}`);
  const axisInShape = shape.findIndex((d) => d !== 1);
  if (shape.filter((d) => d !== 1).length > 1 || (axisInShape >= 0 ? shape[axisInShape] : 1) !== n)
    throw new Error(`Normalization: tensor_shape [${shape}] must hold the ${n} mean/std values along one axis`);
  return { shape, axisInShape };
}

/** The axis of an array with `dims` that mean/std broadcast along (-1: a single value for all). */
export function normalizationAxis(args: NormalizationArgs, dims: readonly number[]): number {
  const { shape, axisInShape } = checkNormalization(args);
  if (shape.length > dims.length) throw new Error(`Normalization: tensor_shape [${shape}] has more axes than the array [${dims}]`);
  const axis = axisInShape < 0 ? -1 : dims.length - shape.length + axisInShape;
  if (axis >= 0 && dims[axis] !== args.mean.length)
    throw new Error(`Normalization: cannot broadcast mean/std of shape [${shape}] against [${dims}]`);
  return axis;
}

/**
 * ((x / 255.0) - mean) / std for x = 0..255, per mean/std entry. Every step is one float32 operation, as NumPy 1.24
 * computes `float32 array op Python float`, so tables of integer inputs give exact results.
 */
export function normalizationTables(args: NormalizationArgs): Float32Array[] {
  checkNormalization(args);
  const f32 = Math.fround;
  return args.mean.map((m, c) => {
    const mean = f32(m);
    const std = f32(args.std[c]!);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f32(f32(f32(v / 255.0) - mean) / std);
    return table;
  });
}

/** Normalization of Image2Array's (integer-valued) output, mean/std of `tensor_shape` broadcast as NumPy does. */
export function normalization(args: NormalizationArgs, arr: Tensor<Uint8Array>): Tensor<Float32Array> {
  const axis = normalizationAxis(args, arr.dims);
  const tables = normalizationTables(args);
  const n = tables.length;
  const out = new Float32Array(arr.data.length);
  const src = arr.data;
  // Elements come in runs of `inner` sharing one mean/std entry; entries cycle with period n.
  const inner = axis < 0 ? src.length : numel(arr.dims.slice(axis + 1));
  for (let start = 0, block = 0; start < src.length; start += inner, block++) {
    const table = tables[axis < 0 ? 0 : block % n]!;
    const end = Math.min(start + inner, src.length);
    for (let i = start; i < end; i++) out[i] = table[src[i]!]!;
  }
  return { data: out, dims: [...arr.dims] };
}
