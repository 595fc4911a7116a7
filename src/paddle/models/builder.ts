// A small ProgramDesc builder that emits ops the way Paddle 2.0's static export (paddle.jit.save →
// save_inference_model) writes them: the same input/output slots (including the empty optional ones),
// the same attribute sets and defaults, and Paddle's unique-name scheme for temporaries (<prefix>_<n>.tmp_<k>).
import { VarTypeCode, type AttrValue, type DType, type OpDesc, type ProgramDesc, type VarDesc } from '../types.ts';
import { numel } from '../../tensor.ts';

const f32 = (x: number): AttrValue => ({ kind: 'float', value: Math.fround(x) });
const int = (x: number): AttrValue => ({ kind: 'int', value: x });
const str = (x: string): AttrValue => ({ kind: 'string', value: x });
const bool = (x: boolean): AttrValue => ({ kind: 'boolean', value: x });
const ints = (x: number[]): AttrValue => ({ kind: 'ints', value: x });
const floats = (x: number[]): AttrValue => ({ kind: 'floats', value: x.map(Math.fround) });
const strs = (x: string[]): AttrValue => ({ kind: 'strings', value: x });

/** Attributes Paddle's Python frontend adds to every op. */
function common(): Record<string, AttrValue> {
  return { op_role: int(0), op_role_var: strs([]), op_namescope: str('/'), op_device: str(''), op_callstack: strs([]) };
}

export interface TensorRef {
  name: string;
  shape: number[];
}

/** Paddle 2.0's op_version_map entries for the op types our builders emit. */
const OP_VERSIONS: Record<string, number> = { conv2d: 1, depthwise_conv2d: 1, elementwise_add: 1, elementwise_mul: 1, matmul: 1 };

export class ProgramBuilder {
  private readonly vars: VarDesc[] = [];
  private readonly varNames = new Set<string>();
  private readonly ops: OpDesc[] = [];
  private readonly counters = new Map<string, number>();

  /** `firstIds` sets where a name counter starts (Paddle's counters are global per process, so exports often start past 0). */
  constructor(firstIds: Record<string, number> = {}) {
    for (const [k, v] of Object.entries(firstIds)) this.counters.set(k, v);
  }

  /** Paddle's unique_name.generate(prefix): prefix_0, prefix_1, ... */
  uniqueName(prefix: string): string {
    const n = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, n + 1);
    return `${prefix}_${n}`;
  }

  private addVar(v: VarDesc): void {
    if (this.varNames.has(v.name)) throw new Error(`ProgramBuilder: duplicate variable ${v.name}`);
    this.varNames.add(v.name);
    this.vars.push(v);
  }

  /** A temporary (op output) tensor; Paddle gives these lod_level 0. */
  tmp(name: string, shape: number[], dtype: DType = 'float32', withLod = true): TensorRef {
    this.addVar({ name, type: VarTypeCode.LOD_TENSOR, dtype, shape, persistable: false, ...(withLod ? { lodLevel: 0 } : {}) });
    return { name, shape };
  }

  /** A persistable parameter (saved in .pdiparams). */
  param(name: string, shape: number[]): TensorRef {
    this.addVar({ name, type: VarTypeCode.LOD_TENSOR, dtype: 'float32', shape, persistable: true });
    return { name, shape };
  }

  // ---- feed / fetch (save_inference_model's prepend_feed_ops / append_fetch_ops) ----

  feed(name: string, shape: number[], col = 0): TensorRef {
    if (!this.varNames.has('feed')) this.addVar({ name: 'feed', type: VarTypeCode.FEED_MINIBATCH, persistable: true });
    this.addVar({ name, type: VarTypeCode.LOD_TENSOR, dtype: 'float32', shape, persistable: false });
    this.ops.push({ type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: [name] }, attrs: { ...common(), col: int(col) } });
    return { name, shape };
  }

  fetch(x: TensorRef, col = 0): void {
    if (!this.varNames.has('fetch')) this.addVar({ name: 'fetch', type: VarTypeCode.FETCH_LIST, persistable: true });
    this.ops.push({ type: 'fetch', inputs: { X: [x.name] }, outputs: { Out: ['fetch'] }, attrs: { ...common(), col: int(col) } });
  }

  // ---- ops ----

  reshape2(x: TensorRef, shape: number[]): TensorRef {
    const id = this.uniqueName('reshape2');
    const out = this.tmp(`${id}.tmp_0`, inferReshape(x.shape, shape));
    const xshape = this.tmp(`${id}.tmp_1`, [0, ...x.shape]);
    this.ops.push({
      type: 'reshape2',
      inputs: { Shape: [], ShapeTensor: [], X: [x.name] },
      outputs: { Out: [out.name], XShape: [xshape.name] },
      attrs: { ...common(), mkldnn_data_type: str('float32'), shape: ints(shape), use_quantizer: bool(false) },
    });
    return out;
  }

  /**
   * conv2d, or depthwise_conv2d when `depthwise` (Paddle ≥ 2.1's F.conv2d picks that op, without cuDNN, when
   * groups = in_channels and out_channels is a multiple of it).
   */
  conv2d(x: TensorRef, filter: TensorRef, stride: number, padding: number, groups = 1, depthwise = false): TensorRef {
    const [cout, , kh, kw] = filter.shape as [number, number, number, number];
    const [n, , h, w] = x.shape as [number, number, number, number];
    const type = depthwise ? 'depthwise_conv2d' : 'conv2d';
    const out = this.tmp(`${this.uniqueName(type)}.tmp_0`, [
      n,
      cout,
      Math.floor((h + 2 * padding - kh) / stride) + 1,
      Math.floor((w + 2 * padding - kw) / stride) + 1,
    ]);
    this.ops.push({
      type,
      inputs: { Bias: [], Filter: [filter.name], Input: [x.name], ResidualData: [] },
      outputs: { Output: [out.name] },
      attrs: {
        ...common(),
        fuse_relu: bool(false),
        mkldnn_data_type: str('float32'),
        fuse_activation: str(''),
        paddings: ints([padding, padding]),
        dilations: ints([1, 1]),
        data_format: str('NCHW'),
        fuse_relu_before_depthwise_conv: bool(false),
        fuse_residual_connection: bool(false),
        use_cudnn: bool(!depthwise),
        padding_algorithm: str('EXPLICIT'),
        strides: ints([stride, stride]),
        use_quantizer: bool(false),
        fuse_alpha: f32(0),
        Scale_out: f32(1),
        Scale_weights: floats([1]),
        fuse_beta: f32(0),
        workspace_size_MB: int(512),
        exhaustive_search: bool(false),
        Scale_in: f32(1),
        use_addto: bool(false),
        fuse_brelu_threshold: f32(6),
        fuse_brelu: bool(false),
        groups: int(groups),
        force_fp32_output: bool(false),
        use_mkldnn: bool(false),
        is_test: bool(true),
        Scale_in_eltwise: f32(1),
      },
    });
    return out;
  }

  /** Inference batch_norm; MeanOut/VarianceOut alias the running statistics, as Paddle exports them. */
  batchNorm(x: TensorRef, p: { scale: TensorRef; bias: TensorRef; mean: TensorRef; variance: TensorRef }, epsilon = 1e-5): TensorRef {
    const id = this.uniqueName('batch_norm');
    const c = x.shape[1]!;
    const savedMean = this.tmp(`${id}.tmp_0`, [c], 'float32', false);
    const savedVar = this.tmp(`${id}.tmp_1`, [c], 'float32', false);
    const y = this.tmp(`${id}.tmp_2`, [...x.shape]);
    this.ops.push({
      type: 'batch_norm',
      inputs: { Bias: [p.bias.name], Mean: [p.mean.name], MomentumTensor: [], Scale: [p.scale.name], Variance: [p.variance.name], X: [x.name] },
      outputs: { MeanOut: [p.mean.name], SavedMean: [savedMean.name], SavedVariance: [savedVar.name], VarianceOut: [p.variance.name], Y: [y.name] },
      attrs: {
        ...common(),
        use_global_stats: bool(true),
        fuse_with_relu: bool(false),
        data_layout: str('NCHW'),
        trainable_statistics: bool(false),
        use_mkldnn: bool(false),
        epsilon: f32(epsilon),
        is_test: bool(true),
        momentum: f32(0.9),
      },
    });
    return y;
  }

  /** relu; `outName` overrides the output name (fluid layers name an appended activation after their own op). */
  relu(x: TensorRef, outName?: string): TensorRef {
    return this.activation('relu', x, outName);
  }

  /** F.sigmoid (nn.Sigmoid): the sigmoid op, output sigmoid_<n>.tmp_0. */
  sigmoid(x: TensorRef): TensorRef {
    return this.activation('sigmoid', x);
  }

  private activation(type: 'relu' | 'sigmoid', x: TensorRef, outName?: string): TensorRef {
    const out = this.tmp(outName ?? `${this.uniqueName(type)}.tmp_0`, [...x.shape]);
    this.ops.push({
      type,
      inputs: { X: [x.name] },
      outputs: { Out: [out.name] },
      attrs: { ...common(), use_mkldnn: bool(false), use_cudnn: bool(false) },
    });
    return out;
  }

  pool2d(
    x: TensorRef,
    o: { type: 'max' | 'avg'; ksize: number; stride: number; padding: number; ceilMode?: boolean; adaptive?: boolean },
  ): TensorRef {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const ceil = o.ceilMode ?? false;
    const outDim = (d: number): number =>
      o.adaptive ? o.ksize : (ceil ? Math.ceil : Math.floor)((d + 2 * o.padding - o.ksize) / o.stride) + 1;
    const out = this.tmp(`${this.uniqueName('pool2d')}.tmp_0`, [n, c, outDim(h), outDim(w)]);
    this.ops.push({
      type: 'pool2d',
      inputs: { X: [x.name] },
      outputs: { Out: [out.name] },
      attrs: {
        ...common(),
        exclusive: bool(true),
        paddings: ints([o.padding, o.padding]),
        global_pooling: bool(false),
        pooling_type: str(o.type),
        mkldnn_data_type: str('float32'),
        use_quantizer: bool(false),
        is_test: bool(true),
        strides: ints([o.stride, o.stride]),
        adaptive: bool(o.adaptive ?? false),
        use_mkldnn: bool(false),
        padding_algorithm: str('EXPLICIT'),
        ceil_mode: bool(ceil),
        ksize: ints([o.ksize, o.ksize]),
        // Paddle 2.0's AdaptiveAvgPool2D passes use_cudnn=False; the other pooling layers leave it on.
        use_cudnn: bool(!o.adaptive),
        data_format: str('NCHW'),
      },
    });
    return out;
  }

  temporalShift(x: TensorRef, segNum: number, shiftRatio: number): TensorRef {
    const out = this.tmp(`${this.uniqueName('temporal_shift')}.tmp_0`, [...x.shape]);
    this.ops.push({
      type: 'temporal_shift',
      inputs: { X: [x.name] },
      outputs: { Out: [out.name] },
      attrs: { ...common(), shift_ratio: f32(shiftRatio), seg_num: int(segNum) },
    });
    return out;
  }

  elementwiseAdd(x: TensorRef, y: TensorRef, axis = -1, outName?: string): TensorRef {
    return this.elementwise('elementwise_add', x, y, axis, outName);
  }

  /** paddle.multiply → elementwise_mul (y broadcasts onto x, whose shape the output keeps). */
  elementwiseMul(x: TensorRef, y: TensorRef, axis = -1): TensorRef {
    return this.elementwise('elementwise_mul', x, y, axis);
  }

  private elementwise(type: 'elementwise_add' | 'elementwise_mul', x: TensorRef, y: TensorRef, axis: number, outName?: string): TensorRef {
    const out = this.tmp(outName ?? this.uniqueName(type), [...x.shape]);
    this.ops.push({
      type,
      inputs: { X: [x.name], Y: [y.name] },
      outputs: { Out: [out.name] },
      attrs: {
        ...common(),
        x_data_format: str(''),
        axis: int(axis),
        Scale_out: f32(1),
        mkldnn_data_type: str('float32'),
        Scale_y: f32(1),
        Scale_x: f32(1),
        use_quantizer: bool(false),
        y_data_format: str(''),
        use_mkldnn: bool(false),
      },
    });
    return out;
  }

  /**
   * Inference dropout. nn.Dropout's default mode upscale_in_train is the identity at inference; mode
   * 'downscale_in_infer' is written as dropout_implementation 'downgrade_in_infer' and scales by (1 - p).
   */
  dropout(x: TensorRef, prob: number, mode: 'upscale_in_train' | 'downgrade_in_infer' = 'upscale_in_train'): TensorRef {
    const id = this.uniqueName('dropout');
    const out = this.tmp(`${id}.tmp_0`, [...x.shape]);
    const mask = this.tmp(`${id}.tmp_1`, [], 'uint8', false);
    this.ops.push({
      type: 'dropout',
      inputs: { Seed: [], X: [x.name] },
      outputs: { Mask: [mask.name], Out: [out.name] },
      attrs: {
        ...common(),
        dropout_implementation: str(mode),
        seed: int(0),
        fix_seed: bool(false),
        is_test: bool(true),
        dropout_prob: f32(prob),
      },
    });
    return out;
  }

  /** paddle.squeeze(x, axes) → squeeze2 (only size-1 axes go; out squeeze_<n>.tmp_0, XShape .tmp_1). */
  squeeze2(x: TensorRef, axes: number[]): TensorRef {
    const id = this.uniqueName('squeeze');
    const r = x.shape.length;
    const drop = new Set(axes.map((a) => (a < 0 ? a + r : a)).filter((a) => x.shape[a] === 1));
    const out = this.tmp(`${id}.tmp_0`, x.shape.filter((_, i) => !drop.has(i)));
    const xshape = this.tmp(`${id}.tmp_1`, [0, ...x.shape]);
    this.ops.push({
      type: 'squeeze2',
      inputs: { X: [x.name] },
      outputs: { Out: [out.name], XShape: [xshape.name] },
      attrs: { ...common(), axes: ints(axes) },
    });
    return out;
  }

  /** paddle.shape(x) (what dygraph-to-static makes of `x.shape` when a dim is unknown): int32 [rank]. */
  shape(x: TensorRef): TensorRef {
    const out = this.tmp(`${this.uniqueName('shape')}.tmp_0`, [x.shape.length], 'int32');
    this.ops.push({ type: 'shape', inputs: { Input: [x.name] }, outputs: { Out: [out.name] }, attrs: { ...common() } });
    return out;
  }

  /** Variable.__getitem__ with a slice (`t[start:end]` on axis 0): the slice op, output <t>_slice_<n>. */
  slice(x: TensorRef, axes: number[], starts: number[], ends: number[]): TensorRef {
    const dims = [...x.shape];
    axes.forEach((a, i) => {
      if (dims[a]! >= 0) dims[a] = Math.min(ends[i]!, dims[a]!) - Math.max(starts[i]!, 0);
    });
    const out = this.tmp(this.uniqueName(`${x.name}_slice`), dims, this.vars.find((v) => v.name === x.name)?.dtype ?? 'float32');
    this.ops.push({
      type: 'slice',
      inputs: { EndsTensor: [], EndsTensorList: [], Input: [x.name], StartsTensor: [], StartsTensorList: [] },
      outputs: { Out: [out.name] },
      attrs: {
        ...common(),
        axes: ints(axes),
        starts: ints(starts),
        ends: ints(ends),
        infer_flags: ints(axes.map(() => 1)),
        decrease_axis: ints([]),
      },
    });
    return out;
  }

  /**
   * paddle.reshape(x, shapeTensor): reshape2 with the Shape input. Paddle cannot infer the output at export time,
   * so its dims are declared unknown (rank = the shape tensor's length).
   */
  reshape2ByTensor(x: TensorRef, shape: TensorRef): TensorRef {
    const id = this.uniqueName('reshape2');
    const out = this.tmp(`${id}.tmp_0`, Array<number>(shape.shape[0]!).fill(-1));
    const xshape = this.tmp(`${id}.tmp_1`, [0, ...x.shape]);
    this.ops.push({
      type: 'reshape2',
      inputs: { Shape: [shape.name], ShapeTensor: [], X: [x.name] },
      outputs: { Out: [out.name], XShape: [xshape.name] },
      attrs: { ...common(), mkldnn_data_type: str('float32'), shape: ints([]), use_quantizer: bool(false) },
    });
    return out;
  }

  /** paddle.mean(x, axis) → reduce_mean (output named mean_<n>.tmp_0 as paddle.mean does). */
  reduceMean(x: TensorRef, dim: number): TensorRef {
    const out = this.tmp(`${this.uniqueName('mean')}.tmp_0`, x.shape.filter((_, i) => i !== dim));
    this.ops.push({
      type: 'reduce_mean',
      inputs: { X: [x.name] },
      outputs: { Out: [out.name] },
      attrs: {
        ...common(),
        reduce_all: bool(false),
        in_dtype: int(-1),
        dim: ints([dim]),
        out_dtype: int(-1),
        keep_dim: bool(false),
      },
    });
    return out;
  }

  /** paddle.nn.functional.linear in Paddle 2.0: matmul then elementwise_add(axis = rank-1). */
  linear(x: TensorRef, weight: TensorRef, bias: TensorRef): TensorRef {
    const id = this.uniqueName('linear');
    const mm = this.tmp(`${id}.tmp_0`, [...x.shape.slice(0, -1), weight.shape[1]!]);
    this.ops.push({
      type: 'matmul',
      inputs: { X: [x.name], Y: [weight.name] },
      outputs: { Out: [mm.name] },
      attrs: {
        ...common(),
        Scale_x: f32(1),
        use_quantizer: bool(false),
        fused_transpose_Y: ints([]),
        fused_reshape_Y: ints([]),
        fused_reshape_Out: ints([]),
        Scale_y: f32(1),
        fused_reshape_X: ints([]),
        fused_transpose_X: ints([]),
        Scale_out: f32(1),
        alpha: f32(1),
        transpose_X: bool(false),
        mkldnn_data_type: str('float32'),
        transpose_Y: bool(false),
        force_fp32_output: bool(false),
        use_mkldnn: bool(false),
        fused_transpose_Out: ints([]),
      },
    });
    return this.elementwiseAdd(mm, bias, x.shape.length - 1, `${id}.tmp_1`);
  }

  /** save_inference_model's `scale(var, 1.)` on each fetch target, named save_infer_model/scale_<i>. */
  scale(x: TensorRef, outName: string, scale = 1, bias = 0): TensorRef {
    const out = this.tmp(outName, [...x.shape]);
    this.ops.push({
      type: 'scale',
      inputs: { ScaleTensor: [], X: [x.name] },
      outputs: { Out: [out.name] },
      attrs: { ...common(), scale: f32(scale), bias: f32(bias), bias_after_scale: bool(true) },
    });
    return out;
  }

  build(): ProgramDesc {
    const used = new Set(this.ops.map((o) => o.type));
    const opVersions: Record<string, number> = {};
    for (const [op, v] of Object.entries(OP_VERSIONS)) if (used.has(op)) opVersions[op] = v;
    return {
      blocks: [{ idx: 0, parentIdx: -1, vars: [...this.vars], ops: [...this.ops] }],
      version: 2000000n, // Paddle 2.0.0
      opVersions,
    };
  }
}

/** Output shape of reshape2 for a static-shape view: 0 copies the input dim, -1 is inferred (unknown stays -1). */
export function inferReshape(input: readonly number[], shape: readonly number[]): number[] {
  const out = shape.map((d, i) => (d === 0 ? input[i]! : d));
  const inKnown = input.every((d) => d >= 0);
  const neg = out.indexOf(-1);
  if (neg >= 0 && inKnown) {
    const total = numel(input);
    const rest = out.reduce((a, b, i) => (i === neg ? a : a * b), 1);
    out[neg] = total / rest;
  }
  return out;
}
