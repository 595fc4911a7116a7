// ResNet-vd backbones with PaddleVideo's heads, emitted as Paddle inference programs:
//  - PP-TSM: ResNetTweaksTSM (temporal shift before every bottleneck) + ppTSMHead (TSNHead order:
//    pool → dropout → reshape [-1, seg, C] → mean over segments → reshape [-1, C] → fc).
//  - PP-TSN: ResNetTweaksTSN (no shift; BatchNorm with fused act and named moving stats) + ppTSNHead
//    (pool → reshape → mean → dropout → reshape → fc).
// Both start with Recognizer2D's reshape [-1, 3, H, W] and end with save_inference_model's scale + fetch.
import { ProgramBuilder, type TensorRef } from './builder.ts';
import type { ProgramDesc } from '../types.ts';

export interface ResNetVdSpec {
  /** Frames per sample (feed dim 1): segments for PP-TSM, segments × crops for PP-TSN. */
  frames: number;
  imageSize: number;
  /** Output channels of the three stem convs (conv1_1..conv1_3). */
  stem: [number, number, number];
  /** Bottleneck blocks per stage. */
  depth: number[];
  /** Bottleneck width per stage (the block outputs 4× this). */
  filters: number[];
  numClasses: number;
  variant: 'tsm' | 'tsn';
  /** TSM only: temporal_shift seg_num and shift_ratio. */
  segNum?: number;
  shiftRatio?: number;
  dropout: number;
  /** Where Paddle's unique-name counters started in the export being reproduced. */
  firstIds?: Record<string, number>;
  feedName?: string;
}

/** The program's feed and fetch names, as PaddleVideo's export writes them. */
export const FEED_NAME = 'data_batch_0';
export const FETCH_NAME = 'save_infer_model/scale_0.tmp_1';

export function buildResNetVd(spec: ResNetVdSpec): ProgramDesc {
  const b = new ProgramBuilder(spec.firstIds);
  const tsm = spec.variant === 'tsm';
  const S = spec.imageSize;

  // ResNetTweaks* ConvBNLayer: [avg-pool 2×2 (tweaks mode)] → conv (no bias) → batch_norm → [relu].
  const convBN = (x: TensorRef, cout: number, k: number, stride: number, act: boolean, name: string, tweaks = false): TensorRef => {
    if (tweaks) x = b.pool2d(x, { type: 'avg', ksize: 2, stride: 2, padding: 0, ceilMode: true });
    const filter = b.param(`${name}_weights`, [cout, x.shape[1]!, k, k]);
    const conv = b.conv2d(x, filter, stride, (k - 1) >> 1);
    const bn = name === 'conv1' ? `bn_${name}` : `bn${name.slice(3)}`;
    // ResNetTweaksTSM uses BatchNorm2D (unnamed moving stats); ResNetTweaksTSN the fluid-style BatchNorm with names.
    const statsId = tsm ? b.uniqueName('batch_norm2d') : '';
    const params = {
      scale: b.param(`${bn}_scale`, [cout]),
      bias: b.param(`${bn}_offset`, [cout]),
      mean: b.param(tsm ? `${statsId}.w_0` : `${bn}_mean`, [cout]),
      variance: b.param(tsm ? `${statsId}.w_1` : `${bn}_variance`, [cout]),
    };
    const y = b.batchNorm(conv, params);
    if (!act) return y;
    // BatchNorm(act='relu') names its activation output after itself (batch_norm_<n>.tmp_3); F.relu uses relu_<n>.
    return tsm ? b.relu(y) : b.relu(y, y.name.replace(/\.tmp_2$/, '.tmp_3'));
  };

  const input = b.feed(spec.feedName ?? FEED_NAME, [-1, spec.frames, 3, S, S]);
  let y = b.reshape2(input, [-1, 3, S, S]);
  y = convBN(y, spec.stem[0], 3, 2, true, 'conv1_1');
  y = convBN(y, spec.stem[1], 3, 1, true, 'conv1_2');
  y = convBN(y, spec.stem[2], 3, 1, true, 'conv1_3');
  y = b.pool2d(y, { type: 'max', ksize: 3, stride: 2, padding: 1 });

  for (let stage = 0; stage < spec.depth.length; stage++) {
    const width = spec.filters[stage]!;
    for (let i = 0; i < spec.depth[stage]!; i++) {
      const name = `res${stage + 2}${String.fromCharCode(97 + i)}`;
      const inp = y;
      const shifted = tsm ? b.temporalShift(inp, spec.segNum!, spec.shiftRatio!) : inp;
      const c0 = convBN(shifted, width, 1, 1, true, `${name}_branch2a`);
      const c1 = convBN(c0, width, 3, i === 0 && stage !== 0 ? 2 : 1, true, `${name}_branch2b`);
      const c2 = convBN(c1, width * 4, 1, 1, false, `${name}_branch2c`);
      const short = i === 0 ? convBN(inp, width * 4, 1, 1, false, `${name}_branch1`, !(stage === 0 && i === 0)) : inp;
      y = b.relu(b.elementwiseAdd(short, c2));
    }
  }

  // Heads.
  const channels = y.shape[1]!;
  const frames = tsm ? spec.segNum! : spec.frames;
  let x = b.pool2d(y, { type: 'avg', ksize: 1, stride: 1, padding: 0, adaptive: true });
  if (tsm) x = b.dropout(x, spec.dropout);
  x = b.reshape2(x, [-1, frames, channels]);
  x = b.reduceMean(x, 1);
  if (!tsm) x = b.dropout(x, spec.dropout);
  x = b.reshape2(x, [-1, channels]);
  const w = b.param('fc_0.w_0', [channels, spec.numClasses]);
  const bias = b.param('fc_0.b_0', [spec.numClasses]);
  x = b.linear(x, w, bias);
  const out = b.scale(x, FETCH_NAME);
  b.fetch(out);
  return b.build();
}

/** The ResNet50-vd backbone both PP-TSM and PP-TSN use. */
const RESNET50_VD = { imageSize: 224, stem: [32, 32, 64], depth: [3, 4, 6, 3], filters: [64, 128, 256, 512] } satisfies Partial<ResNetVdSpec>;

/** PP-TSM as PaddleVideo exports it: ResNet50-vd + temporal shift, 8 segments, 224², 400 classes. */
export function buildPPTSM(o: { numClasses?: number; segNum?: number; imageSize?: number } = {}): ProgramDesc {
  const segNum = o.segNum ?? 8;
  return buildResNetVd({
    ...RESNET50_VD,
    imageSize: o.imageSize ?? RESNET50_VD.imageSize,
    frames: segNum,
    numClasses: o.numClasses ?? 400,
    variant: 'tsm',
    segNum,
    shiftRatio: 1 / segNum,
    dropout: 0.5,
    // The released ppTSM.pdmodel was traced after 55 convs and one linear/dropout had been named.
    firstIds: { conv2d: 55, linear: 1, dropout: 1 },
  });
}

/** PP-TSN: ResNet50-vd, 25 segments × 10 crops averaged, 224², 400 classes. */
export function buildPPTSN(o: { numClasses?: number; segNum?: number; crops?: number; imageSize?: number } = {}): ProgramDesc {
  return buildResNetVd({
    ...RESNET50_VD,
    imageSize: o.imageSize ?? RESNET50_VD.imageSize,
    frames: (o.segNum ?? 25) * (o.crops ?? 10),
    numClasses: o.numClasses ?? 400,
    variant: 'tsn',
    dropout: 0.4,
  });
}

/** A tiny PP-TSM-shaped graph (same 13 op types) for fast tests: feed [-1, 2, 3, 16, 16], 5 classes. */
export function buildTiny(): ProgramDesc {
  return buildResNetVd({
    frames: 2,
    imageSize: 16,
    stem: [4, 4, 8],
    depth: [1, 1],
    filters: [2, 4],
    numClasses: 5,
    variant: 'tsm',
    segNum: 2,
    shiftRatio: 0.25,
    dropout: 0.5,
  });
}
