// matmul / matmul_v2, scale, dropout (inference), reduce_mean, softmax.
import type { OpContext } from '../context.ts';
import { normAxis } from '../context.ts';
import { attr } from '../graph.ts';

function swapLastTwo(ctx: OpContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return ctx.g.op('Transpose', [x], { perm: attr.ints(perm) });
}

/** A [1]-shaped Paddle result where ONNX gives a scalar (Paddle before 0-D tensors). */
function fixScalar(ctx: OpContext, value: string, onnxRank: number, out: string): void {
  const want = ctx.varDesc(out)?.shape;
  if (want && want.length === 1 && onnxRank === 0) ctx.g.op('Reshape', [value, ctx.g.int64([1])], {}, out);
  else ctx.g.op('Identity', [value], {}, out);
}

function matmulCommon(ctx: OpContext, transX: boolean, transY: boolean, alpha: number, v2: boolean): void {
  let x = ctx.input('X');
  let y = ctx.input('Y');
  const out = ctx.output('Out');
  const rx = ctx.rank(x);
  const ry = ctx.rank(y);
  if (transX) {
    if (rx >= 2) x = swapLastTwo(ctx, x, rx);
    else if (!v2) ctx.fail('transpose_X on a 1-D input is not supported');
  }
  if (transY) {
    if (ry >= 2) y = swapLastTwo(ctx, y, ry);
    else if (!v2) ctx.fail('transpose_Y on a 1-D input is not supported');
  }
  const needScale = Math.abs(alpha - 1) > 0;
  const outRank = rx === 1 && ry === 1 ? 0 : Math.max(rx, ry) - (rx === 1 || ry === 1 ? 1 : 0);
  const direct = !needScale && outRank > 0;
  let z = ctx.g.op('MatMul', [x, y], {}, direct ? out : undefined);
  if (direct) return;
  if (needScale) z = ctx.g.op('Mul', [z, ctx.g.scalar(ctx.dtype(ctx.input('X')), alpha)]);
  fixScalar(ctx, z, outRank, out);
}

/** matmul (v1): transpose_X, transpose_Y, alpha. */
export function matmul(ctx: OpContext): void {
  matmulCommon(ctx, ctx.bool('transpose_X', false), ctx.bool('transpose_Y', false), ctx.float('alpha', 1), false);
}

/** matmul_v2: trans_x, trans_y (ignored for 1-D operands). */
export function matmulV2(ctx: OpContext): void {
  matmulCommon(ctx, ctx.bool('trans_x', false), ctx.bool('trans_y', false), 1, true);
}

/** scale: bias_after_scale ? scale*x + bias : scale*(x + bias); ScaleTensor overrides the scale attribute. */
export function scale(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const dtype = ctx.dtype(x);
  const bias = ctx.float('bias', 0);
  const afterScale = ctx.bool('bias_after_scale', true);
  const scaleTensor = ctx.hasInput('ScaleTensor') ? ctx.castTo(ctx.input('ScaleTensor'), dtype) : undefined;
  const s = ctx.float('scale', 1);
  const mul = (v: string, o?: string): string =>
    scaleTensor || s !== 1 ? ctx.g.op('Mul', [v, scaleTensor ?? ctx.g.scalar(dtype, s)], {}, o) : ctx.g.op('Identity', [v], {}, o);
  const add = (v: string, o?: string): string =>
    bias !== 0 ? ctx.g.op('Add', [v, ctx.g.scalar(dtype, bias)], {}, o) : ctx.g.op('Identity', [v], {}, o);
  if (bias === 0) mul(x, out);
  else if (afterScale) add(scaleTensor || s !== 1 ? mul(x) : x, out);
  else mul(add(x), out);
}

/** dropout at inference: downgrade_in_infer scales by (1 - p); upscale_in_train is the identity. */
export function dropout(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const mode = ctx.str('dropout_implementation', 'downgrade_in_infer');
  if (mode === 'upscale_in_train') {
    ctx.g.op('Identity', [x], {}, out);
  } else if (mode === 'downgrade_in_infer') {
    const p = ctx.float('dropout_prob', 0.5);
    // Paddle multiplies by the float32 value (1 - p).
    ctx.g.op('Mul', [x, ctx.g.scalar(ctx.dtype(x), Math.fround(1 - Math.fround(p)))], {}, out);
  } else {
    ctx.fail(`unknown dropout_implementation "${mode}"`);
  }
}

/** reduce_mean: dim, keep_dim, reduce_all (an empty dim list or one naming every axis also reduces all). */
export function reduceMean(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const rank = ctx.rank(x);
  const keep = ctx.bool('keep_dim', false);
  const dims = [...new Set(ctx.ints('dim', [0]).map((d) => normAxis(d, rank)))].sort((a, b) => a - b);
  const all = ctx.bool('reduce_all', false) || dims.length === 0 || dims.length === rank;
  const axes = all ? Array.from({ length: rank }, (_, i) => i) : dims;
  const z = ctx.g.op('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(+keep) });
  fixScalar(ctx, z, keep ? rank : rank - axes.length, out);
}

export function softmax(ctx: OpContext): void {
  ctx.g.op('Softmax', [ctx.input('X')], { axis: attr.int(ctx.int('axis', -1)) }, ctx.output('Out'));
}
