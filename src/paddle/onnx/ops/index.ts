// The one table of Paddle op type → converter. feed/fetch are handled by the translator itself.
import type { OpContext } from '../context.ts';
import { hardSwish, leakyRelu, relu, sigmoid } from './activation.ts';
import { conv2d } from './conv.ts';
import { ELEMENTWISE_OPS, elementwise } from './elementwise.ts';
import { dropout, matmul, matmulV2, reduceMean, scale, softmax } from './math.ts';
import { batchNorm } from './norm.ts';
import { pool2d } from './pool.ts';
import {
  cast,
  concat,
  fillConstant,
  flattenContiguousRange,
  reshape2,
  shape,
  slice,
  squeeze2,
  transpose2,
  unsqueeze2,
} from './shape.ts';
import { temporalShift } from './temporal-shift.ts';

export type OpConverter = (ctx: OpContext) => void;

export const CONVERTERS: ReadonlyMap<string, OpConverter> = new Map<string, OpConverter>([
  ['conv2d', conv2d],
  ['depthwise_conv2d', conv2d],
  ['batch_norm', batchNorm],
  ['pool2d', pool2d],
  ['temporal_shift', temporalShift],
  ...ELEMENTWISE_OPS.map((t): [string, OpConverter] => [t, elementwise]),
  ['matmul', matmul],
  ['matmul_v2', matmulV2],
  ['scale', scale],
  ['dropout', dropout],
  ['reduce_mean', reduceMean],
  ['softmax', softmax],
  ['reshape2', reshape2],
  ['flatten_contiguous_range', flattenContiguousRange],
  ['transpose2', transpose2],
  ['unsqueeze2', unsqueeze2],
  ['squeeze2', squeeze2],
  ['slice', slice],
  ['concat', concat],
  ['shape', shape],
  ['cast', cast],
  ['fill_constant', fillConstant],
  ['relu', relu],
  ['leaky_relu', leakyRelu],
  ['sigmoid', sigmoid],
  ['hard_swish', hardSwish],
]);
