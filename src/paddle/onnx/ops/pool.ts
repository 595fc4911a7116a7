// pool2d → MaxPool / AveragePool / Global*Pool, following Paddle's pooling functor:
// windows start at o*stride - pad_begin and are clipped to the input; an exclusive (or adaptive) average divides by
// the clipped window, a non-exclusive one by ksize_h*ksize_w; end paddings only change the output size.
import type { OpContext } from '../context.ts';
import { attr } from '../graph.ts';
import type { OnnxAttr } from '../proto.ts';
import { explicitPads } from './conv.ts';
import { channelFirst, isChannelLast } from './layout.ts';

interface PoolSpec {
  type: 'max' | 'avg';
  ksize: number[];
  strides: number[];
  /** Paddle order: [top, bottom, left, right]. */
  pads: number[];
  ceilMode: boolean;
  exclusive: boolean;
}

export function pool2d(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const type = ctx.str('pooling_type');
  if (type !== 'max' && type !== 'avg') ctx.fail(`unknown pooling_type "${type}"`);
  const format = ctx.str('data_format', 'NCHW');
  const channelLast = isChannelLast(format);
  const xs = ctx.shape(x);
  if (xs.length !== 4) ctx.fail(`input ${x} must be 4-D, its shape is [${xs.join(', ')}]`);
  // Static spatial dims (-1 when unknown), in H, W order.
  const hw = channelLast ? [xs[1], xs[2]] : [xs[2], xs[3]];

  channelFirst(ctx, x, 4, channelLast, out, (input, output) => {
    if (ctx.bool('global_pooling', false)) return globalPool(ctx, type, input, output);
    const ksize = ctx.ints('ksize');
    if (ctx.bool('adaptive', false)) return adaptivePool(ctx, type, input, output, ksize, hw);
    const spec: PoolSpec = {
      type,
      ksize,
      strides: ctx.ints('strides', [1, 1]),
      pads: paddlePads(ctx, ksize, hw),
      ceilMode: ctx.bool('ceil_mode', false),
      exclusive: ctx.bool('exclusive', true),
    };
    return windowPool(ctx, spec, input, output, hw);
  });
}

function globalPool(ctx: OpContext, type: 'max' | 'avg', input: string, output: string | undefined): string {
  return ctx.g.op(type === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [input], {}, output);
}

/** Paddle's UpdatePadding: explicit 2/4-element paddings, VALID → 0, SAME → centered with the odd one at the end. */
function paddlePads(ctx: OpContext, ksize: number[], hw: number[]): number[] {
  const algorithm = ctx.str('padding_algorithm', 'EXPLICIT');
  if (algorithm === 'VALID') return [0, 0, 0, 0];
  if (algorithm === 'SAME') {
    const strides = ctx.ints('strides', [1, 1]);
    const pads: number[] = [];
    for (let i = 0; i < 2; i++) {
      if (hw[i] < 0) ctx.fail(`padding_algorithm SAME needs a static input size, input shape has ${hw[i]}`);
      const outSize = Math.ceil(hw[i] / strides[i]);
      const sum = Math.max((outSize - 1) * strides[i] + ksize[i] - hw[i], 0);
      pads.push(Math.floor(sum / 2), sum - Math.floor(sum / 2));
    }
    return pads;
  }
  if (algorithm !== 'EXPLICIT') ctx.fail(`unknown padding_algorithm "${algorithm}"`);
  return explicitPads(ctx, ctx.ints('paddings', [0, 0]));
}

function windowPool(ctx: OpContext, s: PoolSpec, input: string, output: string | undefined, hw: number[]): string {
  const [pt, pb, pl, pr] = s.pads;
  const base: Record<string, OnnxAttr> = { kernel_shape: attr.ints(s.ksize), strides: attr.ints(s.strides) };
  const pads = attr.ints([pt, pl, pb, pr]);
  if (s.type === 'max') {
    return ctx.g.op('MaxPool', [input], { ...base, pads, ceil_mode: attr.int(+s.ceilMode) }, output);
  }
  if (s.exclusive) {
    // ONNX's count_include_pad=0 divides by the in-bounds part of the window, as Paddle's exclusive mode does.
    const attrs = { ...base, pads, ceil_mode: attr.int(+s.ceilMode), count_include_pad: attr.int(0) };
    return ctx.g.op('AveragePool', [input], attrs, output);
  }
  if (!s.ceilMode) {
    // Without ceil_mode every window lies inside the padded input, so ONNX's divisor is ksize_h*ksize_w too.
    return ctx.g.op('AveragePool', [input], { ...base, pads, count_include_pad: attr.int(1) }, output);
  }
  // Non-exclusive with ceil_mode: the last window may run past the padding, where ONNX would shrink the divisor.
  // Zero-pad far enough that every window is whole, then average without padding.
  const extra: number[] = [];
  for (let i = 0; i < 2; i++) {
    if (hw[i] < 0) ctx.fail('a non-exclusive average pool with ceil_mode needs a static input size');
    const padded = hw[i] + s.pads[2 * i] + s.pads[2 * i + 1];
    const outSize = Math.floor((padded - s.ksize[i] + s.strides[i] - 1) / s.strides[i]) + 1;
    extra.push(Math.max(0, (outSize - 1) * s.strides[i] + s.ksize[i] - padded));
  }
  const padded = ctx.g.op('Pad', [input, ctx.g.int64([0, 0, pt, pl, 0, 0, pb + extra[0], pr + extra[1]])]);
  return ctx.g.op('AveragePool', [padded], base, output);
}

/** Paddle's adaptive windows: [floor(i*in/out), ceil((i+1)*in/out)). */
function adaptivePool(
  ctx: OpContext,
  type: 'max' | 'avg',
  input: string,
  output: string | undefined,
  outSize: number[],
  hw: number[],
): string {
  if (outSize[0] === 1 && outSize[1] === 1) return globalPool(ctx, type, input, output);
  if (hw[0] < 0 || hw[1] < 0) ctx.fail('adaptive pooling to a size other than 1x1 needs a static input size');
  if (hw[0] % outSize[0] === 0 && hw[1] % outSize[1] === 0) {
    // Equal, non-overlapping windows: a plain pool.
    const k = [hw[0] / outSize[0], hw[1] / outSize[1]];
    const attrs = { kernel_shape: attr.ints(k), strides: attr.ints(k) };
    return ctx.g.op(type === 'max' ? 'MaxPool' : 'AveragePool', [input], attrs, output);
  }
  // Uneven windows: rectangles are separable, so reduce rows then columns (mean of means is exact for
  // rectangles of uniform width; max is separable anyway).
  const reduce = type === 'max' ? 'ReduceMax' : 'ReduceMean';
  let cur = input;
  for (const [i, axis] of [2, 3].entries()) {
    const parts: string[] = [];
    for (let o = 0; o < outSize[i]; o++) {
      const start = Math.floor((o * hw[i]) / outSize[i]);
      const end = Math.ceil(((o + 1) * hw[i]) / outSize[i]);
      const band = ctx.g.op('Slice', [cur, ctx.g.int64([start]), ctx.g.int64([end]), ctx.g.int64([axis])]);
      parts.push(ctx.g.op(reduce, [band], { axes: attr.ints([axis]), keepdims: attr.int(1) }));
    }
    cur = ctx.g.op('Concat', parts, { axis: attr.int(axis) }, i === 1 ? output : undefined);
  }
  return cur;
}
