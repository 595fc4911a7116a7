// Every op translator, with its attribute variants: a small Paddle program is translated to ONNX, run on
// onnxruntime, and compared with the independent reference executor (max relative error ≤ 1e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateProgram, UnsupportedOpsError } from '../src/paddle/onnx/index.ts';
import { decodeModel } from '../src/paddle/onnx/proto.ts';
import { createSession } from '../src/runtime/session.ts';
import { VarTypeCode, type AttrValue, type DType, type OpDesc, type ParamTensor, type ProgramDesc, type VarDesc } from '../src/paddle/types.ts';
import type { Tensor, TensorData } from '../src/tensor.ts';
import { maxRelativeError, runReference, type RefTensor } from './support/reference-executor.ts';

// ---- attribute helpers ----
const I = (value: number): AttrValue => ({ kind: 'int', value });
const F = (value: number): AttrValue => ({ kind: 'float', value: Math.fround(value) });
const B = (value: boolean): AttrValue => ({ kind: 'boolean', value });
const S = (value: string): AttrValue => ({ kind: 'string', value });
const IS = (value: number[]): AttrValue => ({ kind: 'ints', value });

/** mulberry32: small seeded PRNG so every run sees the same inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FeedSpec {
  /** Declared VarDesc shape (-1 = dynamic). */
  shape: number[];
  /** Runtime dims (default: shape with -1 → 2). */
  dims?: number[];
  dtype?: DType;
  values?: number[];
  /** Random values in [lo, hi) (default [-1, 1)). */
  range?: [number, number];
}

interface ParamSpec {
  dims: number[];
  dtype?: DType;
  values?: number[];
  range?: [number, number];
}

interface Case {
  feeds: Record<string, FeedSpec>;
  params?: Record<string, ParamSpec>;
  ops: { type: string; inputs: Record<string, string[]>; outputs: Record<string, string[]>; attrs?: Record<string, AttrValue> }[];
  fetch: string[];
  /** Declared shapes for op outputs (default: the static shape the reference run produced). */
  shapes?: Record<string, number[]>;
  temporalShift?: 'fast' | 'plain';
  seed?: number;
  tolerance?: number;
}

function typed(dtype: DType, values: number[]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    default:
      throw new Error(`test: dtype ${dtype}`);
  }
}

function values(n: number, spec: { values?: number[]; range?: [number, number] }, next: () => number): number[] {
  if (spec.values) return spec.values;
  const [lo, hi] = spec.range ?? [-1, 1];
  return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * next()));
}

const numel = (d: number[]): number => d.reduce((a, b) => a * b, 1);

function tensorVar(name: string, shape: number[], dtype: DType, persistable: boolean): VarDesc {
  return { name, type: VarTypeCode.LOD_TENSOR, dtype, shape, persistable };
}

/** Build the program, run it on the reference executor and on onnxruntime, compare every fetched var. */
async function check(c: Case): Promise<{ onnx: Record<string, unknown>; ref: Record<string, RefTensor> }> {
  const next = rng(c.seed ?? 1);
  const feeds: Record<string, Tensor> = {};
  const vars: VarDesc[] = [
    { name: 'feed', type: VarTypeCode.FEED_MINIBATCH, persistable: true },
    { name: 'fetch', type: VarTypeCode.FETCH_LIST, persistable: true },
  ];
  const ops: OpDesc[] = [];
  Object.entries(c.feeds).forEach(([name, f], i) => {
    const dtype = f.dtype ?? 'float32';
    const dims = f.dims ?? f.shape.map((d) => (d < 0 ? 2 : d));
    feeds[name] = { data: typed(dtype, values(numel(dims), f, next)), dims };
    vars.push(tensorVar(name, f.shape, dtype, false));
    ops.push({ type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: [name] }, attrs: { col: I(i) } });
  });
  const params = new Map<string, ParamTensor>();
  for (const [name, p] of Object.entries(c.params ?? {})) {
    const dtype = p.dtype ?? 'float32';
    const arr = typed(dtype, values(numel(p.dims), p, next));
    params.set(name, { name, dtype, dims: p.dims, data: new Uint8Array(arr.buffer) });
    vars.push(tensorVar(name, p.dims, dtype, true));
  }
  for (const op of c.ops) ops.push({ type: op.type, inputs: op.inputs, outputs: op.outputs, attrs: op.attrs ?? {} });
  c.fetch.forEach((name, i) => ops.push({ type: 'fetch', inputs: { X: [name] }, outputs: { Out: ['fetch'] }, attrs: { col: I(i) } }));
  const program: ProgramDesc = { blocks: [{ idx: 0, parentIdx: -1, vars, ops }], version: 0n };

  // Reference first: it also tells the static shapes of every op output for the VarDescs.
  const env = new Map<string, RefTensor>();
  const ref = runReference(program, params, feeds, env);
  const declared = new Set(vars.map((v) => v.name));
  for (const op of c.ops) {
    for (const names of Object.values(op.outputs)) {
      for (const n of names) {
        if (declared.has(n)) continue;
        declared.add(n);
        const t = env.get(n);
        vars.push(tensorVar(n, c.shapes?.[n] ?? t?.dims ?? [], t?.dtype ?? 'float32', false));
      }
    }
  }

  const { bytes } = translateProgram(program, params, { temporalShift: c.temporalShift });
  const session = await createSession(bytes);
  try {
    const out = await session.run(feeds);
    for (const name of c.fetch) {
      const got = out[name];
      assert.ok(got, `onnxruntime produced no ${name}`);
      assert.deepEqual(got.dims, ref[name].dims, `dims of ${name}`);
      const err = maxRelativeError(got.data as ArrayLike<number | bigint>, ref[name].data);
      assert.ok(err <= (c.tolerance ?? 1e-4), `${name}: max relative error ${err}`);
    }
    return { onnx: out, ref };
  } finally {
    await session.release();
  }
}

/** One op from X (and params) to Out. */
function unaryCase(type: string, xShape: number[], attrs: Record<string, AttrValue>, extra: Partial<Case> = {}): Case {
  return {
    feeds: { x: { shape: xShape } },
    ops: [{ type, inputs: { X: ['x'] }, outputs: { Out: ['y'] }, attrs }],
    fetch: ['y'],
    ...extra,
  };
}

// ---------------------------------------------------------------- conv2d
const convCase = (xShape: number[], filter: number[], attrs: Record<string, AttrValue>, type = 'conv2d', extra: Partial<Case> = {}): Case => ({
  feeds: { x: { shape: xShape } },
  params: { w: { dims: filter } },
  ops: [{ type, inputs: { Input: ['x'], Filter: ['w'] }, outputs: { Output: ['y'] }, attrs }],
  fetch: ['y'],
  ...extra,
});

test('conv2d: 3x3, explicit 2-element paddings, dynamic batch', async () => {
  await check(convCase([-1, 3, 9, 9], [4, 3, 3, 3], { strides: IS([1, 1]), paddings: IS([1, 1]), dilations: IS([1, 1]), groups: I(1), padding_algorithm: S('EXPLICIT'), data_format: S('NCHW') }));
});

test('conv2d: stride 2 with asymmetric 4-element paddings [top, bottom, left, right]', async () => {
  await check(convCase([1, 2, 8, 7], [3, 2, 3, 2], { strides: IS([2, 2]), paddings: IS([0, 2, 1, 0]), dilations: IS([1, 1]), groups: I(1), padding_algorithm: S('EXPLICIT') }));
});

test('conv2d: groups and dilations', async () => {
  await check(convCase([1, 4, 10, 10], [6, 2, 3, 3], { strides: IS([1, 2]), paddings: IS([2, 1]), dilations: IS([2, 1]), groups: I(2), padding_algorithm: S('EXPLICIT') }));
});

test('conv2d: padding_algorithm SAME (odd padding at the end, dilations ignored)', async () => {
  await check(convCase([1, 2, 9, 8], [3, 2, 4, 3], { strides: IS([2, 3]), paddings: IS([5, 5]), dilations: IS([2, 2]), groups: I(1), padding_algorithm: S('SAME') }));
});

test('conv2d: padding_algorithm VALID ignores paddings', async () => {
  await check(convCase([1, 2, 7, 7], [2, 2, 3, 3], { strides: IS([2, 2]), paddings: IS([3, 3]), dilations: IS([1, 1]), groups: I(1), padding_algorithm: S('VALID') }));
});

test('depthwise_conv2d: groups = channels', async () => {
  await check(convCase([2, 4, 6, 6], [4, 1, 3, 3], { strides: IS([1, 1]), paddings: IS([1, 1]), dilations: IS([1, 1]), groups: I(4), padding_algorithm: S('EXPLICIT') }, 'depthwise_conv2d'));
});

test('conv2d: NHWC data_format', async () => {
  await check(convCase([1, 6, 5, 3], [4, 3, 3, 3], { strides: IS([1, 1]), paddings: IS([1, 0]), dilations: IS([1, 1]), groups: I(1), padding_algorithm: S('EXPLICIT'), data_format: S('NHWC') }));
});

// ---------------------------------------------------------------- batch_norm
const bnCase = (xShape: number[], c: number, attrs: Record<string, AttrValue>): Case => ({
  feeds: { x: { shape: xShape } },
  params: {
    scale: { dims: [c], range: [0.5, 1.5] },
    bias: { dims: [c] },
    mean: { dims: [c] },
    var: { dims: [c], range: [0.2, 2] },
  },
  ops: [
    {
      type: 'batch_norm',
      inputs: { X: ['x'], Scale: ['scale'], Bias: ['bias'], Mean: ['mean'], Variance: ['var'] },
      outputs: { Y: ['y'], MeanOut: ['mean'], VarianceOut: ['var'], SavedMean: ['sm'], SavedVariance: ['sv'] },
      attrs: { is_test: B(true), use_global_stats: B(true), ...attrs },
    },
  ],
  fetch: ['y'],
  shapes: { sm: [c], sv: [c] },
});

test('batch_norm: inference with epsilon, NCHW', async () => {
  await check(bnCase([-1, 5, 4, 3], 5, { epsilon: F(1e-3), data_layout: S('NCHW') }));
});

test('batch_norm: NHWC data_layout', async () => {
  await check(bnCase([2, 4, 3, 5], 5, { epsilon: F(1e-5), data_layout: S('NHWC') }));
});

// ---------------------------------------------------------------- pool2d
const pool = (xShape: number[], attrs: Record<string, AttrValue>, extra: Partial<Case> = {}): Case =>
  unaryCase('pool2d', xShape, { strides: IS([1, 1]), paddings: IS([0, 0]), padding_algorithm: S('EXPLICIT'), ...attrs }, extra);

test('pool2d: max 3x3 stride 2 pad 1 (ResNet stem)', async () => {
  await check(pool([-1, 3, 9, 9], { pooling_type: S('max'), ksize: IS([3, 3]), strides: IS([2, 2]), paddings: IS([1, 1]) }));
});

test('pool2d: max with ceil_mode', async () => {
  await check(pool([1, 2, 8, 8], { pooling_type: S('max'), ksize: IS([3, 3]), strides: IS([2, 2]), ceil_mode: B(true) }));
});

test('pool2d: avg exclusive with ceil_mode (ResNet-vd shortcut, odd input)', async () => {
  await check(pool([1, 3, 7, 7], { pooling_type: S('avg'), ksize: IS([2, 2]), strides: IS([2, 2]), ceil_mode: B(true), exclusive: B(true) }));
});

test('pool2d: avg exclusive with padding divides by the in-bounds window', async () => {
  await check(pool([1, 2, 6, 6], { pooling_type: S('avg'), ksize: IS([3, 3]), strides: IS([2, 2]), paddings: IS([1, 1]), exclusive: B(true) }));
});

test('pool2d: avg non-exclusive with padding divides by ksize', async () => {
  await check(pool([1, 2, 6, 6], { pooling_type: S('avg'), ksize: IS([3, 3]), strides: IS([2, 2]), paddings: IS([1, 1]), exclusive: B(false) }));
});

test('pool2d: avg non-exclusive with ceil_mode (windows past the padding)', async () => {
  await check(pool([1, 2, 8, 7], { pooling_type: S('avg'), ksize: IS([3, 3]), strides: IS([2, 2]), paddings: IS([0, 1, 1, 0]), exclusive: B(false), ceil_mode: B(true) }));
});

test('pool2d: global avg and global max', async () => {
  await check(pool([-1, 4, 5, 3], { pooling_type: S('avg'), ksize: IS([1, 1]), global_pooling: B(true) }));
  await check(pool([2, 4, 5, 3], { pooling_type: S('max'), ksize: IS([2, 2]), global_pooling: B(true) }));
});

test('pool2d: adaptive avg to 1x1 (PP-TSM head), to an even 2x2 and to an uneven 3x2', async () => {
  await check(pool([-1, 4, 7, 7], { pooling_type: S('avg'), ksize: IS([1, 1]), adaptive: B(true) }));
  await check(pool([1, 3, 6, 8], { pooling_type: S('avg'), ksize: IS([2, 2]), adaptive: B(true) }));
  await check(pool([1, 3, 7, 5], { pooling_type: S('avg'), ksize: IS([3, 2]), adaptive: B(true) }));
});

test('pool2d: adaptive max, uneven windows', async () => {
  await check(pool([1, 3, 7, 5], { pooling_type: S('max'), ksize: IS([3, 3]), adaptive: B(true) }));
});

test('pool2d: SAME and VALID padding algorithms', async () => {
  await check(pool([1, 2, 7, 8], { pooling_type: S('max'), ksize: IS([3, 2]), strides: IS([2, 3]), padding_algorithm: S('SAME') }));
  await check(pool([1, 2, 7, 8], { pooling_type: S('avg'), ksize: IS([3, 3]), strides: IS([2, 2]), paddings: IS([1, 1]), padding_algorithm: S('VALID') }));
});

test('pool2d: NHWC data_format', async () => {
  await check(pool([1, 6, 6, 3], { pooling_type: S('max'), ksize: IS([2, 2]), strides: IS([2, 2]), data_format: S('NHWC') }));
  await check(pool([1, 5, 4, 3], { pooling_type: S('avg'), ksize: IS([1, 1]), global_pooling: B(true), data_format: S('NHWC') }));
});

// ---------------------------------------------------------------- temporal_shift
for (const form of ['fast', 'plain'] as const) {
  test(`temporal_shift (${form}): NCHW, shift_ratio 1/8, two clips of 4 segments`, async () => {
    await check(unaryCase('temporal_shift', [-1, 16, 3, 3], { seg_num: I(4), shift_ratio: F(0.125) }, { feeds: { x: { shape: [-1, 16, 3, 3], dims: [8, 16, 3, 3] } }, temporalShift: form }));
  });
  test(`temporal_shift (${form}): NHWC, shift_ratio 0.25 with C not divisible`, async () => {
    await check(unaryCase('temporal_shift', [6, 2, 3, 6], { seg_num: I(3), shift_ratio: F(0.25), data_format: S('NHWC') }, { temporalShift: form }));
  });
  test(`temporal_shift (${form}): unknown spatial size, single segment edge`, async () => {
    await check(unaryCase('temporal_shift', [-1, 8, -1, -1], { seg_num: I(2), shift_ratio: F(0.3) }, { feeds: { x: { shape: [-1, 8, -1, -1], dims: [4, 8, 3, 2] } }, shapes: { y: [-1, 8, -1, -1] }, temporalShift: form }));
  });
}

test('temporal_shift: both forms give identical values', async () => {
  const base = (form: 'fast' | 'plain'): Case => unaryCase('temporal_shift', [-1, 8, 4, 4], { seg_num: I(4), shift_ratio: F(0.125) }, { feeds: { x: { shape: [-1, 8, 4, 4], dims: [4, 8, 4, 4] } }, temporalShift: form });
  const a = await check(base('fast'));
  const b = await check(base('plain'));
  // Equal as numbers (the masked form may give -0 where the padded one gives +0).
  const av = (a.onnx.y as Tensor).data as Float32Array;
  const bv = (b.onnx.y as Tensor).data as Float32Array;
  assert.equal(av.length, bv.length);
  assert.ok(av.every((v, i) => v === bv[i]));
});

// ---------------------------------------------------------------- reshape2
test('reshape2: shape attribute with 0 (copy) and -1 (infer)', async () => {
  await check({
    feeds: { x: { shape: [-1, 4, 3, 2] } },
    ops: [{ type: 'reshape2', inputs: { X: ['x'] }, outputs: { Out: ['y'], XShape: ['xs'] }, attrs: { shape: IS([0, -1, 2]) } }],
    fetch: ['y'],
    shapes: { xs: [0, -1, 4, 3, 2] },
  });
});

test('reshape2: Shape tensor input and ShapeTensor list input', async () => {
  await check({
    feeds: { x: { shape: [2, 6, 2] }, s: { shape: [3], dtype: 'int32', values: [4, 0, -1] } },
    ops: [{ type: 'reshape2', inputs: { X: ['x'], Shape: ['s'] }, outputs: { Out: ['y'] }, attrs: { shape: IS([]) } }],
    fetch: ['y'],
    shapes: { y: [-1, -1, -1] },
  });
  await check({
    feeds: { x: { shape: [2, 6, 2] } },
    ops: [
      { type: 'fill_constant', inputs: {}, outputs: { Out: ['a'] }, attrs: { shape: IS([1]), value: F(-1), dtype: I(3), str_value: S('') } },
      { type: 'fill_constant', inputs: {}, outputs: { Out: ['b'] }, attrs: { shape: IS([1]), value: F(3), dtype: I(2), str_value: S('') } },
      { type: 'reshape2', inputs: { X: ['x'], ShapeTensor: ['a', 'b'] }, outputs: { Out: ['y'] }, attrs: { shape: IS([7, 7]) } },
    ],
    fetch: ['y'],
  });
});

// ---------------------------------------------------------------- elementwise
for (const type of ['elementwise_add', 'elementwise_sub', 'elementwise_mul', 'elementwise_div', 'elementwise_max', 'elementwise_min', 'elementwise_pow']) {
  test(`${type}: same shapes and axis broadcasting`, async () => {
    const positive = type === 'elementwise_pow' || type === 'elementwise_div';
    const r: [number, number] = positive ? [0.5, 2] : [-1, 1];
    await check({ feeds: { x: { shape: [-1, 3, 4], range: r }, y: { shape: [-1, 3, 4], range: r } }, ops: [{ type, inputs: { X: ['x'], Y: ['y'] }, outputs: { Out: ['z'] }, attrs: { axis: I(-1) } }], fetch: ['z'] });
    // Y [C] lines up with axis 1 of X [N, C, H, W].
    await check({ feeds: { x: { shape: [2, 3, 4, 2], range: r } }, params: { b: { dims: [3], range: r } }, ops: [{ type, inputs: { X: ['x'], Y: ['b'] }, outputs: { Out: ['z'] }, attrs: { axis: I(1) } }], fetch: ['z'] });
  });
}

test('elementwise: axis 0, trailing default, X of lower rank than Y, trailing size-1 dims trimmed', async () => {
  const op = (axis: number): Case['ops'] => [{ type: 'elementwise_add', inputs: { X: ['x'], Y: ['y'] }, outputs: { Out: ['z'] }, attrs: { axis: I(axis) } }];
  const cases: [number[], number[], number][] = [
    [[2, 3, 4], [2, 3], 0],
    [[2, 3, 4], [3, 4], -1],
    [[3], [2, 3, 4], 1],
    [[2, 3, 4, 5], [2, 1], 0], // Paddle's documented example: Y's trailing 1 is ignored
    [[2, 3], [1, 3], 1], // equal ranks: axis is ignored
    [[2, 3, 4], [1, 3, 1], -1],
  ];
  for (const [xs, ys, axis] of cases) {
    await check({ feeds: { x: { shape: xs }, y: { shape: ys } }, ops: op(axis), fetch: ['z'] }).catch((e: Error) => {
      throw new Error(`x [${xs}] y [${ys}] axis ${axis}: ${e.message}`);
    });
  }
});

// ---------------------------------------------------------------- matmul
const mm = (type: string, xs: number[], ys: number[], attrs: Record<string, AttrValue>): Case => ({
  feeds: { x: { shape: xs } },
  params: { w: { dims: ys } },
  ops: [{ type, inputs: { X: ['x'], Y: ['w'] }, outputs: { Out: ['z'] }, attrs }],
  fetch: ['z'],
});

test('matmul: plain (the PP-TSM head), transposes and alpha, batched × 2-D, vector', async () => {
  await check(mm('matmul', [-1, 6], [6, 5], { transpose_X: B(false), transpose_Y: B(false), alpha: F(1) }));
  await check(mm('matmul', [4, 3], [5, 4], { transpose_X: B(true), transpose_Y: B(true), alpha: F(0.5) }));
  await check(mm('matmul', [2, 3, 4], [4, 5], { transpose_X: B(false), transpose_Y: B(false), alpha: F(2) }));
  await check(mm('matmul', [2, 4, 3], [2, 5, 4], { transpose_X: B(true), transpose_Y: B(true), alpha: F(1) }));
  await check(mm('matmul', [4], [4, 3], { alpha: F(1) }));
});

test('matmul_v2: trans_x / trans_y and broadcasting batch dims', async () => {
  await check(mm('matmul_v2', [2, 3, 4], [4, 5], { trans_x: B(false), trans_y: B(false) }));
  await check(mm('matmul_v2', [2, 4, 3], [1, 5, 4], { trans_x: B(true), trans_y: B(true) }));
  await check(mm('matmul_v2', [3, 4], [4], { trans_x: B(false), trans_y: B(true) }));
});

// ---------------------------------------------------------------- scale / dropout
test('scale: bias after scale, bias before scale, identity, ScaleTensor', async () => {
  await check(unaryCase('scale', [-1, 5], { scale: F(2.5), bias: F(-0.75), bias_after_scale: B(true) }));
  await check(unaryCase('scale', [-1, 5], { scale: F(-1.5), bias: F(0.5), bias_after_scale: B(false) }));
  await check(unaryCase('scale', [-1, 5], { scale: F(1), bias: F(0), bias_after_scale: B(true) }));
  await check({
    feeds: { x: { shape: [2, 5] } },
    params: { s: { dims: [1], values: [3] } },
    ops: [{ type: 'scale', inputs: { X: ['x'], ScaleTensor: ['s'] }, outputs: { Out: ['y'] }, attrs: { scale: F(100), bias: F(1), bias_after_scale: B(true) } }],
    fetch: ['y'],
  });
});

test('dropout in inference: downgrade_in_infer scales by 1-p, upscale_in_train is the identity', async () => {
  const down = await check(unaryCase('dropout', [-1, 6], { dropout_prob: F(0.3), is_test: B(true), dropout_implementation: S('downgrade_in_infer') }));
  const up = await check(unaryCase('dropout', [-1, 6], { dropout_prob: F(0.5), is_test: B(true), dropout_implementation: S('upscale_in_train') }));
  const x0 = down.ref.y.data[0] / 0.7;
  assert.ok(Math.abs(x0 - up.ref.y.data[0]) < 1e-6, 'same input, different modes');
});

// ---------------------------------------------------------------- reductions, softmax
test('reduce_mean: dim / keep_dim / reduce_all', async () => {
  await check(unaryCase('reduce_mean', [-1, 8, 5], { dim: IS([1]), keep_dim: B(false), reduce_all: B(false) }));
  await check(unaryCase('reduce_mean', [2, 3, 4, 5], { dim: IS([-1, -2]), keep_dim: B(true), reduce_all: B(false) }));
  await check(unaryCase('reduce_mean', [2, 3, 4], { dim: IS([0]), keep_dim: B(false), reduce_all: B(true) }));
});

test('softmax: last axis and axis 1', async () => {
  await check(unaryCase('softmax', [-1, 7], { axis: I(-1) }, { feeds: { x: { shape: [-1, 7], range: [-5, 5] } } }));
  await check(unaryCase('softmax', [2, 4, 3], { axis: I(1) }));
});

// ---------------------------------------------------------------- layout ops
test('concat: axis attribute, negative axis, AxisTensor from fill_constant', async () => {
  const feeds = { a: { shape: [2, 3, 2] }, b: { shape: [2, 1, 2] } };
  await check({ feeds, ops: [{ type: 'concat', inputs: { X: ['a', 'b'] }, outputs: { Out: ['y'] }, attrs: { axis: I(1) } }], fetch: ['y'] });
  await check({ feeds: { a: { shape: [2, 3] }, b: { shape: [2, 4] } }, ops: [{ type: 'concat', inputs: { X: ['a', 'b'] }, outputs: { Out: ['y'] }, attrs: { axis: I(-1) } }], fetch: ['y'] });
  await check({
    feeds,
    ops: [
      { type: 'fill_constant', inputs: {}, outputs: { Out: ['ax'] }, attrs: { shape: IS([1]), value: F(1), dtype: I(2), str_value: S('') } },
      { type: 'concat', inputs: { X: ['a', 'b'], AxisTensor: ['ax'] }, outputs: { Out: ['y'] }, attrs: { axis: I(0) } },
    ],
    fetch: ['y'],
  });
});

test('flatten_contiguous_range: middle range, everything, unknown trailing dims', async () => {
  await check(unaryCase('flatten_contiguous_range', [-1, 3, 4, 5], { start_axis: I(1), stop_axis: I(2) }));
  await check(unaryCase('flatten_contiguous_range', [2, 3, 4], { start_axis: I(0), stop_axis: I(-1) }));
  await check(unaryCase('flatten_contiguous_range', [-1, 3, 4, -1], { start_axis: I(1), stop_axis: I(2) }, { feeds: { x: { shape: [-1, 3, 4, -1], dims: [2, 3, 4, 3] } }, shapes: { y: [-1, 12, -1] } }));
});

test('transpose2', async () => {
  await check(unaryCase('transpose2', [2, 3, 4, 5], { axis: IS([0, 2, 3, 1]) }));
});

test('unsqueeze2: sequential insertion with negative axes; squeeze2 with and without axes', async () => {
  await check(unaryCase('unsqueeze2', [2, 3], { axes: IS([0, -1]) }));
  await check(unaryCase('unsqueeze2', [2, 3], { axes: IS([1, 1, 4]) }));
  await check(unaryCase('squeeze2', [2, 1, 3, 1], { axes: IS([1]) }));
  await check(unaryCase('squeeze2', [1, 2, 1, 3, 1], { axes: IS([]) }));
  await check(unaryCase('squeeze2', [2, 1, 3], { axes: IS([0, 1]) })); // dim 0 is not 1: Paddle leaves it
});

test('slice: negative and out-of-range bounds, decrease_axis, StartsTensor', async () => {
  await check(unaryCase('slice', [4, 5, 6], { axes: IS([1, 2]), starts: IS([1, -4]), ends: IS([3, 10000]), infer_flags: IS([1, 1]) }, { ops: [{ type: 'slice', inputs: { Input: ['x'] }, outputs: { Out: ['y'] }, attrs: { axes: IS([1, 2]), starts: IS([1, -4]), ends: IS([3, 10000]), infer_flags: IS([1, 1]) } }] }));
  await check({ feeds: { x: { shape: [4, 5, 6] } }, ops: [{ type: 'slice', inputs: { Input: ['x'] }, outputs: { Out: ['y'] }, attrs: { axes: IS([0, 2]), starts: IS([2, 0]), ends: IS([3, 2]), decrease_axis: IS([0]) } }], fetch: ['y'] });
  await check({ feeds: { x: { shape: [3, 4] } }, ops: [{ type: 'slice', inputs: { Input: ['x'] }, outputs: { Out: ['y'] }, attrs: { axes: IS([0, 1]), starts: IS([1, 2]), ends: IS([2, 3]), decrease_axis: IS([0, 1]) } }], fetch: ['y'] });
  await check({
    feeds: { x: { shape: [4, 5] }, st: { shape: [1], dtype: 'int64', values: [2] } },
    ops: [{ type: 'slice', inputs: { Input: ['x'], StartsTensor: ['st'] }, outputs: { Out: ['y'] }, attrs: { axes: IS([1]), starts: IS([0]), ends: IS([5]) } }],
    fetch: ['y'],
    shapes: { y: [4, -1] },
  });
});

test('fill_constant, shape and cast', async () => {
  await check({
    feeds: { x: { shape: [-1, 3, 5] } },
    ops: [
      { type: 'shape', inputs: { Input: ['x'] }, outputs: { Out: ['s'] } },
      { type: 'cast', inputs: { X: ['s'] }, outputs: { Out: ['sf'] }, attrs: { in_dtype: I(2), out_dtype: I(5) } },
      { type: 'fill_constant', inputs: {}, outputs: { Out: ['c'] }, attrs: { shape: IS([3]), value: F(0.5), dtype: I(5), str_value: S('') } },
      { type: 'elementwise_mul', inputs: { X: ['sf'], Y: ['c'] }, outputs: { Out: ['y'] }, attrs: { axis: I(-1) } },
      { type: 'fill_constant', inputs: {}, outputs: { Out: ['k'] }, attrs: { shape: IS([2, 2]), value: F(0), dtype: I(3), str_value: S('7') } },
      { type: 'cast', inputs: { X: ['x'] }, outputs: { Out: ['xi'] }, attrs: { in_dtype: I(5), out_dtype: I(2) } },
    ],
    fetch: ['s', 'y', 'k', 'xi'],
  });
});

// ---------------------------------------------------------------- activations
test('relu, leaky_relu, sigmoid, hard_swish (default → HardSwish, custom attributes)', async () => {
  const r: Partial<Case> = { feeds: { x: { shape: [-1, 9], range: [-6, 6] } } };
  await check(unaryCase('relu', [-1, 9], {}, r));
  await check(unaryCase('leaky_relu', [-1, 9], { alpha: F(0.1) }, r));
  await check(unaryCase('leaky_relu', [-1, 9], {}, r));
  await check(unaryCase('sigmoid', [-1, 9], {}, r));
  await check(unaryCase('hard_swish', [-1, 9], { threshold: F(6), scale: F(6), offset: F(3) }, r));
  await check(unaryCase('hard_swish', [-1, 9], { threshold: F(4), scale: F(5), offset: F(2) }, r));
});

// ---------------------------------------------------------------- program-level behaviour
test('feed dims of -1 become a symbolic batch dim; feed/fetch order follows col', async () => {
  const c: Case = {
    feeds: { a: { shape: [-1, 4] }, b: { shape: [-1, 4] } },
    ops: [
      { type: 'relu', inputs: { X: ['a'] }, outputs: { Out: ['ra'] } },
      { type: 'elementwise_add', inputs: { X: ['ra'], Y: ['b'] }, outputs: { Out: ['s'] }, attrs: { axis: I(-1) } },
    ],
    fetch: ['s', 'ra'],
  };
  await check(c);
  const program: ProgramDesc = {
    version: 0n,
    blocks: [
      {
        idx: 0,
        parentIdx: -1,
        vars: [tensorVar('a', [-1, 4], 'float32', false), tensorVar('ra', [-1, 4], 'float32', false)],
        ops: [
          { type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: ['a'] }, attrs: { col: I(0) } },
          { type: 'relu', inputs: { X: ['a'] }, outputs: { Out: ['ra'] }, attrs: {} },
          { type: 'fetch', inputs: { X: ['ra'] }, outputs: { Out: ['fetch'] }, attrs: { col: I(0) } },
        ],
      },
    ],
  };
  const r = translateProgram(program, new Map());
  assert.deepEqual(r.inputs, [{ name: 'a', dims: ['batch', 4] }]);
  assert.deepEqual(r.outputs, [{ name: 'ra', dims: ['batch', 4] }]);
  const model = decodeModel(r.bytes);
  assert.equal(model.opset_import[0].version, 17);
  assert.equal(model.graph.input[0].type.tensor_type.shape.dim[0].dim_param, 'batch');
});

test('unsupported ops: every type and place is listed before any work', () => {
  const op = (type: string, out: string): OpDesc => ({ type, inputs: { X: ['a'] }, outputs: { Out: [out] }, attrs: {} });
  const program: ProgramDesc = {
    version: 0n,
    blocks: [
      {
        idx: 0,
        parentIdx: -1,
        vars: [tensorVar('a', [2], 'float32', false)],
        ops: [
          { type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: ['a'] }, attrs: { col: I(0) } },
          op('relu', 'r'),
          op('lstm', 'l1'),
          op('grid_sampler', 'g'),
          op('lstm', 'l2'),
        ],
      },
      { idx: 1, parentIdx: 0, vars: [], ops: [op('while', 'w')] },
    ],
  };
  let progress = 0;
  assert.throws(
    () => translateProgram(program, new Map(), { onProgress: () => progress++ }),
    (e: unknown) => {
      assert.ok(e instanceof UnsupportedOpsError);
      assert.deepEqual(e.ops, [
        { type: 'lstm', block: 0, index: 2, output: 'l1' },
        { type: 'grid_sampler', block: 0, index: 3, output: 'g' },
        { type: 'lstm', block: 0, index: 4, output: 'l2' },
        { type: 'while', block: 1, index: 0, output: 'w' },
      ]);
      assert.match(e.message, /lstm \(2×\): block 0 op #2 → l1, block 0 op #4 → l2/);
      assert.match(e.message, /grid_sampler/);
      assert.match(e.message, /while/);
      return true;
    },
  );
  assert.equal(progress, 0, 'no translation work started');
});

test('a variable written twice (in-place update) is refused with its name', () => {
  const program: ProgramDesc = {
    version: 0n,
    blocks: [
      {
        idx: 0,
        parentIdx: -1,
        vars: [tensorVar('x', [2], 'float32', false), tensorVar('r', [2], 'float32', false)],
        ops: [
          { type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: ['x'] }, attrs: { col: I(0) } },
          { type: 'relu', inputs: { X: ['x'] }, outputs: { Out: ['r'] }, attrs: {} },
          { type: 'sigmoid', inputs: { X: ['r'] }, outputs: { Out: ['r'] }, attrs: {} },
          { type: 'fetch', inputs: { X: ['r'] }, outputs: { Out: ['fetch'] }, attrs: { col: I(0) } },
        ],
      },
    ],
  };
  assert.throws(() => translateProgram(program, new Map()), /variable r is written a second time \(Sigmoid\)/);
});

test('a parameter the program reads but the params lack is named', () => {
  const program: ProgramDesc = {
    version: 0n,
    blocks: [
      {
        idx: 0,
        parentIdx: -1,
        vars: [tensorVar('x', [1, 2], 'float32', false), tensorVar('w', [2, 2], 'float32', true), tensorVar('y', [1, 2], 'float32', false)],
        ops: [
          { type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: ['x'] }, attrs: { col: I(0) } },
          { type: 'matmul_v2', inputs: { X: ['x'], Y: ['w'] }, outputs: { Out: ['y'] }, attrs: {} },
          { type: 'fetch', inputs: { X: ['y'] }, outputs: { Out: ['fetch'] }, attrs: { col: I(0) } },
        ],
      },
    ],
  };
  assert.throws(() => translateProgram(program, new Map()), /parameter w \(read by matmul_v2\) is missing/);
});
