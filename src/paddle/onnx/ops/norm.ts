// batch_norm (inference): Y = (X - Mean) / sqrt(Variance + epsilon) * Scale + Bias, per channel.
import type { OpContext } from '../context.ts';
import { attr } from '../graph.ts';
import { channelFirst, isChannelLast } from './layout.ts';

export function batchNorm(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Y');
  const epsilon = ctx.float('epsilon', 1e-5);
  const layout = ctx.str('data_layout', 'NCHW');
  const params = ['Scale', 'Bias', 'Mean', 'Variance'].map((p) => ctx.input(p));
  // An inference program always normalizes with the stored running statistics (is_test / use_global_stats).
  const rank = ctx.rank(x);
  channelFirst(ctx, x, rank, isChannelLast(layout) && rank > 2, out, (input, output) =>
    ctx.g.op('BatchNormalization', [input, ...params], { epsilon: attr.float(epsilon) }, output),
  );
}
