// Parse a PIR program file into a typed view of its regions, blocks, ops, values, types and attributes, checking
// what Paddle's ProgramReader (src/ir_deserialize.cc, include/deserialize_utils.h) relies on: the base_code magic
// and version, value ids defined before use and only once, well-formed types and attributes. Every error names the
// file and the JSON place (program.regions[0].blocks[0].ops[57] (1.conv2d) …).
import { ModelFormatError } from '../../errors.ts';
import type { DType } from '../types.ts';
import { DIALECT_BY_ID, DTYPE_BY_NAME, DTYPE_BY_TYPE, KEY, NULL_TYPE, PARAMETER_OP, PIR_VERSIONS } from './schema.ts';

export type PirType =
  | { kind: 'null' }
  | { kind: 'scalar'; name: string; dtype?: DType }
  | { kind: 'dtensor'; name: string; dtype?: DType; elem: PirType; dims: number[]; layout: string; lod: number[][]; offset: number }
  | { kind: 'vec'; elements: PirType[] }
  | { kind: 'other'; name: string };

export type PirScalar = number | boolean | bigint | { re: number; im: number };

export type PirAttr =
  | { kind: 'bool'; value: boolean }
  | { kind: 'i32' | 'i64' | 'index'; value: number }
  | { kind: 'f32' | 'f64'; value: number }
  | { kind: 'str' | 'tensorname'; value: string }
  | { kind: 'c64' | 'c128'; value: { re: number; im: number } }
  | { kind: 'array'; value: PirAttr[] }
  | { kind: 'intarray'; value: number[] }
  | { kind: 'scalar'; dtype: string; value: PirScalar }
  | { kind: 'dtype'; value: string }
  | { kind: 'place'; value: [number, number, string] }
  | { kind: 'layout'; value: string }
  | { kind: 'type'; value: PirType }
  | { kind: 'null' }
  /** Attributes we carry but never interpret (distributed-training attributes, …). */
  | { kind: 'other'; id: string; data: unknown };

export interface PirValue {
  id: number;
  type: PirType;
}

export interface PirOp {
  /** Full op name, dialect decompressed: "pd_op.conv2d", "builtin.parameter", "builtin.combine". */
  name: string;
  /** Operand value ids in order; 0 is the null value (an absent optional input). */
  operands: number[];
  results: PirValue[];
  /** "A" (plus DA/QA), by name, in file order. */
  attrs: Map<string, PirAttr>;
  /** "OA": stop_gradient, persistable, trainable (trainable programs only). */
  resultAttrs: Map<string, PirAttr>;
  regions: PirRegion[];
  /** JSON place, for messages: "program.regions[0].blocks[0].ops[57] (1.conv2d)". */
  where: string;
}

export interface PirBlock {
  id: string;
  args: PirValue[];
  ops: PirOp[];
}

export interface PirRegion {
  id: string;
  blocks: PirBlock[];
}

export interface PirProgram {
  version: number;
  trainable: boolean;
  regions: PirRegion[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** True when the bytes start like a PIR program (`{"base_code":{"magic":"pir"…`, whitespace allowed). */
export function looksLikePir(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').replace(/\s+/g, '');
  return head.startsWith('{') && head.includes('"magic":"pir"');
}

class Reader {
  private readonly defined = new Set<number>([0]);

  constructor(private readonly file: string) {}

  fail(where: string, message: string): never {
    throw new ModelFormatError(this.file, `${where}: ${message}`);
  }

  object(j: Json | undefined, where: string): JsonObject {
    if (j === null || typeof j !== 'object' || Array.isArray(j)) this.fail(where, `expected a JSON object, found ${describe(j)}`);
    return j;
  }
  array(j: Json | undefined, where: string): Json[] {
    if (!Array.isArray(j)) this.fail(where, `expected a JSON array, found ${describe(j)}`);
    return j;
  }
  string(j: Json | undefined, where: string): string {
    if (typeof j !== 'string') this.fail(where, `expected a string, found ${describe(j)}`);
    return j;
  }
  integer(j: Json | undefined, where: string): number {
    if (typeof j !== 'number' || !Number.isInteger(j)) this.fail(where, `expected an integer, found ${describe(j)}`);
    return j;
  }
  number(j: Json | undefined, where: string): number {
    if (typeof j !== 'number') this.fail(where, `expected a number, found ${describe(j)}`);
    return j;
  }

  program(root: Json): PirProgram {
    const top = this.object(root, 'the file');
    const base = this.object(top.base_code, 'base_code');
    if (base.magic !== 'pir') {
      this.fail('base_code.magic', `is ${JSON.stringify(base.magic ?? null)}, expected "pir" (not a Paddle PIR program)`);
    }
    const version = this.integer(base.version, 'base_code.version');
    if (!PIR_VERSIONS.includes(version)) {
      this.fail(
        'base_code.version',
        `PIR version ${version} is not one vidserve reads (Paddle's compatibility patches cover versions ` +
          `${PIR_VERSIONS.join(', ')}); export the model with a Paddle release whose PIR version is one of those`,
      );
    }
    const trainable = base.trainable === undefined ? false : base.trainable === true;
    const prog = this.object(top.program, 'program');
    const regions = this.array(prog[KEY.regions], 'program.regions');
    if (regions.length !== 1) this.fail('program.regions', `a program has exactly one top-level region, found ${regions.length}`);
    return { version, trainable, regions: regions.map((r, i) => this.region(r, `program.regions[${i}]`)) };
  }

  region(j: Json, where: string): PirRegion {
    const o = this.object(j, where);
    const blocks = this.array(o[KEY.blocks], `${where}.blocks`);
    return { id: this.string(o[KEY.id], `${where}["#"]`), blocks: blocks.map((b, i) => this.block(b, `${where}.blocks[${i}]`)) };
  }

  block(j: Json, where: string): PirBlock {
    const o = this.object(j, where);
    const args = this.array(o[KEY.args] ?? [], `${where}.args`).map((a, i) => {
      const w = `${where}.args[${i}]`;
      const ao = this.object(a, w);
      // Block arguments carry "#" (negative ids) in Paddle's writer.
      return this.define(this.integer(ao[KEY.id] ?? ao[KEY.valueId], `${w}["#"]`), this.type(ao[KEY.typeType], `${w}.TT`), w);
    });
    for (const [i, a] of this.array(o[KEY.kwargs] ?? [], `${where}.kwargs`).entries()) {
      const w = `${where}.kwargs[${i}]`;
      const ao = this.object(a, w);
      args.push(this.define(this.integer(ao[KEY.id] ?? ao[KEY.valueId], `${w}["#"]`), this.type(ao[KEY.typeType], `${w}.TT`), w));
    }
    const ops = this.array(o[KEY.ops], `${where}.ops`).map((op, i) => this.op(op, `${where}.ops[${i}]`));
    return { id: this.string(o[KEY.id], `${where}["#"]`), args, ops };
  }

  define(id: number, type: PirType, where: string): PirValue {
    if (id === 0) this.fail(where, 'value id 0 is the null value and cannot be defined');
    if (this.defined.has(id)) this.fail(where, `value %${id} is defined a second time`);
    this.defined.add(id);
    return { id, type };
  }

  op(j: Json, where: string): PirOp {
    const o = this.object(j, where);
    const rawName = this.string(o[KEY.id], `${where}["#"]`);
    const at = `${where} (${rawName})`;
    if (rawName === PARAMETER_OP) return this.parameterOp(o, at);
    const operands = this.array(o[KEY.operands] ?? [], `${at}.I`).map((x, i) => {
      const w = `${at}.I[${i}]`;
      const id = this.integer(this.object(x, w)[KEY.valueId], `${w}["%"]`);
      if (!this.defined.has(id)) this.fail(w, `operand refers to value %${id}, which no earlier op or block argument defines`);
      return id;
    });
    const results = this.array(o[KEY.results] ?? [], `${at}.O`).map((x, i) => {
      const w = `${at}.O[${i}]`;
      const ro = this.object(x, w);
      const type = this.type(ro[KEY.typeType], `${w}.TT`);
      const id = this.integer(ro[KEY.valueId], `${w}["%"]`);
      // A result written with id 0 is a null value nobody can refer to.
      return id === 0 ? { id, type } : this.define(id, type, w);
    });
    const attrs = this.attrList(o[KEY.attrs] ?? [], `${at}.A`);
    for (const key of [KEY.distAttrs, KEY.quantAttrs] as const) {
      for (const [k, v] of this.attrList(o[key] ?? [], `${at}.${key}`)) attrs.set(k, v);
    }
    const regions = this.array(o[KEY.regions] ?? [], `${at}.regions`).map((r, i) => this.region(r, `${at}.regions[${i}]`));
    return { name: this.opName(rawName, `${where}["#"]`), operands, results, attrs, resultAttrs: this.attrList(o[KEY.resultAttrs] ?? [], `${at}.OA`), regions, where: at };
  }

  /** The compact builtin.parameter: "A": [is_distributed, is_parameter, need_clip, parameter_name], "OA": [persistable, stop_gradient, trainable]. */
  parameterOp(o: JsonObject, at: string): PirOp {
    const res = this.object(o[KEY.results], `${at}.O`);
    const value = this.define(this.integer(res[KEY.valueId], `${at}.O["%"]`), this.type(res[KEY.typeType], `${at}.O.TT`), `${at}.O`);
    const a = this.array(o[KEY.attrs], `${at}.A`);
    if (a.length !== 4) this.fail(`${at}.A`, `a parameter op has 4 attributes [is_distributed, is_parameter, need_clip, parameter_name], found ${a.length}`);
    const flag = (x: Json, w: string): PirAttr => ({ kind: 'array', value: [{ kind: 'bool', value: this.integer(x, w) !== 0 }] });
    const attrs = new Map<string, PirAttr>([
      ['is_distributed', flag(a[0]!, `${at}.A[0]`)],
      ['is_parameter', flag(a[1]!, `${at}.A[1]`)],
      ['need_clip', flag(a[2]!, `${at}.A[2]`)],
      ['parameter_name', { kind: 'str', value: this.string(a[3], `${at}.A[3]`) }],
    ]);
    if (attrs.get('parameter_name')!.kind === 'str' && (a[3] as string).length === 0) this.fail(`${at}.A[3]`, 'empty parameter name');
    for (const key of [KEY.distAttrs, KEY.quantAttrs] as const) {
      for (const [k, v] of this.attrList(o[key] ?? [], `${at}.${key}`)) attrs.set(k, v);
    }
    const resultAttrs = new Map<string, PirAttr>();
    if (o[KEY.resultAttrs] !== undefined) {
      const oa = this.array(o[KEY.resultAttrs], `${at}.OA`);
      if (oa.length !== 3) this.fail(`${at}.OA`, `a parameter op has 3 result attributes [persistable, stop_gradient, trainable], found ${oa.length}`);
      ['persistable', 'stop_gradient', 'trainable'].forEach((k, i) => resultAttrs.set(k, flag(oa[i]!, `${at}.OA[${i}]`)));
    }
    return { name: 'builtin.parameter', operands: [], results: [value], attrs, resultAttrs, regions: [], where: at };
  }

  opName(raw: string, where: string): string {
    const dot = raw.indexOf('.');
    if (dot <= 0) this.fail(where, `op name "${raw}" has no dialect prefix`);
    const dialect = raw.slice(0, dot);
    if (/^-?\d+$/.test(dialect)) {
      const name = DIALECT_BY_ID[dialect];
      if (!name) this.fail(where, `op "${raw}": unknown dialect id ${dialect}`);
      return `${name}${raw.slice(dot)}`;
    }
    return raw; // a dialect Paddle does not compress (onednn_op, cinn_op, …)
  }

  attrList(j: Json, where: string): Map<string, PirAttr> {
    const out = new Map<string, PirAttr>();
    this.array(j, where).forEach((x, i) => {
      const w = `${where}[${i}]`;
      const o = this.object(x, w);
      const name = this.string(o[KEY.name], `${w}.N`);
      // Paddle's patches mark deleted attributes by dropping "AT".
      if (o[KEY.attrType] === undefined) return;
      out.set(name, this.attr(o[KEY.attrType], `${w} (${name})`));
    });
    return out;
  }

  attr(j: Json | undefined, where: string): PirAttr {
    const o = this.object(j, where);
    const id = this.string(o[KEY.id], `${where}["#"]`);
    if (id === NULL_TYPE) return { kind: 'null' };
    const d = o[KEY.data];
    const w = `${where}.D`;
    switch (id) {
      case '0.a_bool':
        if (typeof d !== 'boolean') this.fail(w, `expected true or false, found ${describe(d)}`);
        return { kind: 'bool', value: d };
      case '0.a_i32':
      case '0.a_i64':
      case '0.a_index':
        return { kind: id === '0.a_i32' ? 'i32' : id === '0.a_i64' ? 'i64' : 'index', value: this.integer(d, w) };
      case '0.a_f32':
      case '0.a_f64':
        return { kind: id === '0.a_f32' ? 'f32' : 'f64', value: this.floatData(o, where) };
      case '0.a_str':
      case '0.a_tensorname':
        return { kind: id === '0.a_str' ? 'str' : 'tensorname', value: this.string(d, w) };
      case '0.a_c64':
      case '0.a_c128': {
        const c = this.array(d, w);
        return { kind: id === '0.a_c64' ? 'c64' : 'c128', value: { re: this.number(c[0], `${w}[0]`), im: this.number(c[1], `${w}[1]`) } };
      }
      case '0.a_array':
        return { kind: 'array', value: this.array(d, w).map((x, i) => this.attr(x, `${w}[${i}]`)) };
      case '0.a_type':
        return { kind: 'type', value: this.type(d, w) };
      case '1.a_intarray':
        return { kind: 'intarray', value: this.array(d, w).map((x, i) => this.integer(x, `${w}[${i}]`)) };
      case '1.a_dtype':
        return { kind: 'dtype', value: this.string(d, w) };
      case '1.a_layout':
        return { kind: 'layout', value: this.string(d, w) };
      case '1.a_place': {
        const p = this.array(d, w);
        return { kind: 'place', value: [this.integer(p[0], `${w}[0]`), this.integer(p[1], `${w}[1]`), this.string(p[2], `${w}[2]`)] };
      }
      case '1.a_scalar':
        return this.scalar(this.array(d, w), w);
      default:
        // Builtin (0.) and pd_op (1.) attributes are all known above; other dialects' (distributed, …) are carried.
        if (/^[0-9]+\.a_/.test(id) && !/^[01]\./.test(id)) return { kind: 'other', id, data: d ?? null };
        return this.fail(where, `unknown attribute type "${id}"`);
    }
  }

  /** Float/double data, or NaN/±Inf spelled out under "VD" (Paddle writes "NaN", "INF", "-INF"; its reader checks "NAN"). */
  floatData(o: JsonObject, where: string): number {
    if (o[KEY.voidData] !== undefined) {
      const s = this.string(o[KEY.voidData], `${where}.VD`);
      switch (s.toUpperCase()) {
        case 'NAN':
          return NaN;
        case 'INF':
          return Infinity;
        case '-INF':
          return -Infinity;
        default:
          this.fail(`${where}.VD`, `"${s}" is not NaN, INF or -INF`);
      }
    }
    return this.number(o[KEY.data], `${where}.D`);
  }

  /** 1.a_scalar: [dtype name, value] (complex: [dtype, re, im]). */
  scalar(c: Json[], where: string): PirAttr {
    const dtype = this.string(c[0], `${where}[0]`);
    if (dtype === 'complex64' || dtype === 'complex128') {
      return { kind: 'scalar', dtype, value: { re: this.number(c[1], `${where}[1]`), im: this.number(c[2], `${where}[2]`) } };
    }
    if (dtype === 'bool') {
      if (typeof c[1] !== 'boolean') this.fail(`${where}[1]`, `expected true or false, found ${describe(c[1])}`);
      return { kind: 'scalar', dtype, value: c[1] };
    }
    const value = dtype === 'float32' || dtype === 'float64' ? this.number(c[1], `${where}[1]`) : this.integer(c[1], `${where}[1]`);
    return { kind: 'scalar', dtype, value };
  }

  type(j: Json | undefined, where: string): PirType {
    const o = this.object(j, where);
    const id = this.string(o[KEY.id], `${where}["#"]`);
    if (id === NULL_TYPE) return { kind: 'null' };
    const dot = id.indexOf('.');
    const name = id.slice(dot + 1);
    if (dot > 0 && DTYPE_BY_TYPE[name] !== undefined) return { kind: 'scalar', name, dtype: DTYPE_BY_TYPE[name] };
    switch (id) {
      case '0.t_dtensor': {
        const d = this.array(o[KEY.data], `${where}.D`);
        if (d.length !== 5) this.fail(`${where}.D`, `a dense tensor type is [dtype, dims, layout, lod, offset], found ${d.length} entries`);
        const elem = this.type(d[0], `${where}.D[0]`);
        const dims = this.array(d[1], `${where}.D[1]`).map((x, i) => this.integer(x, `${where}.D[1][${i}]`));
        const lod = this.array(d[3], `${where}.D[3]`).map((l, i) => this.array(l, `${where}.D[3][${i}]`).map((x, k) => this.integer(x, `${where}.D[3][${i}][${k}]`)));
        return {
          kind: 'dtensor',
          name,
          ...(elem.kind === 'scalar' && elem.dtype ? { dtype: elem.dtype } : {}),
          elem,
          dims,
          layout: this.string(d[2], `${where}.D[2]`),
          lod,
          offset: this.integer(d[4], `${where}.D[4]`),
        };
      }
      case '0.t_vec':
        return { kind: 'vec', elements: this.array(o[KEY.data], `${where}.D`).map((x, i) => this.type(x, `${where}.D[${i}]`)) };
      default:
        if (/^[0-9]+\.t_/.test(id) && id !== '0.t_undefined') return { kind: 'other', name: id };
        return this.fail(where, `unknown type "${id}"`);
    }
  }
}

function describe(j: Json | undefined): string {
  if (j === undefined) return 'nothing';
  if (j === null) return 'null';
  if (Array.isArray(j)) return 'an array';
  if (typeof j === 'object') return 'an object';
  return JSON.stringify(j).slice(0, 40);
}

/** Parse a PIR program file (the bytes of `*.json`). `file` names the source in errors. */
export function readPirProgram(bytes: Uint8Array, file = '<pir program>'): PirProgram {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (err) {
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg);
    const where = at ? `byte ${at[1]} (${lineCol(text, Number(at[1]))})` : `the end of the text (byte ${text.length})`;
    const truncated = /end of JSON input|Unterminated/i.test(msg) ? ' — the file is truncated' : '';
    throw new ModelFormatError(file, `not valid JSON at ${where}${truncated}: ${msg}`);
  }
  return new Reader(file).program(root);
}

function lineCol(text: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}

/** A dtype from a `1.a_dtype` / scalar spelling, or undefined. */
export function dtypeFromName(name: string): DType | undefined {
  return DTYPE_BY_NAME[name];
}
