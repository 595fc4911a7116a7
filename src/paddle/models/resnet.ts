// The classic ResNet recognizers as PaddleVideo exports them (Recognizer2D: reshape [-1, 3, H, W] → backbone → head):
//  - TSM: ResNetTSM (backbones/resnet_tsm.py: 7×7 stem, temporal shift before every bottleneck, plain strided 1×1
//    projection shortcuts) + TSMHead (heads/tsm_head.py: pool → dropout → reshape to x.shape[:2] → fc per frame →
//    reshape [-1, seg, K] → mean over segments).
//  - TSN: ResNet (backbones/resnet.py: the same network without the shift) + TSNHead (pool → reshape [-1, seg, C] →
//    mean → dropout → fc), over num_seg × 10 TenCrop views.
// Parameters carry the names the layers give them (conv1_weights, bn2a_branch1_scale, fc_0.w_0; BatchNorm2D's
// moving statistics are unnamed: batch_norm2d_<n>.w_0/.w_1); op outputs continue Paddle's unique-name counters after
// the layers built in __init__ (53 Conv2D, the head's Dropout and Linear(s)).
import { ProgramBuilder, type TensorRef } from './builder.ts';
import { FEED_NAME, FETCH_NAME } from './resnet_vd.ts';
import type { ProgramDesc } from '../types.ts';

export interface ResNetSpec {
  head: 'tsm' | 'tsn';
  /** Frames fed per clip: num_seg for TSM, num_seg × 10 crops for TSN. */
  frames: number;
  numClasses: number;
  imageSize: number;
  /** ResNet-50: bottlenecks per stage. */
  depth?: number[];
  dropout?: number;
}

export function buildResNet(spec: ResNetSpec): ProgramDesc {
  const depth = spec.depth ?? [3, 4, 6, 3];
  const filters = [64, 128, 256, 512];
  const tsm = spec.head === 'tsm';
  const S = spec.imageSize;
  const seg = spec.frames;
  // Layers built in __init__ before tracing: 1 stem + 3 per block + 1 projection per stage; the head's Dropout, and
  // its Linear (TSMHead builds TSNHead's fc, then its own).
  const convLayers = 1 + depth.reduce((a, d) => a + 3 * d + 1, 0);
  const b = new ProgramBuilder({ conv2d: convLayers, dropout: 1, linear: tsm ? 2 : 1 });

  const convBN = (x: TensorRef, cout: number, k: number, stride: number, act: boolean, name: string): TensorRef => {
    const conv = b.conv2d(x, b.param(`${name}_weights`, [cout, x.shape[1]!, k, k]), stride, (k - 1) >> 1);
    const bn = name === 'conv1' ? `bn_${name}` : `bn${name.slice(3)}`;
    const stats = b.uniqueName('batch_norm2d');
    const y = b.batchNorm(conv, {
      scale: b.param(`${bn}_scale`, [cout]),
      bias: b.param(`${bn}_offset`, [cout]),
      mean: b.param(`${stats}.w_0`, [cout]),
      variance: b.param(`${stats}.w_1`, [cout]),
    });
    return act ? b.relu(y) : y;
  };

  const input = b.feed(FEED_NAME, [-1, seg, 3, S, S]);
  let y = b.reshape2(input, [-1, 3, S, S]);
  y = convBN(y, 64, 7, 2, true, 'conv1');
  y = b.pool2d(y, { type: 'max', ksize: 3, stride: 2, padding: 1 });
  for (let stage = 0; stage < depth.length; stage++) {
    for (let i = 0; i < depth[stage]!; i++) {
      const name = `res${stage + 2}${String.fromCharCode(97 + i)}`;
      const stride = i === 0 && stage !== 0 ? 2 : 1;
      const inp = y;
      const shifted = tsm ? b.temporalShift(inp, seg, 1 / seg) : inp;
      const c0 = convBN(shifted, filters[stage]!, 1, 1, true, `${name}_branch2a`);
      const c1 = convBN(c0, filters[stage]!, 3, stride, true, `${name}_branch2b`);
      const c2 = convBN(c1, filters[stage]! * 4, 1, 1, false, `${name}_branch2c`);
      const short = i === 0 ? convBN(inp, filters[stage]! * 4, 1, stride, false, `${name}_branch1`) : inp;
      y = b.relu(b.elementwiseAdd(short, c2));
    }
  }

  const channels = y.shape[1]!;
  const K = spec.numClasses;
  const fc = (x: TensorRef): TensorRef => b.linear(x, b.param('fc_0.w_0', [channels, K]), b.param('fc_0.b_0', [K]));
  let x = b.pool2d(y, { type: 'avg', ksize: 1, stride: 1, padding: 0, adaptive: true });
  if (tsm) {
    x = b.dropout(x, spec.dropout ?? 0.5);
    // paddle.reshape(x, x.shape[:2]): the batch dim is unknown, so dygraph-to-static reads the shape at run time.
    x = b.reshape2ByTensor(x, b.slice(b.shape(x), [0], [0], [2]));
    x = fc(x);
    x = b.reshape2(x, [-1, seg, K]);
    x = b.reduceMean(x, 1);
    x = b.reshape2(x, [-1, K]);
  } else {
    x = b.reshape2(x, [-1, seg, channels]);
    x = b.reduceMean(x, 1);
    x = b.dropout(x, spec.dropout ?? 0.4);
    x = fc(x);
  }
  b.fetch(b.scale(x, FETCH_NAME));
  return b.build();
}

/** TSM (configs/recognition/tsm/tsm_k400_*.yaml): ResNet-50, 8 segments, 224², 400 classes. */
export function buildTSM(o: { numSeg?: number; numClasses?: number; imageSize?: number } = {}): ProgramDesc {
  return buildResNet({ head: 'tsm', frames: o.numSeg ?? 8, numClasses: o.numClasses ?? 400, imageSize: o.imageSize ?? 224 });
}

/** TSN (configs/recognition/tsn/tsn_k400_*.yaml): ResNet-50, 25 segments × 10 crops, 224², 400 classes. */
export function buildTSN(o: { numSeg?: number; numClasses?: number; imageSize?: number } = {}): ProgramDesc {
  return buildResNet({ head: 'tsn', frames: (o.numSeg ?? 25) * 10, numClasses: o.numClasses ?? 400, imageSize: o.imageSize ?? 224 });
}
