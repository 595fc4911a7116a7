// Shape-changing and shape-producing ops: reshape2, flatten_contiguous_range, transpose2, unsqueeze2, squeeze2,
// slice, concat, shape, cast, fill_constant.
import type { OpContext } from '../context.ts';
import { normAxis } from '../context.ts';
import { attr, rawBytes } from '../graph.ts';
import { onnxDataType } from '../proto.ts';
import { dtypeFromCode, type DType } from '../../types.ts';
import { numel } from '../../../tensor.ts';

/** A list of [1]-shaped int tensors (Paddle's *TensorList inputs) as one int64 vector. */
function int64Vector(ctx: OpContext, names: string[]): string {
  const parts = names.map((n) => ctx.g.op('Reshape', [ctx.castTo(n, 'int64'), ctx.g.int64([-1])]));
  return parts.length === 1 ? parts[0] : ctx.g.op('Concat', parts, { axis: attr.int(0) });
}

/** An int64 vector from Paddle's usual precedence: a tensor list input, else a tensor input, else an attribute. */
function int64Input(ctx: OpContext, list: string, tensor: string, attrName?: string): string {
  if (ctx.hasInput(list)) return int64Vector(ctx, ctx.inputs(list));
  if (attrName === undefined || ctx.hasInput(tensor)) return ctx.castTo(ctx.input(tensor), 'int64');
  return ctx.g.int64(ctx.ints(attrName));
}

/** Values of an int input that must be known at translation time (ONNX takes them as attributes). */
function constInts(ctx: OpContext, names: string[], what: string): number[] {
  const values: number[] = [];
  for (const n of names) {
    const c = ctx.constValue(n);
    if (!c) ctx.fail(`${what} comes from variable ${n}, which is not a constant known at conversion time`);
    values.push(...c.values);
  }
  return values;
}

/** reshape2: ShapeTensor (list) > Shape (tensor) > shape attribute; 0 copies the input dim, -1 is inferred. */
export function reshape2(ctx: OpContext): void {
  ctx.g.op('Reshape', [ctx.input('X'), int64Input(ctx, 'ShapeTensor', 'Shape', 'shape')], {}, ctx.output('Out'));
}

/** flatten_contiguous_range: dims start_axis..stop_axis (inclusive) become one. */
export function flattenContiguousRange(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const xs = ctx.shape(x);
  const rank = xs.length;
  if (rank === 0) {
    ctx.g.op('Reshape', [x, ctx.g.int64([1])], {}, out);
    return;
  }
  const start = normAxis(ctx.int('start_axis', 1), rank);
  const stop = normAxis(ctx.int('stop_axis', -1), rank);
  if (start > stop) ctx.fail(`start_axis ${start} is after stop_axis ${stop}`);
  const trailing = xs.slice(stop + 1);
  let shape: string;
  if (trailing.every((d) => d >= 0)) {
    shape = ctx.g.int64([...Array<number>(start).fill(0), -1, ...trailing]);
  } else {
    const parts = [ctx.g.int64([-1])];
    if (start > 0) parts.unshift(ctx.g.op('Shape', [x], { end: attr.int(start) }));
    if (stop + 1 < rank) parts.push(ctx.g.op('Shape', [x], { start: attr.int(stop + 1) }));
    shape = ctx.g.op('Concat', parts, { axis: attr.int(0) });
  }
  ctx.g.op('Reshape', [x, shape], {}, out);
}

export function transpose2(ctx: OpContext): void {
  ctx.g.op('Transpose', [ctx.input('X')], { perm: attr.ints(ctx.ints('axis')) }, ctx.output('Out'));
}

/**
 * unsqueeze2: Paddle inserts the axes one after another (a negative axis counts from the rank reached so far);
 * ONNX takes final positions, so replay the insertions.
 */
export function unsqueeze2(ctx: OpContext): void {
  const x = ctx.input('X');
  let axes: number[];
  if (ctx.hasInput('AxesTensorList')) axes = constInts(ctx, ctx.inputs('AxesTensorList'), 'AxesTensorList');
  else if (ctx.hasInput('AxesTensor')) axes = constInts(ctx, ctx.inputs('AxesTensor'), 'AxesTensor');
  else axes = ctx.ints('axes');
  const marks: boolean[] = Array<boolean>(ctx.rank(x)).fill(false);
  for (const a of axes) {
    const pos = a < 0 ? a + marks.length + 1 : a;
    if (pos < 0 || pos > marks.length) ctx.fail(`axis ${a} out of range for rank ${marks.length}`);
    marks.splice(pos, 0, true);
  }
  const finalAxes = marks.flatMap((m, i) => (m ? [i] : []));
  ctx.g.op('Unsqueeze', [x, ctx.g.int64(finalAxes)], {}, ctx.output('Out'));
}

/** squeeze2: removes the listed axes that have size 1 (all size-1 axes when none are listed). */
export function squeeze2(ctx: OpContext): void {
  const x = ctx.input('X');
  const out = ctx.output('Out');
  const xs = ctx.shape(x);
  const listed = ctx.ints('axes', []).map((a) => normAxis(a, xs.length));
  const candidates = listed.length ? [...new Set(listed)] : xs.map((_, i) => i);
  const sure = candidates.filter((a) => xs[a] === 1);
  const unknown = candidates.filter((a) => xs[a] < 0);
  // A dim of unknown size is squeezed only if the output's declared rank says so.
  const outRank = ctx.varDesc(out)?.shape?.length;
  let axes = sure;
  if (unknown.length) {
    const need = outRank === undefined ? sure.length + unknown.length : xs.length - outRank;
    if (need === sure.length + unknown.length) axes = [...sure, ...unknown];
    else if (need !== sure.length) ctx.fail(`cannot tell which dims of unknown size of ${x} to squeeze`);
  }
  axes.sort((a, b) => a - b);
  if (axes.length === 0) ctx.g.op('Identity', [x], {}, out);
  else ctx.g.op('Squeeze', [x, ctx.g.int64(axes)], {}, out);
}

/** slice: starts/ends clamp like ONNX's; decrease_axis drops the sliced axes afterwards. */
export function slice(ctx: OpContext): void {
  const x = ctx.input('Input');
  const out = ctx.output('Out');
  const rank = ctx.rank(x);
  const axes = ctx.ints('axes');
  const starts = int64Input(ctx, 'StartsTensorList', 'StartsTensor', 'starts');
  const ends = int64Input(ctx, 'EndsTensorList', 'EndsTensor', 'ends');
  const decrease = ctx.ints('decrease_axis', []).map((a) => normAxis(a, rank));
  if (decrease.length === 0) {
    ctx.g.op('Slice', [x, starts, ends, ctx.g.int64(axes)], {}, out);
    return;
  }
  const sliced = ctx.g.op('Slice', [x, starts, ends, ctx.g.int64(axes)]);
  const outShape = ctx.varDesc(out)?.shape;
  if (decrease.length === rank && outShape?.length === 1) {
    // Paddle before 0-D tensors kept a [1] when every axis was decreased.
    ctx.g.op('Reshape', [sliced, ctx.g.int64([1])], {}, out);
  } else {
    ctx.g.op('Squeeze', [sliced, ctx.g.int64([...decrease].sort((a, b) => a - b))], {}, out);
  }
}

/** concat: axis attribute, or AxisTensor when it is a known constant. */
export function concat(ctx: OpContext): void {
  const xs = ctx.inputs('X');
  if (xs.length === 0) ctx.fail('no inputs X');
  const axis = ctx.hasInput('AxisTensor') ? constInts(ctx, [ctx.input('AxisTensor')], 'AxisTensor')[0] : ctx.int('axis', 0);
  const rank = ctx.rank(xs[0]);
  ctx.g.op('Concat', xs, { axis: attr.int(normAxis(axis, rank)) }, ctx.output('Out'));
}

/** shape: Paddle's shape op yields int32. */
export function shape(ctx: OpContext): void {
  const s = ctx.g.op('Shape', [ctx.input('Input')]);
  ctx.g.op('Cast', [s], { to: attr.int(onnxDataType('int32')) }, ctx.output('Out'));
}

function paddleDtype(ctx: OpContext, attrName: string): DType {
  const code = ctx.int(attrName);
  const d = dtypeFromCode(code);
  if (!d) ctx.fail(`${attrName} ${code} is not a supported tensor dtype`);
  return d;
}

export function cast(ctx: OpContext): void {
  const to = paddleDtype(ctx, 'out_dtype');
  ctx.g.op('Cast', [ctx.input('X')], { to: attr.int(onnxDataType(to)) }, ctx.output('Out'));
}

/** fill_constant: value (or str_value), dtype, shape (or ShapeTensor / ShapeTensorList), optional ValueTensor. */
export function fillConstant(ctx: OpContext): void {
  const out = ctx.output('Out');
  const dtype = paddleDtype(ctx, 'dtype');
  const strValue = ctx.str('str_value', '');
  let value = ctx.float('value', 0);
  if (strValue !== '') {
    value = strValue === 'inf' ? Infinity : strValue === '-inf' ? -Infinity : strValue === 'nan' ? NaN : Number(strValue);
    if (Number.isNaN(value) && strValue !== 'nan') ctx.fail(`str_value "${strValue}" is not a number`);
  }
  if (dtype === 'float32') value = Math.fround(value);
  else if (dtype !== 'float64' && dtype !== 'bool') value = Math.trunc(value);

  const valueTensor = ctx.hasInput('ValueTensor') ? ctx.input('ValueTensor') : undefined;
  const dynamicShape = ctx.hasInput('ShapeTensorList') || ctx.hasInput('ShapeTensor');
  if (!dynamicShape) {
    const dims = ctx.ints('shape', []);
    const n = numel(dims);
    if (!valueTensor) {
      const values = Array<number>(n).fill(value);
      const tensor = { name: `${out}/value`, dataType: onnxDataType(dtype), dims, raw: rawBytes(dtype, values) };
      ctx.g.op('Constant', [], { value: attr.tensor(tensor) }, out);
      ctx.setConst(out, { dims, values });
      return;
    }
    const shapeIn = ctx.g.int64(dims);
    fillFromValueTensor(ctx, shapeIn, valueTensor, dtype, out);
    return;
  }
  const shapeIn = int64Input(ctx, 'ShapeTensorList', 'ShapeTensor');
  if (valueTensor) {
    fillFromValueTensor(ctx, shapeIn, valueTensor, dtype, out);
    return;
  }
  const one = { name: `${out}/value`, dataType: onnxDataType(dtype), dims: [1], raw: rawBytes(dtype, [value]) };
  ctx.g.op('ConstantOfShape', [shapeIn], { value: attr.tensor(one) }, out);
}

function fillFromValueTensor(ctx: OpContext, shapeIn: string, valueTensor: string, dtype: DType, out: string): void {
  const v = ctx.castTo(valueTensor, dtype);
  ctx.g.op('Expand', [ctx.g.op('Reshape', [v, ctx.g.int64([])]), shapeIn], {}, out);
}
