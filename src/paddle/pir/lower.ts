// A PIR program → the internal program (ProgramDesc view) the ONNX translators take, so both model formats share
// one translation path. Values get names (parameters their parameter_name, inputs their data name, fetched values
// the fetch name, the rest "%<id>"), pd_op ops become ProgramDesc ops through the OP_RULES table, constant
// mutable-attribute operands (full / full_int_array) fold back into attributes, builtin.combine/split become
// operand lists, and ops the fetches do not need are dropped (as Paddle's inference pruning does).
// An op without a rule stays under its PIR name ("pd_op.leaky_relu"), so translation lists it as unsupported
// with its place in the file.
import { ModelFormatError } from '../../errors.ts';
import { dtypeCode, VarTypeCode, type AttrValue, type OpDesc, type ProgramDesc, type VarDesc } from '../types.ts';
import { ruleFor, type MutableAttr, type OpRule } from './ops.ts';
import { dtypeFromName, type PirAttr, type PirOp, type PirProgram, type PirType } from './reader.ts';

const IO = new Set(['pd_op.data', 'pd_op.feed', 'pd_op.fetch']);
const STRUCTURAL = new Set(['builtin.parameter', 'builtin.combine', 'builtin.split', 'builtin.shadow_output', 'builtin.set_parameter']);

/** The internal program of a PIR program. `file` names the source in errors and in unsupported-op places. */
export function lowerPir(prog: PirProgram, file = '<pir program>'): ProgramDesc {
  const block = prog.regions[0]?.blocks[0];
  if (!block) throw new ModelFormatError(file, 'program.regions[0] has no block');
  const ops = block.ops;
  const producer = new Map<number, { op: PirOp; index: number }>();
  for (const op of ops) op.results.forEach((r, index) => r.id !== 0 && producer.set(r.id, { op, index }));
  const attrOf = (op: PirOp, name: string): PirAttr | undefined => op.attrs.get(name);
  const strAttr = (op: PirOp, name: string): string | undefined => {
    const a = attrOf(op, name);
    return a && (a.kind === 'str' || a.kind === 'tensorname') ? a.value : undefined;
  };

  // ---- names ----
  const names = new Map<number, string>();
  const taken = new Set<string>();
  const claim = (id: number, name: string): void => {
    if (names.has(id)) return;
    let n = name;
    for (let i = 1; taken.has(n); i++) n = `${name}_${i}`;
    names.set(id, n);
    taken.add(n);
  };
  const paramNames = new Map<string, number>();
  for (const op of ops) {
    if (op.name === 'builtin.parameter') {
      const name = strAttr(op, 'parameter_name')!;
      const id = op.results[0]!.id;
      // The same parameter used twice is one variable.
      if (paramNames.has(name)) names.set(id, name);
      else {
        paramNames.set(name, id);
        claim(id, name);
      }
    } else if (op.name === 'pd_op.data' || op.name === 'pd_op.feed') {
      const name = strAttr(op, 'name');
      if (!name) throw new ModelFormatError(file, `${op.where}: input op without a name attribute`);
      claim(op.results[0]!.id, name);
    }
  }
  for (const op of ops) {
    const named = op.name === 'pd_op.fetch' ? strAttr(op, 'name') : op.name === 'builtin.shadow_output' ? strAttr(op, 'output_name') : undefined;
    if (named && op.operands[0]) claim(op.operands[0], named);
  }
  const nameOf = (id: number): string => {
    if (!names.has(id)) claim(id, `%${id}`);
    return names.get(id)!;
  };

  // ---- constants (full / full_int_array, and combines of them) for mutable attributes ----
  const constant = (id: number): number[] | undefined => {
    const p = producer.get(id)?.op;
    if (!p) return undefined;
    if (p.name === 'pd_op.full_int_array') return numbers(attrOf(p, 'value'));
    if (p.name === 'pd_op.full') {
      const shape = numbers(attrOf(p, 'shape'));
      if (!shape || shape.reduce((x, y) => x * y, 1) !== 1) return undefined;
      return numbers(attrOf(p, 'value'));
    }
    if (p.name === 'builtin.combine') {
      const parts = p.operands.map(constant);
      return parts.every((x) => x !== undefined) ? parts.flat() : undefined;
    }
    return undefined;
  };
  const folds = (op: PirOp, rule: OpRule | undefined, i: number): boolean => {
    const r = rule?.operands[i];
    return !!r && 'mutable' in r && op.operands[i] !== 0 && constant(op.operands[i]!) !== undefined;
  };

  // ---- what the fetches need ----
  const needed = new Set<number>();
  const live = new Set<PirOp>();
  for (let k = ops.length - 1; k >= 0; k--) {
    const op = ops[k]!;
    const isLive = op.name === 'pd_op.fetch' || IO.has(op.name) || op.results.some((r) => needed.has(r.id)) || (op.results.length === 0 && !STRUCTURAL.has(op.name));
    if (!isLive) continue;
    live.add(op);
    const rule = ruleFor(op.name);
    op.operands.forEach((id, i) => {
      if (id !== 0 && !folds(op, rule, i)) needed.add(id);
    });
  }

  // ---- emit ----
  const vars: VarDesc[] = [];
  const declared = new Set<string>();
  const declare = (id: number, type: PirType, persistable = false): void => {
    const name = nameOf(id);
    if (declared.has(name) || type.kind !== 'dtensor') return;
    declared.add(name);
    const v: VarDesc = { name, type: VarTypeCode.LOD_TENSOR, shape: [...type.dims], persistable };
    if (type.dtype) v.dtype = type.dtype;
    vars.push(v);
  };
  const vectors = new Map<number, string[]>();
  const listOf = (id: number): string[] => vectors.get(id) ?? [nameOf(id)];
  const out: OpDesc[] = [];
  let feedCol = 0;
  for (const op of ops) {
    switch (op.name) {
      case 'builtin.parameter':
        declare(op.results[0]!.id, op.results[0]!.type, true);
        continue;
      case 'builtin.combine':
        vectors.set(op.results[0]!.id, op.operands.map(nameOf));
        continue;
      case 'builtin.split': {
        const elems = listOf(op.operands[0]!);
        op.results.forEach((r, i) => elems[i] !== undefined && names.set(r.id, elems[i]!));
        continue;
      }
      case 'builtin.shadow_output':
      case 'builtin.set_parameter':
        continue;
      case 'pd_op.data':
      case 'pd_op.feed': {
        const r = op.results[0]!;
        declare(r.id, r.type);
        if (!declared.has('feed')) {
          declared.add('feed');
          vars.push({ name: 'feed', type: VarTypeCode.FEED_MINIBATCH, persistable: true });
        }
        const col = op.name === 'pd_op.feed' ? numbers(attrOf(op, 'col'))?.[0] ?? feedCol : feedCol;
        feedCol++;
        out.push({ type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: [nameOf(r.id)] }, attrs: { col: { kind: 'int', value: col } }, origin: origin(file, op) });
        continue;
      }
      case 'pd_op.fetch': {
        if (!declared.has('fetch')) {
          declared.add('fetch');
          vars.push({ name: 'fetch', type: VarTypeCode.FETCH_LIST, persistable: true });
        }
        const col = numbers(attrOf(op, 'col'))?.[0] ?? 0;
        out.push({ type: 'fetch', inputs: { X: [nameOf(op.operands[0]!)] }, outputs: { Out: ['fetch'] }, attrs: { col: { kind: 'int', value: col } }, origin: origin(file, op) });
        continue;
      }
    }
    if (!live.has(op)) continue;
    const rule = op.regions.length ? undefined : ruleFor(op.name);
    op.results.forEach((r) => r.id !== 0 && declare(r.id, r.type));
    out.push(rule ? ruled(op, rule) : generic(op));
  }

  function ruled(op: PirOp, rule: OpRule): OpDesc {
    const inputs: Record<string, string[]> = {};
    const attrs: Record<string, AttrValue> = { ...rule.fixed };
    rule.operands.forEach((r, i) => {
      const id = op.operands[i] ?? 0;
      if ('slot' in r) {
        inputs[r.slot] = id === 0 ? [] : r.list ? listOf(id) : [nameOf(id)];
        return;
      }
      const value = id === 0 ? undefined : constant(id);
      if (value !== undefined) attrs[r.mutable.internal] = mutableValue(r.mutable, value);
      else if (id !== 0) placeTensor(op, r.mutable, id, inputs);
    });
    if (op.operands.length > rule.operands.length) {
      throw new ModelFormatError(file, `${op.where}: ${op.operands.length} operands, but ${op.name} takes ${rule.operands.length}`);
    }
    const outputs: Record<string, string[]> = {};
    op.results.forEach((r, i) => {
      const slot = rule.results[i];
      if (slot) outputs[slot] = r.id === 0 || r.type.kind === 'null' ? [] : [nameOf(r.id)];
    });
    const renames = new Map(rule.attrs.map((x) => [x.pir, x.internal]));
    for (const [name, a] of op.attrs) {
      const v = attrValue(a);
      if (v) attrs[renames.get(name) ?? name] = v;
    }
    return { type: rule.internal, inputs, outputs, attrs, origin: origin(file, op) };
  }

  function placeTensor(op: PirOp, mu: MutableAttr, id: number, inputs: Record<string, string[]>): void {
    const p = producer.get(id)?.op;
    if (p?.name === 'builtin.combine' && mu.list) inputs[mu.list] = p.operands.map(nameOf);
    else if (mu.tensor) inputs[mu.tensor] = [nameOf(id)];
    else if (mu.list) inputs[mu.list] = [nameOf(id)];
    else throw new ModelFormatError(file, `${op.where}: ${mu.attr} must be a constant (full / full_int_array) for translation, but it is computed by ${p?.name ?? 'a block argument'}`);
  }

  function generic(op: PirOp): OpDesc {
    const attrs: Record<string, AttrValue> = {};
    for (const [name, a] of op.attrs) {
      const v = attrValue(a);
      if (v) attrs[name] = v;
    }
    return {
      type: op.name,
      inputs: { operands: op.operands.filter((id) => id !== 0).flatMap(listOf) },
      outputs: { results: op.results.filter((r) => r.id !== 0).map((r) => nameOf(r.id)) },
      attrs,
      origin: origin(file, op),
    };
  }

  return { blocks: [{ idx: 0, parentIdx: -1, vars, ops: out }], version: 0n };
}

function origin(file: string, op: PirOp): string {
  return `${file} ${op.where}`;
}

function mutableValue(mu: MutableAttr, values: number[]): AttrValue {
  if (mu.as === 'ints') return { kind: 'ints', value: values };
  if (mu.as === 'int') return { kind: 'int', value: values[0] ?? 0 };
  return { kind: 'float', value: Math.fround(values[0] ?? 0) };
}

/** Numbers held by an int/float/array/intarray/scalar attribute. */
function numbers(a: PirAttr | undefined): number[] | undefined {
  if (!a) return undefined;
  switch (a.kind) {
    case 'i32':
    case 'i64':
    case 'index':
    case 'f32':
    case 'f64':
      return [a.value];
    case 'bool':
      return [a.value ? 1 : 0];
    case 'intarray':
      return a.value;
    case 'scalar':
      return typeof a.value === 'object' ? undefined : [Number(a.value)];
    case 'array': {
      const parts = a.value.map(numbers);
      return parts.every((x) => x?.length === 1) ? parts.map((x) => x![0]!) : undefined;
    }
    default:
      return undefined;
  }
}

/** A PIR attribute as the ProgramDesc attribute the translators read (undefined: nothing a translator uses). */
export function attrValue(a: PirAttr): AttrValue | undefined {
  switch (a.kind) {
    case 'bool':
      return { kind: 'boolean', value: a.value };
    case 'i32':
      return { kind: 'int', value: a.value };
    case 'i64':
    case 'index':
      return { kind: 'long', value: BigInt(a.value) };
    case 'f32':
      return { kind: 'float', value: a.value };
    case 'f64':
      return { kind: 'float64', value: a.value };
    case 'str':
    case 'tensorname':
    case 'layout':
      return { kind: 'string', value: a.value };
    case 'intarray':
      return { kind: 'ints', value: a.value };
    case 'dtype': {
      const d = dtypeFromName(a.value);
      return d ? { kind: 'int', value: dtypeCode(d) } : { kind: 'string', value: a.value };
    }
    case 'scalar':
      if (typeof a.value === 'boolean') return { kind: 'boolean', value: a.value };
      if (typeof a.value === 'number') return { kind: 'scalar', value: a.dtype.startsWith('float') ? a.value : BigInt(a.value) };
      if (typeof a.value === 'bigint') return { kind: 'scalar', value: a.value };
      return { kind: 'scalar', value: a.value };
    case 'array': {
      const el = a.value;
      if (el.length === 0) return { kind: 'ints', value: [] };
      if (el.every((x) => x.kind === 'i32')) return { kind: 'ints', value: el.map((x) => (x as { value: number }).value) };
      if (el.every((x) => x.kind === 'i64' || x.kind === 'index')) return { kind: 'ints', value: el.map((x) => (x as { value: number }).value) };
      if (el.every((x) => x.kind === 'f32')) return { kind: 'floats', value: el.map((x) => (x as { value: number }).value) };
      if (el.every((x) => x.kind === 'f64')) return { kind: 'float64s', value: el.map((x) => (x as { value: number }).value) };
      if (el.every((x) => x.kind === 'bool')) return { kind: 'booleans', value: el.map((x) => (x as { value: boolean }).value) };
      if (el.every((x) => x.kind === 'str')) return { kind: 'strings', value: el.map((x) => (x as { value: string }).value) };
      return undefined;
    }
    default:
      return undefined;
  }
}
