// Symbolic shapes for Paddle vars, written into the ONNX graph as value_info.
// Paddle marks every batch-dependent dim -1; onnxruntime's own inference loses track of them after a Reshape with
// -1 (PP-TSM's [N,8,3,224,224] → [-1,3,224,224]), and then cannot prove that the two inputs of a residual Add have
// the same shape, so it does not fuse Conv+Add+Relu (~7% of PP-TSM's inference). Here each dynamic dim is tracked as
// coef × symbol (e.g. batch*8) through the ops we translate; dims we cannot derive stay unknown.
import type { BlockDesc, OpDesc } from '../types.ts';

/** A dim: a number, coef × symbol, or null (unknown). */
export type SymDim = number | { coef: number; sym: string } | null;

const isMono = (d: SymDim): d is { coef: number; sym: string } => d !== null && typeof d === 'object';

function same(a: SymDim, b: SymDim): boolean {
  if (a === null || b === null) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.coef === b.coef && a.sym === b.sym;
}

function mul(a: SymDim, b: SymDim): SymDim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (typeof a === 'number' && isMono(b)) return a === 0 ? 0 : { coef: a * b.coef, sym: b.sym };
  if (isMono(a) && typeof b === 'number') return b === 0 ? 0 : { coef: a.coef * b, sym: a.sym };
  return null; // two symbols: beyond this simple algebra
}

function div(a: SymDim, b: SymDim): SymDim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return b !== 0 && a % b === 0 ? a / b : null;
  if (isMono(a) && typeof b === 'number') return b !== 0 && a.coef % b === 0 ? { coef: a.coef / b, sym: a.sym } : null;
  if (isMono(a) && isMono(b)) return a.sym === b.sym && a.coef % b.coef === 0 ? a.coef / b.coef : null;
  return null;
}

const product = (dims: SymDim[]): SymDim => dims.reduce<SymDim>((p, d) => mul(p, d), 1);

/** The ONNX form of a dim: number, symbolic name, or null for unknown. */
export function onnxDim(d: SymDim): number | string | null {
  if (d === null) return null;
  if (typeof d === 'number') return d;
  return d.coef === 1 ? d.sym : `${d.sym}*${d.coef}`;
}

function ints(op: OpDesc, name: string): number[] | undefined {
  const a = op.attrs[name];
  if (!a) return undefined;
  if (a.kind === 'ints') return a.value;
  if (a.kind === 'longs') return a.value.map(Number);
  return undefined;
}
function int(op: OpDesc, name: string, def: number): number {
  const a = op.attrs[name];
  if (a && (a.kind === 'int' || a.kind === 'long')) return Number(a.value);
  return def;
}
function flag(op: OpDesc, name: string): boolean {
  const a = op.attrs[name];
  return !!a && a.kind === 'boolean' && a.value;
}

const SAME_AS_X: Record<string, [string, string]> = {
  relu: ['X', 'Out'],
  leaky_relu: ['X', 'Out'],
  sigmoid: ['X', 'Out'],
  hard_swish: ['X', 'Out'],
  dropout: ['X', 'Out'],
  scale: ['X', 'Out'],
  softmax: ['X', 'Out'],
  cast: ['X', 'Out'],
  temporal_shift: ['X', 'Out'],
  batch_norm: ['X', 'Y'],
};

/** Derive the output dims of one op from its inputs' dims: output slot → dims, or nothing when not derivable. */
function rule(op: OpDesc, dimsOf: (name: string) => SymDim[] | undefined): Record<string, SymDim[]> | undefined {
  const input = (slot: string): SymDim[] | undefined => {
    const n = op.inputs[slot]?.[0];
    return n === undefined ? undefined : dimsOf(n);
  };
  const passThrough = SAME_AS_X[op.type];
  if (passThrough) {
    const x = input(passThrough[0]);
    return x && { [passThrough[1]]: x };
  }
  switch (op.type) {
    case 'conv2d':
    case 'depthwise_conv2d': {
      const x = input('Input');
      return x && { Output: [x[0], null, null, null] };
    }
    case 'pool2d': {
      const x = input('X');
      return x && { Out: [x[0], null, null, null] };
    }
    case 'elementwise_add':
    case 'elementwise_sub':
    case 'elementwise_mul':
    case 'elementwise_div':
    case 'elementwise_max':
    case 'elementwise_min':
    case 'elementwise_pow': {
      const x = input('X');
      const y = input('Y');
      if (!x || !y) return undefined;
      const [big, small] = x.length >= y.length ? [x, y] : [y, x];
      const axis = int(op, 'axis', -1);
      const at = axis === -1 || big.length === small.length ? big.length - small.length : axis;
      if (at < 0 || at + small.length > big.length) return undefined;
      const out = big.map((d, i) => {
        const s = i >= at && i < at + small.length ? small[i - at] : 1;
        if (s === 1) return d;
        if (d === 1) return s;
        return mergeEqual(d, s);
      });
      return { Out: out };
    }
    case 'reshape2': {
      const x = input('X');
      const shape = ints(op, 'shape');
      if (!x || !shape || op.inputs.Shape?.length || op.inputs.ShapeTensor?.length) return undefined;
      const out: SymDim[] = shape.map((d, i) => (d === 0 ? (x[i] ?? null) : d === -1 ? null : d));
      const hole = shape.indexOf(-1);
      if (hole >= 0) out[hole] = div(product(x), product(out.filter((_, i) => i !== hole)));
      return { Out: out };
    }
    case 'flatten_contiguous_range': {
      const x = input('X');
      if (!x || x.length === 0) return undefined;
      const r = x.length;
      const start = (int(op, 'start_axis', 1) + r) % r;
      const stop = (int(op, 'stop_axis', -1) + r) % r;
      return { Out: [...x.slice(0, start), product(x.slice(start, stop + 1)), ...x.slice(stop + 1)] };
    }
    case 'transpose2': {
      const x = input('X');
      const perm = ints(op, 'axis');
      return x && perm && { Out: perm.map((p) => x[p] ?? null) };
    }
    case 'unsqueeze2': {
      const x = input('X');
      const axes = ints(op, 'axes');
      if (!x || !axes || op.inputs.AxesTensor?.length || op.inputs.AxesTensorList?.length) return undefined;
      const out = [...x];
      for (const a of axes) out.splice(a < 0 ? a + out.length + 1 : a, 0, 1);
      return { Out: out };
    }
    case 'reduce_mean': {
      const x = input('X');
      if (!x) return undefined;
      const r = x.length;
      let dims = (ints(op, 'dim') ?? [0]).map((d) => (d + r) % r);
      if (flag(op, 'reduce_all') || dims.length === 0) dims = x.map((_, i) => i);
      const keep = flag(op, 'keep_dim');
      return { Out: keep ? x.map((d, i) => (dims.includes(i) ? 1 : d)) : x.filter((_, i) => !dims.includes(i)) };
    }
    case 'matmul':
    case 'matmul_v2': {
      const x = input('X');
      const y = input('Y');
      if (!x || !y || x.length < 2 || y.length < 2) return undefined;
      const tx = flag(op, op.type === 'matmul' ? 'transpose_X' : 'trans_x');
      const ty = flag(op, op.type === 'matmul' ? 'transpose_Y' : 'trans_y');
      const m = tx ? x[x.length - 1] : x[x.length - 2];
      const n = ty ? y[y.length - 2] : y[y.length - 1];
      const xb = x.slice(0, -2);
      const yb = y.slice(0, -2);
      const rb = Math.max(xb.length, yb.length);
      const batch: SymDim[] = [];
      for (let i = 0; i < rb; i++) {
        const a = xb[i - (rb - xb.length)] ?? 1;
        const b = yb[i - (rb - yb.length)] ?? 1;
        batch.push(a === 1 ? b : b === 1 ? a : mergeEqual(a, b));
      }
      return { Out: [...batch, m, n] };
    }
    case 'concat': {
      const xs = (op.inputs.X ?? []).map(dimsOf);
      if (xs.length === 0 || xs.some((d) => !d) || op.inputs.AxisTensor?.length) return undefined;
      const first = xs[0]!;
      const axis = (int(op, 'axis', 0) + first.length) % first.length;
      const out = first.map((d, i) => (i === axis ? xs.reduce<SymDim>((s, t) => add(s, t![i]), 0) : d));
      return { Out: out };
    }
    default:
      // slice, squeeze2, shape, fill_constant: their dims come from the VarDesc (static) or stay unknown.
      return undefined;
  }
}

function mergeEqual(a: SymDim, b: SymDim): SymDim {
  return same(a, b) ? a : typeof a === 'number' && a > 1 ? a : typeof b === 'number' && b > 1 ? b : null;
}

function add(a: SymDim, b: SymDim): SymDim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (isMono(a) && isMono(b) && a.sym === b.sym) return { coef: a.coef + b.coef, sym: a.sym };
  if (a === 0) return b;
  if (b === 0) return a;
  return null;
}

/**
 * Symbolic dims of the block's vars. `inputs` gives the graph inputs' dims (symbol names for dynamic dims).
 * A var's static VarDesc dims always win; a var whose derived rank disagrees with its VarDesc is left out.
 */
export function inferSymbolicShapes(block: BlockDesc, inputs: ReadonlyMap<string, SymDim[]>): Map<string, SymDim[]> {
  const known = new Map<string, SymDim[]>(inputs);
  const desc = new Map(block.vars.map((v) => [v.name, v]));
  const dimsOf = (name: string): SymDim[] | undefined => {
    const k = known.get(name);
    if (k) return k;
    const shape = desc.get(name)?.shape;
    // Persistable vars (weights) are fully static.
    if (shape && desc.get(name)?.persistable && shape.every((d) => d >= 0)) return shape;
    return undefined;
  };
  for (const op of block.ops) {
    if (op.type === 'feed' || op.type === 'fetch') continue;
    const derived = rule(op, dimsOf) ?? {};
    for (const [slot, names] of Object.entries(op.outputs)) {
      for (const name of names) {
        const shape = desc.get(name)?.shape;
        if (!shape || desc.get(name)?.persistable) continue;
        const d = names.length === 1 ? derived[slot] : undefined;
        if (d && d.length !== shape.length) continue; // our algebra and Paddle disagree: claim nothing
        known.set(
          name,
          shape.map((s, i) => (s >= 0 ? s : (d?.[i] ?? null))),
        );
      }
    }
  }
  return known;
}
