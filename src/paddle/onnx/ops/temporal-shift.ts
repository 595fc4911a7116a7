// temporal_shift (TSM): x is [N*T, C, H, W] (or [N*T, H, W, C]); seen as [N, T, C, H, W], the first
// c1 = int(C*shift_ratio) channels take frame t-1, the next up to c2 = int(C*2*shift_ratio) take frame t+1,
// the rest stay; frames shifted in from outside the clip are zero (Paddle's TemporalShiftFwNCHW/NHWC).
import type { OpContext } from '../context.ts';
import { attr } from '../graph.ts';

export function temporalShift(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const T = ctx.int('seg_num');
  const ratio = ctx.float('shift_ratio', 0.25);
  const format = ctx.str('data_format', 'NCHW');
  const xs = ctx.shape(x);
  if (xs.length !== 4) ctx.fail(`input ${x} must be 4-D, its shape is [${xs.join(', ')}]`);
  if (!(T > 0)) ctx.fail(`seg_num must be positive, got ${T}`);
  const channelLast = format === 'NHWC';
  const C = channelLast ? xs[3] : xs[1];
  if (C < 0) ctx.fail(`the channel count of ${x} must be static`);
  // Paddle computes these in float32: static_cast<int>(c * shift_ratio), static_cast<int>(c * 2 * shift_ratio).
  const c1 = Math.trunc(Math.fround(C * Math.fround(ratio)));
  const c2 = Math.trunc(Math.fround(2 * C * Math.fround(ratio)));
  if (ctx.options.temporalShift !== 'plain' && !channelLast) {
    shiftGather(ctx, x, out, T, C, c1, c2);
    return;
  }
  // Channel axis once x is seen as 5-D [N, T, ...].
  const cAxis = channelLast ? 4 : 2;
  const x5 = ctx.g.op('Reshape', [x, splitBatchShape(ctx, x, xs, T)]);
  const y5 =
    ctx.options.temporalShift === 'plain'
      ? shiftPlain(ctx, x5, T, C, c1, c2, cAxis)
      : shiftSlices(ctx, x5, T, C, c1, c2, cAxis);
  ctx.g.op('Reshape', [y5, mergeBatchShape(ctx, x, xs)], {}, out);
}

/**
 * The fast NCHW form. [N*T, C, H, W] is [N, T*C, H, W] in memory, where the shift is a fixed permutation of the
 * T*C channels: one Gather of whole H×W planes along axis 1, then a per-channel 0/1 mask for the planes that
 * come from outside the clip (they gather some in-clip plane, then get zeroed). Gather and Mul both run on the
 * thread pool, unlike Pad/Slice/Concat. (A non-finite value in a masked plane gives NaN where Paddle gives 0.)
 */
function shiftGather(ctx: OpContext, x: string, out: string, T: number, C: number, c1: number, c2: number): string {
  const dtype = ctx.dtype(x);
  const index: number[] = [];
  const keep: number[] = [];
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const src = c < c1 ? t - 1 : c < c2 ? t + 1 : t;
      const inClip = src >= 0 && src < T;
      index.push((inClip ? src : t) * C + c);
      keep.push(inClip ? 1 : 0);
    }
  }
  // Reshape's 0 keeps H and W from x, so spatial dims may be dynamic.
  const planes = ctx.g.op('Reshape', [x, ctx.g.int64([-1, T * C, 0, 0])]);
  const gathered = ctx.g.op('Gather', [planes, ctx.g.constant('temporal_shift_index', 'int64', [T * C], index)], { axis: attr.int(1) });
  const masked = keep.every((k) => k === 1)
    ? gathered
    : ctx.g.op('Mul', [gathered, ctx.g.constant('temporal_shift_mask', dtype, [1, T * C, 1, 1], keep)]);
  return ctx.g.op('Reshape', [masked, ctx.g.int64([-1, C, 0, 0])], {}, out);
}

/** [N*T, a, b, c] → [N, T, a, b, c]; static dims become a constant, otherwise the shape is computed. */
function splitBatchShape(ctx: OpContext, x: string, xs: number[], T: number): string {
  const rest = xs.slice(1);
  if (rest.every((d) => d >= 0)) return ctx.g.int64([-1, T, ...rest]);
  const tail = ctx.g.op('Shape', [x], { start: attr.int(1) });
  return ctx.g.op('Concat', [ctx.g.int64([-1, T]), tail], { axis: attr.int(0) });
}

function mergeBatchShape(ctx: OpContext, x: string, xs: number[]): string {
  const rest = xs.slice(1);
  if (rest.every((d) => d >= 0)) return ctx.g.int64([-1, ...rest]);
  return ctx.g.op('Shape', [x]);
}

function slice(ctx: OpContext, x: string, axes: number[], starts: number[], ends: number[]): string {
  return ctx.g.op('Slice', [x, ctx.g.int64(starts), ctx.g.int64(ends), ctx.g.int64(axes)]);
}

/**
 * The textbook form (Paddle's own documentation of the op): zero-pad T by one frame on each side, take three
 * windows of the padded tensor, concatenate them along C.
 */
function shiftPlain(ctx: OpContext, x5: string, T: number, C: number, c1: number, c2: number, cAxis: number): string {
  const pads = [0, 1, 0, 0, 0, 0, 1, 0, 0, 0];
  const padded = ctx.g.op('Pad', [x5, ctx.g.int64(pads)]);
  const back = slice(ctx, padded, [1, cAxis], [0, 0], [T, c1]);
  const fwd = slice(ctx, padded, [1, cAxis], [2, c1], [T + 2, c2]);
  const keep = slice(ctx, padded, [1, cAxis], [1, c2], [T + 1, C]);
  return ctx.g.op('Concat', [back, fwd, keep], { axis: attr.int(cAxis) });
}

/**
 * The fast form for channel-last inputs: only the shifted channel groups (2*shift_ratio of the tensor) are moved
 * and padded; the unshifted channels are sliced straight from the input, so no full-size padded copy is made.
 */
function shiftSlices(ctx: OpContext, x5: string, T: number, C: number, c1: number, c2: number, cAxis: number): string {
  const parts: string[] = [];
  if (c1 > 0) {
    // frames 0..T-2 of channels [0, c1) move to 1..T-1; frame 0 gets zeros.
    const src = slice(ctx, x5, [1, cAxis], [0, 0], [T - 1, c1]);
    parts.push(ctx.g.op('Pad', [src, ctx.g.int64([0, 1, 0, 0, 0, 0, 0, 0, 0, 0])]));
  }
  if (c2 > c1) {
    // frames 1..T-1 of channels [c1, c2) move to 0..T-2; the last frame gets zeros.
    const src = slice(ctx, x5, [1, cAxis], [1, c1], [T, c2]);
    parts.push(ctx.g.op('Pad', [src, ctx.g.int64([0, 0, 0, 0, 0, 0, 1, 0, 0, 0])]));
  }
  if (C > c2) parts.push(c2 > 0 ? slice(ctx, x5, [cAxis], [c2], [C]) : x5);
  return parts.length === 1 ? parts[0] : ctx.g.op('Concat', parts, { axis: attr.int(cAxis) });
}
