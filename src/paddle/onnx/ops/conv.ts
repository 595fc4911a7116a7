// conv2d / depthwise_conv2d → Conv. Paddle's filter is always [Cout, Cin/groups, kh, kw], whatever data_format.
import type { OpContext } from '../context.ts';
import { attr } from '../graph.ts';
import type { OnnxAttr } from '../proto.ts';
import { channelFirst, isChannelLast } from './layout.ts';

/** Paddle paddings (2 = [ph, pw] symmetric, 4 = [top, bottom, left, right]) as [top, bottom, left, right]. */
export function explicitPads(ctx: OpContext, paddings: number[]): number[] {
  if (paddings.length === 2) return [paddings[0], paddings[0], paddings[1], paddings[1]];
  if (paddings.length === 4) return paddings;
  return ctx.fail(`paddings must have 2 or 4 elements, got [${paddings.join(', ')}]`);
}

/** Paddle paddings → ONNX pads [top, left, bottom, right]. */
export function onnxPads(ctx: OpContext, paddings: number[]): number[] {
  const [top, bottom, left, right] = explicitPads(ctx, paddings);
  return [top, left, bottom, right];
}

export function conv2d(ctx: OpContext): void {
  const x = ctx.input('Input');
  const filter = ctx.input('Filter');
  const out = ctx.output('Output');
  const strides = ctx.ints('strides', [1, 1]);
  let dilations = ctx.ints('dilations', [1, 1]);
  const groups = ctx.int('groups', 1);
  const algorithm = ctx.str('padding_algorithm', 'EXPLICIT');
  const format = ctx.str('data_format', 'NCHW');

  const attrs: Record<string, OnnxAttr> = { strides: attr.ints(strides), group: attr.int(groups) };
  if (algorithm === 'SAME') {
    // Paddle resets dilations to 1 for SAME and puts the odd padding at the end (= SAME_UPPER).
    dilations = [1, 1];
    attrs.auto_pad = attr.string('SAME_UPPER');
  } else if (algorithm === 'VALID') {
    attrs.pads = attr.ints([0, 0, 0, 0]);
  } else if (algorithm === 'EXPLICIT') {
    attrs.pads = attr.ints(onnxPads(ctx, ctx.ints('paddings', [0, 0])));
  } else {
    ctx.fail(`unknown padding_algorithm "${algorithm}"`);
  }
  attrs.dilations = attr.ints(dilations);

  const extra: string[] = ctx.hasInput('Bias') ? [ctx.input('Bias')] : [];
  const residual = ctx.hasInput('ResidualData') ? ctx.input('ResidualData') : undefined;
  const y = channelFirst(ctx, x, 4, isChannelLast(format), residual ? undefined : out, (input, output) =>
    ctx.g.op('Conv', [input, filter, ...extra], attrs, output),
  );
  // ResidualData (a fused residual add) is in the op's own layout.
  if (residual) ctx.g.op('Add', [y, residual], {}, out);
}
