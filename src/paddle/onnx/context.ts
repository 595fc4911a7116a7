// What one op converter sees: its OpDesc, typed attribute getters with Paddle's defaults, the Paddle var
// descriptions (static shapes/dtypes), known constant values, and the graph under construction.
import type { AttrValue, DType, OpDesc, VarDesc } from '../types.ts';
import type { GraphBuilder } from './graph.ts';

export type TemporalShiftForm = 'fast' | 'plain';

export interface TranslateOptions {
  temporalShift: TemporalShiftForm;
}

/** Thrown by a converter for an attribute combination or input it cannot express in ONNX. */
export class OpTranslationError extends Error {
  constructor(
    readonly op: OpDesc,
    readonly where: { block: number; index: number },
    message: string,
  ) {
    const place = op.origin ? `, ${op.origin}` : '';
    super(`op #${where.index} ${op.type} (block ${where.block}${firstOutput(op) ? `, output ${firstOutput(op)}` : ''}${place}): ${message}`);
    this.name = 'OpTranslationError';
  }
}

export function firstOutput(op: OpDesc): string | undefined {
  for (const names of Object.values(op.outputs)) if (names.length) return names[0];
  return undefined;
}

/** A constant known at translation time (from a parameter or a fill_constant/assign_value op). */
export interface KnownConst {
  dims: number[];
  values: number[];
}

export class OpContext {
  constructor(
    readonly op: OpDesc,
    readonly block: number,
    readonly index: number,
    readonly g: GraphBuilder,
    private readonly vars: ReadonlyMap<string, VarDesc>,
    private readonly consts: Map<string, KnownConst>,
    readonly options: TranslateOptions,
  ) {}

  fail(message: string): never {
    throw new OpTranslationError(this.op, { block: this.block, index: this.index }, message);
  }

  // ---- inputs / outputs ----
  hasInput(param: string): boolean {
    return (this.op.inputs[param]?.length ?? 0) > 0;
  }
  inputs(param: string): string[] {
    return this.op.inputs[param] ?? [];
  }
  input(param: string, i = 0): string {
    const name = this.op.inputs[param]?.[i];
    if (name === undefined) this.fail(`missing input ${param}`);
    return name;
  }
  output(param: string, i = 0): string {
    const name = this.op.outputs[param]?.[i];
    if (name === undefined) this.fail(`missing output ${param}`);
    return name;
  }

  // ---- attributes (Paddle defaults are passed by the caller) ----
  private attrRaw(name: string): AttrValue | undefined {
    return this.op.attrs[name];
  }
  int(name: string, def?: number): number {
    const a = this.attrRaw(name);
    if (a === undefined) return def ?? this.fail(`missing attribute ${name}`);
    switch (a.kind) {
      case 'int':
      case 'float':
      case 'float64':
        return a.value;
      case 'long':
        return Number(a.value);
      case 'boolean':
        return a.value ? 1 : 0;
      default:
        return this.fail(`attribute ${name} is ${a.kind}, expected an integer`);
    }
  }
  float(name: string, def?: number): number {
    const a = this.attrRaw(name);
    if (a === undefined) return def ?? this.fail(`missing attribute ${name}`);
    switch (a.kind) {
      case 'float':
      case 'float64':
      case 'int':
        return a.value;
      case 'long':
        return Number(a.value);
      case 'scalar':
        if (typeof a.value === 'number') return a.value;
        if (typeof a.value === 'bigint') return Number(a.value);
        if (typeof a.value === 'boolean') return a.value ? 1 : 0;
        return this.fail(`attribute ${name} is a complex scalar`);
      default:
        return this.fail(`attribute ${name} is ${a.kind}, expected a number`);
    }
  }
  bool(name: string, def?: boolean): boolean {
    const a = this.attrRaw(name);
    if (a === undefined) return def ?? this.fail(`missing attribute ${name}`);
    if (a.kind === 'boolean') return a.value;
    if (a.kind === 'int') return a.value !== 0;
    return this.fail(`attribute ${name} is ${a.kind}, expected a boolean`);
  }
  str(name: string, def?: string): string {
    const a = this.attrRaw(name);
    if (a === undefined) return def ?? this.fail(`missing attribute ${name}`);
    if (a.kind === 'string') return a.value;
    return this.fail(`attribute ${name} is ${a.kind}, expected a string`);
  }
  ints(name: string, def?: number[]): number[] {
    const a = this.attrRaw(name);
    if (a === undefined) return def ?? this.fail(`missing attribute ${name}`);
    switch (a.kind) {
      case 'ints':
        return a.value;
      case 'longs':
        return a.value.map(Number);
      case 'int':
        return [a.value];
      case 'long':
        return [Number(a.value)];
      default:
        return this.fail(`attribute ${name} is ${a.kind}, expected a list of integers`);
    }
  }

  // ---- static knowledge about Paddle vars ----
  varDesc(name: string): VarDesc | undefined {
    return this.vars.get(name);
  }
  /** `name` cast to `to` from its declared dtype (no node when they agree). */
  castTo(name: string, to: DType): string {
    return this.g.cast(name, this.varDesc(name)?.dtype, to);
  }
  /** Static shape from the VarDesc (-1 = unknown), or fail when the var has none. */
  shape(name: string): number[] {
    const s = this.vars.get(name)?.shape;
    if (!s) this.fail(`no shape known for variable ${name}`);
    return s;
  }
  rank(name: string): number {
    return this.shape(name).length;
  }
  dtype(name: string): DType {
    const d = this.vars.get(name)?.dtype;
    if (!d) this.fail(`no dtype known for variable ${name}`);
    return d;
  }
  constValue(name: string): KnownConst | undefined {
    return this.consts.get(name);
  }
  setConst(name: string, c: KnownConst): void {
    this.consts.set(name, c);
  }
}

/** Normalize a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
