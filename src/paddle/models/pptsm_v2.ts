// PP-TSMv2 as PaddleVideo exports it (paddlevideo/modeling/backbones/pptsm_v2.py, head MoViNetHead = identity):
// the PP-LCNetV2 backbone with one temporal shift (and, in the DML-distilled release, the GlobalAttention
// temporal attention) before stage 3, then last_conv 1280 → relu → Dropout(0.2, downscale_in_infer) → mean over
// segments → fc.
//
// tools/export_model.py calls rep() on every RepDepthwiseSeparable before tracing, so a use_rep block is one
// depthwise Conv2D with a bias (its dw_conv_list ConvBNs are built, consuming names, but not traced). Layers are
// named in the order PPTSM_v2_LCNet.__init__ builds them (conv2d_<n>.w_0, batch_norm2d_<n>.w_0..w_2, linear_<n>);
// the ops of the traced forward continue Paddle's unique-name counters from there, as paddle.jit.save's do.
import { ProgramBuilder, type TensorRef } from './builder.ts';
import { FEED_NAME, FETCH_NAME } from './resnet_vd.ts';
import type { ProgramDesc } from '../types.ts';

export interface PPTSMv2Spec {
  /** Segments (frames) per clip: 8 or 16 in PaddleVideo's configs. */
  numSeg: number;
  numClasses: number;
  imageSize: number;
  /** GlobalAttention before the temporal shift (the DML-distillation configs' student). */
  temporalAttention: boolean;
  /** PPTSM_v2: scale 1.0, depths [2, 2, 6, 2], class_expand 1280, dropout 0.2. */
  scale?: number;
  depths?: number[];
  classExpand?: number;
  dropout?: number;
}

// NET_CONFIG: in_channels, kernel_size, split_pw, use_rep, use_se, use_shortcut.
const NET_CONFIG: [number, number, boolean, boolean, boolean, boolean][] = [
  [64, 3, false, false, false, false],
  [128, 3, false, false, false, false],
  [256, 5, true, true, true, false],
  [512, 5, false, true, false, true],
];

function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

interface ConvBN {
  conv: string;
  bn: string;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  groups: number;
  act: boolean;
}

interface Block {
  cin: number;
  cout: number;
  stride: number;
  dw: ConvBN | { repped: string; k: number };
  se?: { conv1: string; conv2: string };
  pw: ConvBN[];
  shortcut: boolean;
}

/** Construction pass: names every layer's parameters in PPTSM_v2_LCNet.__init__ order. */
class Layers {
  constructor(private readonly b: ProgramBuilder) {}
  conv(): string {
    return this.b.uniqueName('conv2d');
  }
  convBN(cin: number, cout: number, k: number, stride: number, groups = 1, act = true): ConvBN {
    const conv = this.conv();
    const bn = this.b.uniqueName('batch_norm2d');
    return { conv, bn, cin, cout, k, stride, groups, act };
  }
  block(cin: number, cout: number, stride: number, k: number, splitPw: boolean, useRep: boolean, useSe: boolean, useShortcut: boolean): Block {
    let dw: Block['dw'];
    if (useRep) {
      for (let ks = k; ks > 0; ks -= 2) if (!(ks === 1 && stride !== 1)) this.convBN(cin, cin, ks, stride, cin, false);
      dw = { repped: this.conv(), k };
    } else {
      dw = this.convBN(cin, cin, k, stride, cin);
    }
    let se: Block['se'];
    if (useSe) {
      const conv1 = this.conv();
      const conv2 = this.conv();
      this.b.uniqueName('sigmoid'); // nn.Sigmoid()
      se = { conv1, conv2 };
    }
    const pw = splitPw
      ? [this.convBN(cin, Math.trunc(cout * 0.5), 1, 1), this.convBN(Math.trunc(cout * 0.5), cout, 1, 1)]
      : [this.convBN(cin, cout, 1, 1)];
    return { cin, cout, stride, dw, se, pw, shortcut: useShortcut && stride === 1 && cin === cout };
  }
}

export function buildPPTSMv2(spec: PPTSMv2Spec): ProgramDesc {
  const scale = spec.scale ?? 1;
  const depths = spec.depths ?? [2, 2, 6, 2];
  const classExpand = spec.classExpand ?? 1280;
  const seg = spec.numSeg;
  const S = spec.imageSize;
  const b = new ProgramBuilder();
  const L = new Layers(b);

  // ---- __init__ order ----
  const stemConv = L.convBN(3, makeDivisible(32 * scale), 3, 2);
  const stemBlock = L.block(makeDivisible(32 * scale), makeDivisible(64 * scale), 1, 3, false, false, false, false);
  const stages = NET_CONFIG.map(([cin, k, splitPw, useRep, useSe, useShortcut], d) =>
    Array.from({ length: depths[d]! }, (_, i) =>
      L.block(makeDivisible((i === 0 ? cin : cin * 2) * scale), makeDivisible(cin * 2 * scale), i === 0 ? 2 : 1, k, splitPw, useRep, useSe, useShortcut),
    ),
  );
  const lastConv = L.conv();
  b.uniqueName('dropout');
  const fcName = b.uniqueName('linear');
  const attentionFc = spec.temporalAttention ? b.uniqueName('linear') : undefined;

  // ---- forward ----
  const bnParams = (name: string, c: number) => ({
    scale: b.param(`${name}.w_0`, [c]),
    bias: b.param(`${name}.b_0`, [c]),
    mean: b.param(`${name}.w_1`, [c]),
    variance: b.param(`${name}.w_2`, [c]),
  });
  const conv = (x: TensorRef, name: string, cout: number, k: number, stride: number, groups: number, bias: boolean): TensorRef => {
    const cin = x.shape[1]!;
    const w = b.param(`${name}.w_0`, [cout, cin / groups, k, k]);
    const depthwise = groups === cin && cin !== 1 && cout % cin === 0;
    const y = b.conv2d(x, w, stride, (k - 1) >> 1, groups, depthwise);
    return bias ? b.elementwiseAdd(y, b.param(`${name}.b_0`, [cout]), 1) : y;
  };
  const convBN = (x: TensorRef, l: ConvBN): TensorRef => {
    const y = b.batchNorm(conv(x, l.conv, l.cout, l.k, l.stride, l.groups, false), bnParams(l.bn, l.cout));
    return l.act ? b.relu(y) : y;
  };
  const block = (x: TensorRef, bl: Block): TensorRef => {
    const input = x;
    let y: TensorRef;
    if ('repped' in bl.dw) y = b.relu(conv(x, bl.dw.repped, bl.cin, bl.dw.k, bl.stride, bl.cin, true));
    else y = convBN(x, bl.dw);
    if (bl.se) {
      const c = y.shape[1]!;
      let s = b.pool2d(y, { type: 'avg', ksize: 1, stride: 1, padding: 0, adaptive: true });
      s = b.relu(conv(s, bl.se.conv1, c / 4, 1, 1, 1, true));
      s = b.sigmoid(conv(s, bl.se.conv2, c, 1, 1, 1, true));
      y = b.elementwiseMul(y, s);
    }
    for (const p of bl.pw) y = convBN(y, p);
    // `x + input_x`: Variable.__add__ names its output tmp_<n>.
    return bl.shortcut ? b.elementwiseAdd(y, input, -1, b.uniqueName('tmp')) : y;
  };
  const globalAttention = (x: TensorRef, fc: string): TensorRef => {
    const [, C, H, W] = x.shape as [number, number, number, number];
    let a = b.reshape2(x, [-1, seg, C * H * W]);
    a = b.reduceMean(a, 2);
    a = b.squeeze2(a, [-1]);
    a = b.linear(a, b.param(`${fc}.w_0`, [seg, seg]), b.param(`${fc}.b_0`, [seg]));
    a = b.sigmoid(a);
    a = b.reshape2(a, [-1, seg, 1, 1, 1]);
    const x0 = b.reshape2(x, [-1, seg, C, H, W]);
    return b.reshape2(b.elementwiseMul(x0, a), [-1, C, H, W]);
  };

  const input = b.feed(FEED_NAME, [-1, seg, 3, S, S]);
  let y = b.reshape2(input, [-1, 3, S, S]);
  y = convBN(y, stemConv);
  y = block(y, stemBlock);
  stages.forEach((stage, d) => {
    if (d === 2) {
      // Only stage 3 gets temporal modelling, for efficiency.
      if (attentionFc) y = globalAttention(y, attentionFc);
      y = b.temporalShift(y, seg, 1 / seg);
    }
    for (const bl of stage) y = block(y, bl);
  });
  y = b.pool2d(y, { type: 'avg', ksize: 1, stride: 1, padding: 0, adaptive: true });
  y = b.relu(conv(y, lastConv, classExpand, 1, 1, 1, false));
  y = b.dropout(y, spec.dropout ?? 0.2, 'downgrade_in_infer');
  y = b.reshape2(y, [-1, seg, classExpand]);
  y = b.reduceMean(y, 1);
  y = b.reshape2(y, [-1, classExpand]);
  y = b.linear(y, b.param(`${fcName}.w_0`, [classExpand, spec.numClasses]), b.param(`${fcName}.b_0`, [spec.numClasses]));
  b.fetch(b.scale(y, FETCH_NAME));
  return b.build();
}
