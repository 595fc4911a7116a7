// relu, leaky_relu, sigmoid, hard_swish.
import type { OpContext } from '../context.ts';
import { attr } from '../graph.ts';

export function relu(ctx: OpContext): void {
  ctx.g.op('Relu', [ctx.input('X')], {}, ctx.output('Out'));
}

/** leaky_relu: x > 0 ? x : alpha * x (Paddle's default alpha 0.02; PIR calls it negative_slope, see pir/ops.ts). */
export function leakyRelu(ctx: OpContext): void {
  ctx.g.op('LeakyRelu', [ctx.input('X')], { alpha: attr.float(ctx.float('alpha', 0.02)) }, ctx.output('Out'));
}

export function sigmoid(ctx: OpContext): void {
  ctx.g.op('Sigmoid', [ctx.input('X')], {}, ctx.output('Out'));
}

/** hard_swish: x * min(max(x + offset, 0), threshold) / scale (defaults 3, 6, 6 = ONNX HardSwish). */
export function hardSwish(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const threshold = ctx.float('threshold', 6);
  const scale = ctx.float('scale', 6);
  const offset = ctx.float('offset', 3);
  if (threshold === 6 && scale === 6 && offset === 3) {
    ctx.g.op('HardSwish', [x], {}, out);
    return;
  }
  const dtype = ctx.dtype(x);
  const shifted = ctx.g.op('Add', [x, ctx.g.scalar(dtype, offset)]);
  const clipped = ctx.g.op('Clip', [shifted, ctx.g.scalar(dtype, 0), ctx.g.scalar(dtype, threshold)]);
  const prod = ctx.g.op('Mul', [x, clipped]);
  ctx.g.op('Div', [prod, ctx.g.scalar(dtype, scale)], {}, out);
}
