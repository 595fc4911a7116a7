// elementwise_* with Paddle's `axis` broadcasting: the lower-rank operand's dims line up with the higher-rank
// operand's dims starting at `axis` (-1 = trailing alignment, which is numpy's rule and needs nothing extra).
import type { OpContext } from '../context.ts';

const ONNX_OP: Record<string, string> = {
  elementwise_add: 'Add',
  elementwise_sub: 'Sub',
  elementwise_mul: 'Mul',
  elementwise_div: 'Div',
  elementwise_max: 'Max',
  elementwise_min: 'Min',
  elementwise_pow: 'Pow',
};

export const ELEMENTWISE_OPS = Object.keys(ONNX_OP);

export function elementwise(ctx: OpContext): void {
  const onnxOp = ONNX_OP[ctx.op.type];
  let x = ctx.input('X');
  let y = ctx.input('Y');
  const out = ctx.output('Out');
  const xs = ctx.shape(x);
  const ys = ctx.shape(y);
  const axis = ctx.int('axis', -1);
  if (xs.length > ys.length) y = alignAt(ctx, y, ys, xs.length, axis);
  else if (ys.length > xs.length) x = alignAt(ctx, x, xs, ys.length, axis);
  ctx.g.op(onnxOp, [x, y], {}, out);
}

/** Unsqueeze `small` (dims `dims`) to `rank` so that its dims sit at [axis, axis + its rank). */
function alignAt(ctx: OpContext, small: string, dims: number[], rank: number, axis: number): string {
  let d = dims.slice();
  const start = axis === -1 ? rank - d.length : axis < 0 ? axis + rank : axis;
  // Paddle ignores trailing size-1 dims of the smaller operand that would run past the larger one.
  let squeezeFrom = d.length;
  while (start + squeezeFrom > rank && squeezeFrom > 0 && d[squeezeFrom - 1] === 1) squeezeFrom--;
  if (start < 0 || start + squeezeFrom > rank) {
    ctx.fail(`cannot broadcast [${dims.join(', ')}] into rank ${rank} at axis ${axis}`);
  }
  let v = small;
  if (squeezeFrom < d.length) {
    const axes = Array.from({ length: d.length - squeezeFrom }, (_, i) => squeezeFrom + i);
    v = ctx.g.op('Squeeze', [v, ctx.g.int64(axes)]);
    d = d.slice(0, squeezeFrom);
  }
  if (start + d.length === rank) return v; // trailing alignment: ONNX broadcasting already does it
  const axes: number[] = [];
  for (let i = 0; i < start; i++) axes.push(i);
  for (let i = start + d.length; i < rank; i++) axes.push(i);
  return ctx.g.op('Unsqueeze', [v, ctx.g.int64(axes)]);
}
