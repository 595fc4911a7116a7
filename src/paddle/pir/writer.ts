// Write an internal program (a ProgramDesc as our model builders make it) as the PIR program file Paddle 3's
// exporter writes for that network: save_inference_model_pir → WriteModule(version 1, trainable) with
// ProgramWriter's layout (ir_serialize.cc). The op mapping is the reader's OP_RULES table run backwards, with the
// choices Paddle's ProgramDesc→PIR translation (paddle/fluid/ir_adaptor/translator/) makes:
//  - persistable inputs become builtin.parameter ops (the compact "p" form), here in order of first use;
//  - mutable attributes (reshape's shape, pool2d's kernel_size, scale's scale, …) become pd_op.full_int_array /
//    pd_op.full ops right before their consumer, list inputs a builtin.combine;
//  - an op writing one of its inputs (batch_norm's MeanOut = Mean) becomes the in-place variant (batch_norm_);
//  - matmul (v1) with alpha 1 is pd_op.matmul (what paddle.nn.Linear traces to under Paddle 3), else legacy_matmul;
//  - feed → pd_op.data, fetch → pd_op.fetch named fetch_name_<col> (normalize_pir_program: the value behind
//    save_inference_model's scale(x, 1.0) has no name).
// Value ids count from 1 in op order; "OA" carries each result's stop_gradient (and persistable for fetch).
import { dtypeFromCode, type AttrValue, type DType, type OpDesc, type ProgramDesc, type VarDesc } from '../types.ts';
import { dumpJson, JsonFloat, type JsonOut } from './json.ts';
import { DATA_ATTRS, FETCH_ATTRS, FULL_INT_ARRAY_ATTRS, ruleForInternal, type AttrRule, type MutableAttr, type OpRule } from './ops.ts';
import { ID_BY_DIALECT, KEY, NULL_TYPE, PARAMETER_OP, PLACE_CPU, PLACE_UNDEFINED, TYPE_BY_DTYPE, WRITE_VERSION } from './schema.ts';

type Obj = { [key: string]: JsonOut };

const pdOp = (name: string): string => `${ID_BY_DIALECT.pd_op}.${name}`;
const builtin = (name: string): string => `${ID_BY_DIALECT.builtin}.${name}`;

function tensorType(dtype: DType | undefined, dims: readonly number[]): Obj {
  if (!dtype) return { [KEY.id]: NULL_TYPE };
  return { [KEY.id]: '0.t_dtensor', [KEY.data]: [{ [KEY.id]: `0.${TYPE_BY_DTYPE[dtype]}` }, [...dims], 'NCHW', [], 0] };
}

function boolArray(values: boolean[]): Obj {
  return { [KEY.id]: '0.a_array', [KEY.data]: values.map((b) => ({ [KEY.id]: '0.a_bool', [KEY.data]: b })) };
}

function floatAttr(id: string, v: number): Obj {
  if (Number.isNaN(v)) return { [KEY.id]: id, [KEY.voidData]: 'NaN' };
  if (!Number.isFinite(v)) return { [KEY.id]: id, [KEY.voidData]: v > 0 ? 'INF' : '-INF' };
  return { [KEY.id]: id, [KEY.data]: new JsonFloat(v) };
}

function numbersOf(a: AttrValue): number[] {
  switch (a.kind) {
    case 'int':
    case 'float':
    case 'float64':
      return [a.value];
    case 'long':
      return [Number(a.value)];
    case 'boolean':
      return [a.value ? 1 : 0];
    case 'ints':
    case 'floats':
    case 'float64s':
      return a.value;
    case 'longs':
      return a.value.map(Number);
    case 'scalar':
      return typeof a.value === 'object' ? [a.value.re] : [Number(a.value)];
    default:
      throw new Error(`PIR writer: attribute of kind ${a.kind} is not a number`);
  }
}

/** A ProgramDesc attribute as the PIR attribute of the rule's type. */
function pirAttr(rule: AttrRule, a: AttrValue): Obj {
  const one = (): number => numbersOf(a)[0]!;
  switch (rule.type) {
    case 'bool':
      return { [KEY.id]: '0.a_bool', [KEY.data]: a.kind === 'boolean' ? a.value : one() !== 0 };
    case 'i32':
      return { [KEY.id]: '0.a_i32', [KEY.data]: one() };
    case 'i64':
      return { [KEY.id]: '0.a_i64', [KEY.data]: one() };
    case 'f32':
      return floatAttr('0.a_f32', Math.fround(one()));
    case 'f64':
      return floatAttr('0.a_f64', one());
    case 'str':
      if (a.kind !== 'string') throw new Error(`PIR writer: ${rule.pir} is ${a.kind}, expected a string`);
      return { [KEY.id]: '0.a_str', [KEY.data]: a.value };
    case 'i32[]':
    case 'i64[]':
      return { [KEY.id]: '0.a_array', [KEY.data]: numbersOf(a).map((n) => ({ [KEY.id]: rule.type === 'i32[]' ? '0.a_i32' : '0.a_i64', [KEY.data]: n })) };
    case 'f32[]':
      return { [KEY.id]: '0.a_array', [KEY.data]: numbersOf(a).map((n) => floatAttr('0.a_f32', Math.fround(n))) };
    case 'intarray':
      return { [KEY.id]: '1.a_intarray', [KEY.data]: numbersOf(a) };
    case 'dtype': {
      const d = a.kind === 'string' ? a.value : dtypeFromCode(one());
      if (!d) throw new Error(`PIR writer: ${rule.pir} ${one()} is not a dtype`);
      return { [KEY.id]: '1.a_dtype', [KEY.data]: d };
    }
    case 'place':
      return { [KEY.id]: '1.a_place', [KEY.data]: [PLACE_CPU, 0, ''] };
  }
}

const named = (name: string, at: Obj): Obj => ({ [KEY.attrType]: at, [KEY.name]: name });

class Writer {
  private nextId = 1;
  /** Current PIR value of each ProgramDesc variable (in-place ops give a name a new value). */
  private readonly values = new Map<string, number>();
  private readonly stopGradient = new Map<number, boolean>();
  readonly ops: Obj[] = [];

  constructor(private readonly vars: ReadonlyMap<string, VarDesc>) {}

  newValue(type: Obj, stopGradient: boolean): { json: Obj; id: number } {
    const id = this.nextId++;
    this.stopGradient.set(id, stopGradient);
    return { json: { [KEY.valueId]: id, [KEY.typeType]: type }, id };
  }

  valueOf(name: string, op: OpDesc): number {
    const id = this.values.get(name);
    if (id === undefined) throw new Error(`PIR writer: ${op.type} reads ${name} before any op writes it`);
    return id;
  }

  varType(name: string): Obj {
    const v = this.vars.get(name);
    return tensorType(v?.dtype, v?.shape ?? []);
  }

  parameter(v: VarDesc, trainable: boolean): void {
    const { json, id } = this.newValue(tensorType(v.dtype, v.shape ?? []), !trainable);
    this.values.set(v.name, id);
    const t = trainable ? 1 : 0;
    this.ops.push({
      [KEY.id]: PARAMETER_OP,
      [KEY.attrs]: [0, 1, 1, v.name],
      [KEY.distAttrs]: [],
      [KEY.results]: json,
      [KEY.resultAttrs]: [1, 1 - t, t],
      [KEY.quantAttrs]: [],
    });
  }

  push(name: string, operands: number[], results: { json: Obj; id: number }[], attrs: Obj[], extraResultAttrs: Obj[] = []): void {
    this.ops.push({
      [KEY.id]: name,
      [KEY.attrs]: attrs,
      [KEY.operands]: operands.map((id) => ({ [KEY.valueId]: id })),
      [KEY.results]: results.map((r) => r.json),
      [KEY.resultAttrs]: [...extraResultAttrs, named('stop_gradient', boolArray(results.map((r) => this.stopGradient.get(r.id)!)))],
    });
  }

  sg(operands: number[]): boolean {
    return operands.every((id) => id === 0 || this.stopGradient.get(id) !== false);
  }

  data(op: OpDesc): void {
    const name = op.outputs.Out![0]!;
    const v = this.vars.get(name);
    const attrs: Record<string, AttrValue> = {
      name: { kind: 'string', value: name },
      shape: { kind: 'ints', value: v?.shape ?? [] },
      dtype: { kind: 'string', value: v?.dtype ?? 'float32' },
    };
    const r = this.newValue(this.varType(name), true);
    this.values.set(name, r.id);
    const out = DATA_ATTRS.map((rule) =>
      rule.type === 'place' ? named('place', { [KEY.id]: '1.a_place', [KEY.data]: [PLACE_UNDEFINED, 0, ''] }) : named(rule.pir, pirAttr(rule, attrs[rule.pir]!)),
    );
    this.push(pdOp('data'), [], [r], out);
  }

  fetch(op: OpDesc): void {
    const x = this.valueOf(op.inputs.X![0]!, op);
    const col = op.attrs.col ? numbersOf(op.attrs.col)[0]! : 0;
    const r = this.newValue(this.varType(op.inputs.X![0]!), this.sg([x]));
    const attrs: Record<string, AttrValue> = { name: { kind: 'string', value: `fetch_name_${col}` }, col: { kind: 'int', value: col } };
    this.push(pdOp('fetch'), [x], [r], FETCH_ATTRS.map((rule) => named(rule.pir, pirAttr(rule, attrs[rule.pir]!))), [named('persistable', boolArray([true]))]);
  }

  /** pd_op.full_int_array / pd_op.full holding a mutable attribute's value; returns its value id. */
  constant(mu: MutableAttr, a: AttrValue): number {
    const values = numbersOf(a);
    if (mu.as === 'ints') {
      const r = this.newValue(tensorType('int64', [values.length]), true);
      const attrs: Record<string, AttrValue> = { value: { kind: 'ints', value: values }, dtype: { kind: 'string', value: 'int64' }, place: { kind: 'string', value: 'cpu' } };
      this.push(pdOp('full_int_array'), [], [r], FULL_INT_ARRAY_ATTRS.map((rule) => named(rule.pir, pirAttr(rule, attrs[rule.pir]!))));
      return r.id;
    }
    const dtype: DType = mu.as === 'int' ? 'int32' : 'float32';
    const rule = ruleForInternal('fill_constant')!;
    const attrs: Record<string, AttrValue> = {
      shape: { kind: 'ints', value: [1] },
      value: { kind: 'float64', value: values[0]! },
      dtype: { kind: 'string', value: dtype },
      place: { kind: 'string', value: 'cpu' },
    };
    const r = this.newValue(tensorType(dtype, [1]), true);
    this.push(pdOp('full'), [], [r], rule.attrs.map((ar) => named(ar.pir, pirAttr(ar, attrs[ar.internal]!))));
    return r.id;
  }

  combine(names: string[], op: OpDesc): number {
    const ids = names.map((n) => this.valueOf(n, op));
    const r = this.newValue({ [KEY.id]: '0.t_vec', [KEY.data]: names.map((n) => this.varType(n)) }, this.sg(ids));
    this.ops.push({ [KEY.id]: builtin('combine'), [KEY.attrs]: [], [KEY.operands]: ids.map((id) => ({ [KEY.valueId]: id })), [KEY.results]: [r.json] });
    return r.id;
  }

  op(op: OpDesc): void {
    const { rule, desc, pirName } = pick(op, this.vars);
    const operands = rule.operands.map((r) => {
      if ('slot' in r) {
        const names = desc.inputs[r.slot] ?? [];
        if (r.list) return this.combine(names, desc);
        return names.length ? this.valueOf(names[0]!, desc) : 0;
      }
      const mu = r.mutable;
      if (desc.attrs[mu.internal] !== undefined && !(mu.tensor && desc.inputs[mu.tensor]?.length) && !(mu.list && desc.inputs[mu.list]?.length)) {
        return this.constant(mu, desc.attrs[mu.internal]!);
      }
      const t = (mu.tensor && desc.inputs[mu.tensor]?.[0]) ?? undefined;
      if (t) return this.valueOf(t, desc);
      if (mu.list && desc.inputs[mu.list]?.length) return this.combine(desc.inputs[mu.list]!, desc);
      throw new Error(`PIR writer: ${desc.type} has no ${mu.internal}`);
    });
    const sg = this.sg(operands);
    const results = rule.results.map((slot) => {
      const name = desc.outputs[slot]?.[0];
      const r = this.newValue(name ? this.varType(name) : { [KEY.id]: NULL_TYPE }, sg);
      if (name) this.values.set(name, r.id);
      return r;
    });
    const attrs: Obj[] = [];
    for (const ar of rule.attrs) {
      const v = desc.attrs[ar.internal] ?? ar.def;
      if (v !== undefined) attrs.push(named(ar.pir, pirAttr(ar, v)));
    }
    this.push(pdOp(pirName), operands, results, attrs);
  }
}

/** The PIR op for a ProgramDesc op, with the ProgramDesc op reshaped to that rule's internal form where needed. */
function pick(op: OpDesc, vars: ReadonlyMap<string, VarDesc>): { rule: OpRule; desc: OpDesc; pirName: string } {
  if (op.type === 'matmul' && (op.attrs.alpha ? numbersOf(op.attrs.alpha)[0] : 1) === 1) {
    const no: AttrValue = { kind: 'boolean', value: false };
    const desc: OpDesc = { ...op, type: 'matmul_v2', attrs: { trans_x: op.attrs.transpose_X ?? no, trans_y: op.attrs.transpose_Y ?? no } };
    return { rule: ruleForInternal('matmul_v2')!, desc, pirName: 'matmul' };
  }
  if (op.type.startsWith('elementwise_')) checkTrailingAxis(op, vars);
  const rule = ruleForInternal(op.type);
  if (!rule) throw new Error(`PIR writer: no PIR operator for ${op.type}`);
  const inPlace = Object.values(op.outputs).some((outs) => outs.some((n) => Object.values(op.inputs).some((ins) => ins.includes(n))));
  return { rule, desc: op, pirName: inPlace ? `${rule.pir}_` : rule.pir };
}

/** PIR's elementwise ops broadcast numpy-style; a ProgramDesc axis other than trailing alignment has no direct form. */
function checkTrailingAxis(op: OpDesc, vars: ReadonlyMap<string, VarDesc>): void {
  const axis = op.attrs.axis ? numbersOf(op.attrs.axis)[0]! : -1;
  if (axis === -1) return;
  const rx = vars.get(op.inputs.X?.[0] ?? '')?.shape?.length;
  const ry = vars.get(op.inputs.Y?.[0] ?? '')?.shape?.length;
  if (rx !== undefined && ry !== undefined && axis === rx - ry) return;
  throw new Error(`PIR writer: ${op.type} with axis ${axis} needs a reshape PIR does not have here`);
}

/** The PIR program file (JSON text) of an internal program. */
export function writePirProgram(program: ProgramDesc): string {
  const block = program.blocks[0];
  if (!block) throw new Error('PIR writer: program has no blocks');
  const vars = new Map(block.vars.map((v) => [v.name, v]));
  const w = new Writer(vars);

  // Parameters in order of first use; batch_norm's running statistics are not trained.
  const statistics = new Set(block.ops.filter((o) => o.type === 'batch_norm').flatMap((o) => [...(o.inputs.Mean ?? []), ...(o.inputs.Variance ?? [])]));
  const params: VarDesc[] = [];
  const seen = new Set<string>();
  const persistable = (n: string): VarDesc | undefined => {
    const v = vars.get(n);
    return v && v.persistable && v.dtype ? v : undefined;
  };
  for (const op of block.ops) {
    for (const n of Object.values(op.inputs).flat()) {
      const v = persistable(n);
      if (v && !seen.has(n)) {
        seen.add(n);
        params.push(v);
      }
    }
  }
  for (const v of block.vars) if (persistable(v.name) && !seen.has(v.name)) params.push(v);
  for (const v of params) w.parameter(v, !statistics.has(v.name));

  for (const op of block.ops) {
    if (op.type === 'feed') w.data(op);
    else if (op.type === 'fetch') w.fetch(op);
    else w.op(op);
  }
  return dumpJson({
    base_code: { magic: 'pir', trainable: true, version: WRITE_VERSION },
    program: { [KEY.regions]: [{ [KEY.id]: 'region_0', [KEY.blocks]: [{ [KEY.id]: 'block_0', [KEY.args]: [], [KEY.ops]: w.ops }] }] },
  });
}
