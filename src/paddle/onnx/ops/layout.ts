// Channel-last inputs: ONNX's Conv/Pool/BatchNormalization are channel-first, so NHWC ops are wrapped in Transposes.
import type { OpContext } from '../context.ts';
import { attr } from '../graph.ts';

export function isChannelLast(format: string): boolean {
  return format === 'NHWC' || format === 'NDHWC' || format === 'NLC';
}

/** Permutation moving the last axis to position 1 ([N, ..., C] → [N, C, ...]). */
export function toChannelFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Permutation moving axis 1 to the end ([N, C, ...] → [N, ..., C]). */
export function toChannelLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/**
 * Run body on a channel-first view of x and give its result back in x's layout, written to out when given.
 * body(input, output?) must write its result to output when given.
 */
export function channelFirst(
  ctx: OpContext,
  x: string,
  rank: number,
  channelLast: boolean,
  out: string | undefined,
  body: (input: string, output: string | undefined) => string,
): string {
  if (!channelLast) return body(x, out);
  const xt = ctx.g.op('Transpose', [x], { perm: attr.ints(toChannelFirstPerm(rank)) });
  const y = body(xt, undefined);
  return ctx.g.op('Transpose', [y], { perm: attr.ints(toChannelLastPerm(rank)) }, out);
}
