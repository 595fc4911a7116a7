// An independent, deliberately naive executor of Paddle inference programs, written from Paddle's op semantics
// (phi kernels / operator docs). It shares no code with src/paddle/onnx: it is the yardstick the ONNX translation
// is checked against. Values are computed in float64 with plain loops; speed is not a goal.
import type { AttrValue, DType, OpDesc, ParamTensor, ProgramDesc } from '../../src/paddle/types.ts';
import type { Tensor } from '../../src/tensor.ts';

export interface RefTensor {
  dtype: DType;
  dims: number[];
  data: Float64Array;
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

// ---------- conversions between stored tensors and reference tensors ----------

function fromParam(p: ParamTensor): RefTensor {
  const n = size(p.dims);
  const v = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (p.dtype) {
      case 'float32':
        data[i] = v.getFloat32(4 * i, true);
        break;
      case 'float64':
        data[i] = v.getFloat64(8 * i, true);
        break;
      case 'int32':
        data[i] = v.getInt32(4 * i, true);
        break;
      case 'int64':
        data[i] = Number(v.getBigInt64(8 * i, true));
        break;
      default:
        throw new Error(`reference: param dtype ${p.dtype} not handled`);
    }
  }
  return { dtype: p.dtype, dims: [...p.dims], data };
}

function fromFeed(t: Tensor): RefTensor {
  const d = t.data;
  const dtype: DType =
    d instanceof Float32Array ? 'float32' : d instanceof Float64Array ? 'float64' : d instanceof Int32Array ? 'int32' : d instanceof BigInt64Array ? 'int64' : 'float32';
  const data = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) data[i] = Number(d[i]);
  return { dtype, dims: [...t.dims], data };
}

// ---------- attribute access with Paddle's defaults ----------

class Attrs {
  constructor(private readonly op: OpDesc) {}
  private get(name: string): AttrValue | undefined {
    return this.op.attrs[name];
  }
  num(name: string, def: number): number {
    const a = this.get(name);
    if (!a) return def;
    if (a.kind === 'long') return Number(a.value);
    if (a.kind === 'boolean') return a.value ? 1 : 0;
    if (a.kind === 'int' || a.kind === 'float' || a.kind === 'float64') return a.value;
    throw new Error(`reference: ${this.op.type}.${name} is ${a.kind}`);
  }
  flag(name: string, def: boolean): boolean {
    const a = this.get(name);
    if (!a) return def;
    if (a.kind === 'boolean') return a.value;
    if (a.kind === 'int') return a.value !== 0;
    throw new Error(`reference: ${this.op.type}.${name} is ${a.kind}`);
  }
  text(name: string, def: string): string {
    const a = this.get(name);
    if (!a) return def;
    if (a.kind === 'string') return a.value;
    throw new Error(`reference: ${this.op.type}.${name} is ${a.kind}`);
  }
  list(name: string, def: number[]): number[] {
    const a = this.get(name);
    if (!a) return def;
    if (a.kind === 'ints') return a.value;
    if (a.kind === 'longs') return a.value.map(Number);
    if (a.kind === 'int') return [a.value];
    throw new Error(`reference: ${this.op.type}.${name} is ${a.kind}`);
  }
}

const PADDLE_DTYPES: Record<number, DType> = { 0: 'bool', 1: 'int16', 2: 'int32', 3: 'int64', 5: 'float32', 6: 'float64', 20: 'uint8', 21: 'int8' };

/** Round values the way storing them in dtype would. */
function storeAs(dtype: DType, data: Float64Array): Float64Array {
  if (dtype === 'float32') return data.map(Math.fround);
  if (dtype === 'float64') return data;
  if (dtype === 'bool') return data.map((v) => (v !== 0 ? 1 : 0));
  return data.map(Math.trunc);
}

// ---------- the executor ----------

export function runReference(
  program: ProgramDesc,
  params: ReadonlyMap<string, ParamTensor>,
  feeds: Record<string, Tensor>,
  /** Receives every variable's value (for tests that need intermediate shapes). */
  env: Map<string, RefTensor> = new Map(),
): Record<string, RefTensor> {
  const block = program.blocks[0];
  const persistable = new Set(block.vars.filter((v) => v.persistable).map((v) => v.name));
  const get = (name: string): RefTensor => {
    let t = env.get(name);
    if (!t && persistable.has(name)) {
      const p = params.get(name);
      if (!p) throw new Error(`reference: missing param ${name}`);
      t = fromParam(p);
      env.set(name, t);
    }
    if (!t) throw new Error(`reference: variable ${name} has no value`);
    return t;
  };
  const fetched: Record<string, RefTensor> = {};
  for (const op of block.ops) {
    const a = new Attrs(op);
    const inp = (slot: string, i = 0): RefTensor => get(op.inputs[slot][i]);
    const has = (slot: string): boolean => (op.inputs[slot]?.length ?? 0) > 0;
    const set = (slot: string, t: RefTensor): void => {
      env.set(op.outputs[slot][0], t);
    };
    switch (op.type) {
      case 'feed': {
        const name = op.outputs.Out[0];
        const f = feeds[name];
        if (!f) throw new Error(`reference: no feed for ${name}`);
        env.set(name, fromFeed(f));
        break;
      }
      case 'fetch':
        fetched[op.inputs.X[0]] = get(op.inputs.X[0]);
        break;
      case 'conv2d':
      case 'depthwise_conv2d':
        set('Output', conv2d(inp('Input'), inp('Filter'), a, has('Bias') ? inp('Bias') : undefined));
        break;
      case 'batch_norm':
        set('Y', batchNorm(inp('X'), inp('Scale'), inp('Bias'), inp('Mean'), inp('Variance'), a));
        break;
      case 'pool2d':
        set('Out', pool2d(inp('X'), a));
        break;
      case 'temporal_shift':
        set('Out', temporalShift(inp('X'), a));
        break;
      case 'relu':
        set('Out', unary(inp('X'), (v) => (v > 0 ? v : 0)));
        break;
      case 'leaky_relu': {
        const alpha = a.num('alpha', 0.02);
        set('Out', unary(inp('X'), (v) => (v > 0 ? v : alpha * v)));
        break;
      }
      case 'sigmoid':
        set('Out', unary(inp('X'), (v) => 1 / (1 + Math.exp(-v))));
        break;
      case 'hard_swish': {
        const th = a.num('threshold', 6);
        const sc = a.num('scale', 6);
        const off = a.num('offset', 3);
        set('Out', unary(inp('X'), (v) => (v * Math.min(Math.max(v + off, 0), th)) / sc));
        break;
      }
      case 'elementwise_add':
      case 'elementwise_sub':
      case 'elementwise_mul':
      case 'elementwise_div':
      case 'elementwise_max':
      case 'elementwise_min':
      case 'elementwise_pow':
        set('Out', elementwise(op.type, inp('X'), inp('Y'), a.num('axis', -1)));
        break;
      case 'matmul':
        set('Out', matmul(inp('X'), inp('Y'), a.flag('transpose_X', false), a.flag('transpose_Y', false), a.num('alpha', 1)));
        break;
      case 'matmul_v2':
        set('Out', matmul(inp('X'), inp('Y'), a.flag('trans_x', false), a.flag('trans_y', false), 1));
        break;
      case 'scale': {
        const x = inp('X');
        const s = has('ScaleTensor') ? inp('ScaleTensor').data[0] : a.num('scale', 1);
        const b = a.num('bias', 0);
        const after = a.flag('bias_after_scale', true);
        set('Out', unary(x, (v) => (after ? s * v + b : s * (v + b))));
        break;
      }
      case 'dropout': {
        const p = a.num('dropout_prob', 0.5);
        const mode = a.text('dropout_implementation', 'downgrade_in_infer');
        set('Out', unary(inp('X'), (v) => (mode === 'upscale_in_train' ? v : v * (1 - p))));
        break;
      }
      case 'reduce_mean':
        set('Out', reduceMean(inp('X'), a));
        break;
      case 'softmax':
        set('Out', softmax(inp('X'), a.num('axis', -1)));
        break;
      case 'reshape2': {
        const x = inp('X');
        let shape: number[];
        if (has('ShapeTensor')) shape = op.inputs.ShapeTensor.map((n) => get(n).data[0]);
        else if (has('Shape')) shape = Array.from(inp('Shape').data);
        else shape = a.list('shape', []);
        set('Out', { ...x, dims: reshapeDims(x.dims, shape) });
        break;
      }
      case 'flatten_contiguous_range': {
        const x = inp('X');
        const r = x.dims.length;
        const st = (a.num('start_axis', 1) + r) % r;
        const sp = (a.num('stop_axis', -1) + r) % r;
        const dims = [...x.dims.slice(0, st), size(x.dims.slice(st, sp + 1)), ...x.dims.slice(sp + 1)];
        set('Out', { ...x, dims });
        break;
      }
      case 'transpose2':
        set('Out', transpose(inp('X'), a.list('axis', [])));
        break;
      case 'unsqueeze2': {
        const x = inp('X');
        const axes = has('AxesTensor') ? Array.from(inp('AxesTensor').data) : a.list('axes', []);
        const dims = [...x.dims];
        for (const ax of axes) dims.splice(ax < 0 ? ax + dims.length + 1 : ax, 0, 1);
        set('Out', { ...x, dims });
        break;
      }
      case 'squeeze2': {
        const x = inp('X');
        const r = x.dims.length;
        const axes = a.list('axes', []).map((ax) => (ax < 0 ? ax + r : ax));
        const dims = x.dims.filter((d, i) => !(d === 1 && (axes.length === 0 || axes.includes(i))));
        set('Out', { ...x, dims });
        break;
      }
      case 'slice':
        set('Out', slice(inp('Input'), a, has('StartsTensor') ? Array.from(inp('StartsTensor').data) : undefined, has('EndsTensor') ? Array.from(inp('EndsTensor').data) : undefined));
        break;
      case 'concat': {
        const xs = op.inputs.X.map(get);
        const axis = has('AxisTensor') ? inp('AxisTensor').data[0] : a.num('axis', 0);
        set('Out', concat(xs, axis < 0 ? axis + xs[0].dims.length : axis));
        break;
      }
      case 'shape': {
        const x = inp('Input');
        set('Out', { dtype: 'int32', dims: [x.dims.length], data: Float64Array.from(x.dims) });
        break;
      }
      case 'cast': {
        const x = inp('X');
        const to = PADDLE_DTYPES[a.num('out_dtype', 5)];
        set('Out', { dtype: to, dims: [...x.dims], data: storeAs(to, x.data) });
        break;
      }
      case 'fill_constant': {
        const dtype = PADDLE_DTYPES[a.num('dtype', 5)];
        const sv = a.text('str_value', '');
        const v = sv !== '' ? Number(sv) : a.num('value', 0);
        const dims = a.list('shape', []);
        set('Out', { dtype, dims, data: storeAs(dtype, new Float64Array(size(dims)).fill(v)) });
        break;
      }
      default:
        throw new Error(`reference: op ${op.type} not implemented`);
    }
  }
  return fetched;
}

// ---------- op implementations ----------

function unary(x: RefTensor, f: (v: number) => number): RefTensor {
  return { dtype: x.dtype, dims: [...x.dims], data: x.data.map(f) };
}

/** Paddle's padding update: SAME (centred, odd pad at the end), VALID (none), EXPLICIT (2 or 4 values). */
function resolvePads(alg: string, paddings: number[], inHW: number[], k: number[], s: number[]): number[] {
  if (alg === 'VALID') return [0, 0, 0, 0];
  if (alg === 'SAME') {
    const r: number[] = [];
    for (let i = 0; i < 2; i++) {
      const o = Math.floor((inHW[i] + s[i] - 1) / s[i]);
      const total = Math.max((o - 1) * s[i] + k[i] - inHW[i], 0);
      r.push(Math.floor(total / 2), total - Math.floor(total / 2));
    }
    return r;
  }
  return paddings.length === 2 ? [paddings[0], paddings[0], paddings[1], paddings[1]] : paddings;
}

/** View a 4-D tensor's element (n, c, h, w) for either layout. */
function idx4(nhwc: boolean, dims: number[]) {
  const [N, A, B, D] = dims;
  void N;
  return nhwc
    ? (n: number, c: number, h: number, w: number) => ((n * A + h) * B + w) * D + c
    : (n: number, c: number, h: number, w: number) => ((n * A + c) * B + h) * D + w;
}

function conv2d(x: RefTensor, f: RefTensor, a: Attrs, bias?: RefTensor): RefTensor {
  const nhwc = a.text('data_format', 'NCHW') === 'NHWC';
  const [N] = x.dims;
  const C = nhwc ? x.dims[3] : x.dims[1];
  const H = nhwc ? x.dims[1] : x.dims[2];
  const W = nhwc ? x.dims[2] : x.dims[3];
  const [M, Cg, KH, KW] = f.dims;
  const s = a.list('strides', [1, 1]);
  const alg = a.text('padding_algorithm', 'EXPLICIT');
  const d = alg === 'SAME' ? [1, 1] : a.list('dilations', [1, 1]);
  const groups = a.num('groups', 1);
  const [pt, pb, pl, pr] = resolvePads(alg, a.list('paddings', [0, 0]), [H, W], [KH, KW], s);
  const OH = Math.floor((H + pt + pb - (d[0] * (KH - 1) + 1)) / s[0]) + 1;
  const OW = Math.floor((W + pl + pr - (d[1] * (KW - 1) + 1)) / s[1]) + 1;
  if (C !== Cg * groups) throw new Error('reference conv2d: channel/group mismatch');
  const outDims = nhwc ? [N, OH, OW, M] : [N, M, OH, OW];
  const out = new Float64Array(size(outDims));
  const xi = idx4(nhwc, x.dims);
  const oi = idx4(nhwc, outDims);
  const Mg = M / groups;
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias ? bias.data[m] : 0;
          for (let cg = 0; cg < Cg; cg++)
            for (let kh = 0; kh < KH; kh++) {
              const h = oh * s[0] - pt + kh * d[0];
              if (h < 0 || h >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const w = ow * s[1] - pl + kw * d[1];
                if (w < 0 || w >= W) continue;
                acc += x.data[xi(n, g * Cg + cg, h, w)] * f.data[((m * Cg + cg) * KH + kh) * KW + kw];
              }
            }
          out[oi(n, m, oh, ow)] = acc;
        }
    }
  return { dtype: x.dtype, dims: outDims, data: out };
}

function batchNorm(x: RefTensor, scale: RefTensor, bias: RefTensor, mean: RefTensor, variance: RefTensor, a: Attrs): RefTensor {
  const eps = a.num('epsilon', 1e-5);
  const nhwc = a.text('data_layout', 'NCHW') === 'NHWC';
  const C = nhwc ? x.dims[x.dims.length - 1] : x.dims[1];
  const inner = nhwc ? 1 : size(x.dims.slice(2));
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / inner) % C;
    out[i] = ((x.data[i] - mean.data[c]) / Math.sqrt(variance.data[c] + eps)) * scale.data[c] + bias.data[c];
  }
  return { dtype: x.dtype, dims: [...x.dims], data: out };
}

function pool2d(x: RefTensor, a: Attrs): RefTensor {
  const nhwc = a.text('data_format', 'NCHW') === 'NHWC';
  const [N] = x.dims;
  const C = nhwc ? x.dims[3] : x.dims[1];
  const H = nhwc ? x.dims[1] : x.dims[2];
  const W = nhwc ? x.dims[2] : x.dims[3];
  const isMax = a.text('pooling_type', 'max') === 'max';
  const global = a.flag('global_pooling', false);
  const adaptive = a.flag('adaptive', false);
  const exclusive = a.flag('exclusive', true);
  const ceil = a.flag('ceil_mode', false);
  let k = a.list('ksize', [1, 1]);
  const s = global ? [1, 1] : a.list('strides', [1, 1]);
  let pads = resolvePads(a.text('padding_algorithm', 'EXPLICIT'), a.list('paddings', [0, 0]), [H, W], k, s);
  if (global || adaptive) pads = [0, 0, 0, 0];
  if (global) k = [H, W];
  const [pt, pb, pl, pr] = pads;
  let OH: number, OW: number;
  if (adaptive) [OH, OW] = k;
  else if (ceil) {
    OH = Math.floor((H - k[0] + pt + pb + s[0] - 1) / s[0]) + 1;
    OW = Math.floor((W - k[1] + pl + pr + s[1] - 1) / s[1]) + 1;
  } else {
    OH = Math.floor((H - k[0] + pt + pb) / s[0]) + 1;
    OW = Math.floor((W - k[1] + pl + pr) / s[1]) + 1;
  }
  const outDims = nhwc ? [N, OH, OW, C] : [N, C, OH, OW];
  const out = new Float64Array(size(outDims));
  const xi = idx4(nhwc, x.dims);
  const oi = idx4(nhwc, outDims);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let h0: number, h1: number, w0: number, w1: number;
          if (adaptive) {
            h0 = Math.floor((oh * H) / OH);
            h1 = Math.ceil(((oh + 1) * H) / OH);
            w0 = Math.floor((ow * W) / OW);
            w1 = Math.ceil(((ow + 1) * W) / OW);
          } else {
            h0 = oh * s[0] - pt;
            h1 = Math.min(h0 + k[0], H);
            h0 = Math.max(h0, 0);
            w0 = ow * s[1] - pl;
            w1 = Math.min(w0 + k[1], W);
            w0 = Math.max(w0, 0);
          }
          let acc = isMax ? -Infinity : 0;
          for (let h = h0; h < h1; h++)
            for (let w = w0; w < w1; w++) {
              const v = x.data[xi(n, c, h, w)];
              acc = isMax ? Math.max(acc, v) : acc + v;
            }
          if (!isMax) acc /= exclusive || adaptive ? (h1 - h0) * (w1 - w0) : k[0] * k[1];
          out[oi(n, c, oh, ow)] = acc;
        }
  return { dtype: x.dtype, dims: outDims, data: out };
}

/** Paddle's TemporalShiftFwNCHW / NHWC loop. */
function temporalShift(x: RefTensor, a: Attrs): RefTensor {
  const T = a.num('seg_num', 1);
  const ratio = Math.fround(a.num('shift_ratio', 0.25));
  const nhwc = a.text('data_format', 'NCHW') === 'NHWC';
  const [NT] = x.dims;
  const C = nhwc ? x.dims[3] : x.dims[1];
  const HW = nhwc ? x.dims[1] * x.dims[2] : x.dims[2] * x.dims[3];
  const c1 = Math.trunc(Math.fround(C * ratio));
  const c2 = Math.trunc(Math.fround(C * 2 * ratio));
  const frame = C * HW;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < NT * frame; i++) {
    const t = Math.floor(i / frame) % T;
    const c = nhwc ? i % C : Math.floor(i / HW) % C;
    const src = c < c1 ? t - 1 : c < c2 ? t + 1 : t;
    out[i] = src < 0 || src >= T ? 0 : x.data[i + (src - t) * frame];
  }
  return { dtype: x.dtype, dims: [...x.dims], data: out };
}

const BINARY: Record<string, (p: number, q: number) => number> = {
  elementwise_add: (p, q) => p + q,
  elementwise_sub: (p, q) => p - q,
  elementwise_mul: (p, q) => p * q,
  elementwise_div: (p, q) => p / q,
  elementwise_max: (p, q) => Math.max(p, q),
  elementwise_min: (p, q) => Math.min(p, q),
  elementwise_pow: (p, q) => Math.pow(p, q),
};

/** Paddle broadcasting: the smaller operand's dims sit at `axis` of the bigger one (default: trailing). */
function elementwise(type: string, x: RefTensor, y: RefTensor, axis: number): RefTensor {
  const f = BINARY[type];
  const big = x.dims.length >= y.dims.length ? x : y;
  const small = big === x ? y : x;
  let sd = [...small.dims];
  // Equal ranks broadcast dim by dim; axis only places a lower-rank operand.
  const ax = axis === -1 || sd.length === big.dims.length ? big.dims.length - sd.length : axis;
  while (ax + sd.length > big.dims.length && sd[sd.length - 1] === 1) sd = sd.slice(0, -1);
  // Both operands expressed at the big rank, then numpy-style broadcast of size-1 dims.
  const full = big.dims.map((_, i) => (i >= ax && i < ax + sd.length ? sd[i - ax] : 1));
  const xd = big === x ? x.dims : full;
  const yd = big === y ? y.dims : full;
  const outDims = xd.map((d, i) => Math.max(d, yd[i]));
  const xs = strides(xd);
  const ys = strides(yd);
  const os = strides(outDims);
  const out = new Float64Array(size(outDims));
  for (let i = 0; i < out.length; i++) {
    let xo = 0;
    let yo = 0;
    for (let k = 0; k < outDims.length; k++) {
      const c = Math.floor(i / os[k]) % outDims[k];
      if (xd[k] !== 1) xo += c * xs[k];
      if (yd[k] !== 1) yo += c * ys[k];
    }
    out[i] = f(x.data[xo], y.data[yo]);
  }
  return { dtype: x.dtype, dims: outDims, data: out };
}

function matmul(x: RefTensor, y: RefTensor, tx: boolean, ty: boolean, alpha: number): RefTensor {
  let xd = [...x.dims];
  let yd = [...y.dims];
  const xVec = xd.length === 1;
  const yVec = yd.length === 1;
  if (xVec) xd = [1, xd[0]];
  if (yVec) yd = [yd[0], 1];
  const [M, K] = tx && !xVec ? [xd[xd.length - 1], xd[xd.length - 2]] : [xd[xd.length - 2], xd[xd.length - 1]];
  const [K2, Nn] = ty && !yVec ? [yd[yd.length - 1], yd[yd.length - 2]] : [yd[yd.length - 2], yd[yd.length - 1]];
  if (K !== K2) throw new Error('reference matmul: inner dims differ');
  const xb = xd.slice(0, -2);
  const yb = yd.slice(0, -2);
  const rb = Math.max(xb.length, yb.length);
  const xbp = [...Array<number>(rb - xb.length).fill(1), ...xb];
  const ybp = [...Array<number>(rb - yb.length).fill(1), ...yb];
  const batch = xbp.map((d, i) => Math.max(d, ybp[i]));
  const nb = size(batch);
  const out = new Float64Array(nb * M * Nn);
  const bs = strides(batch);
  const xbs = strides(xbp);
  const ybs = strides(ybp);
  for (let b = 0; b < nb; b++) {
    let xo = 0;
    let yo = 0;
    for (let k = 0; k < rb; k++) {
      const c = Math.floor(b / bs[k]) % batch[k];
      if (xbp[k] !== 1) xo += c * xbs[k];
      if (ybp[k] !== 1) yo += c * ybs[k];
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < Nn; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const xv = x.data[xo * M * K + (tx && !xVec ? k * M + i : i * K + k)];
          const yv = y.data[yo * K * Nn + (ty && !yVec ? j * K + k : k * Nn + j)];
          acc += xv * yv;
        }
        out[(b * M + i) * Nn + j] = alpha * acc;
      }
  }
  let dims = [...batch, M, Nn];
  if (xVec) dims.splice(dims.length - 2, 1);
  if (yVec) dims = dims.slice(0, -1);
  return { dtype: x.dtype, dims, data: out };
}

function reduceMean(x: RefTensor, a: Attrs): RefTensor {
  const r = x.dims.length;
  const keep = a.flag('keep_dim', false);
  let axes = a.list('dim', [0]).map((d) => (d < 0 ? d + r : d));
  if (a.flag('reduce_all', false) || axes.length === 0) axes = x.dims.map((_, i) => i);
  const kept = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(kept));
  const xs = strides(x.dims);
  const ks = strides(kept);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let k = 0; k < r; k++) if (!axes.includes(k)) o += (Math.floor(i / xs[k]) % x.dims[k]) * ks[k];
    out[o] += x.data[i];
  }
  const count = x.data.length / out.length;
  for (let i = 0; i < out.length; i++) out[i] /= count;
  let dims = keep ? kept : x.dims.filter((_, i) => !axes.includes(i));
  if (dims.length === 0) dims = [1];
  return { dtype: x.dtype, dims, data: out };
}

function softmax(x: RefTensor, axis: number): RefTensor {
  const r = x.dims.length;
  const ax = axis < 0 ? axis + r : axis;
  const n = x.dims[ax];
  const inner = size(x.dims.slice(ax + 1));
  const outer = size(x.dims.slice(0, ax));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x.data[(o * n + k) * inner + j]);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += Math.exp(x.data[(o * n + k) * inner + j] - m);
      for (let k = 0; k < n; k++) out[(o * n + k) * inner + j] = Math.exp(x.data[(o * n + k) * inner + j] - m) / sum;
    }
  return { dtype: x.dtype, dims: [...x.dims], data: out };
}

function reshapeDims(inDims: number[], shape: number[]): number[] {
  const dims = shape.map((d, i) => (d === 0 ? inDims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
  return dims.map((d) => (d === -1 ? size(inDims) / known : d));
}

function transpose(x: RefTensor, perm: number[]): RefTensor {
  const dims = perm.map((p) => x.dims[p]);
  const xs = strides(x.dims);
  const os = strides(dims);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < dims.length; k++) src += (Math.floor(i / os[k]) % dims[k]) * xs[perm[k]];
    out[i] = x.data[src];
  }
  return { dtype: x.dtype, dims, data: out };
}

function slice(x: RefTensor, a: Attrs, startsIn?: number[], endsIn?: number[]): RefTensor {
  const axes = a.list('axes', []);
  const starts = startsIn ?? a.list('starts', []);
  const ends = endsIn ?? a.list('ends', []);
  const lo = x.dims.map(() => 0);
  const hi = [...x.dims];
  axes.forEach((ax, i) => {
    const d = x.dims[ax];
    let st = starts[i] < 0 ? starts[i] + d : starts[i];
    let en = ends[i] < 0 ? ends[i] + d : ends[i];
    st = Math.min(Math.max(st, 0), d);
    en = Math.min(Math.max(en, 0), d);
    lo[ax] = st;
    hi[ax] = Math.max(en, st);
  });
  const dims = x.dims.map((_, k) => hi[k] - lo[k]);
  const xs = strides(x.dims);
  const os = strides(dims);
  const out = new Float64Array(size(dims));
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < dims.length; k++) src += (lo[k] + (Math.floor(i / os[k]) % dims[k])) * xs[k];
    out[i] = x.data[src];
  }
  const decrease = a.list('decrease_axis', []);
  let outDims = dims.filter((_, k) => !decrease.includes(k));
  if (decrease.length && outDims.length === 0) outDims = [1];
  return { dtype: x.dtype, dims: outDims, data: out };
}

function concat(xs: RefTensor[], axis: number): RefTensor {
  const dims = [...xs[0].dims];
  dims[axis] = xs.reduce((s, t) => s + t.dims[axis], 0);
  const outer = size(dims.slice(0, axis));
  const inner = size(dims.slice(axis + 1));
  const out = new Float64Array(size(dims));
  let off = 0;
  for (const t of xs) {
    const n = t.dims[axis];
    for (let o = 0; o < outer; o++)
      for (let k = 0; k < n; k++)
        for (let j = 0; j < inner; j++) out[(o * dims[axis] + off + k) * inner + j] = t.data[(o * n + k) * inner + j];
    off += n;
  }
  return { dtype: xs[0].dtype, dims, data: out };
}

// ---------- comparison ----------

/** max |a - b| / max |b| — the error relative to the reference tensor's magnitude. */
export function maxRelativeError(actual: ArrayLike<number | bigint>, expected: Float64Array): number {
  if (actual.length !== expected.length) return Infinity;
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(Number(actual[i]) - expected[i]);
    if (Number.isNaN(d)) return Infinity;
    err = Math.max(err, d);
  }
  return scale === 0 ? err : err / scale;
}
