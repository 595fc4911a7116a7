// Accumulates ONNX nodes and constants while ops are translated; names stay unique within the graph.
import type { DType } from '../types.ts';
import { OnnxDataType, onnxDataType, type OnnxAttr, type OnnxNode, type OnnxTensor } from './proto.ts';

export const attr = {
  int: (value: number): OnnxAttr => ({ type: 'int', value }),
  float: (value: number): OnnxAttr => ({ type: 'float', value }),
  string: (value: string): OnnxAttr => ({ type: 'string', value }),
  ints: (value: readonly number[]): OnnxAttr => ({ type: 'ints', value: [...value] }),
  floats: (value: readonly number[]): OnnxAttr => ({ type: 'floats', value: [...value] }),
  tensor: (value: OnnxTensor): OnnxAttr => ({ type: 'tensor', value }),
};

/** Little-endian raw bytes of values in the given dtype (the only dtypes constants need). */
export function rawBytes(dtype: DType, values: readonly number[]): Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))).buffer);
    case 'int16':
      return new Uint8Array(Int16Array.from(values).buffer);
    case 'int8':
      return new Uint8Array(Int8Array.from(values).buffer);
    case 'uint8':
      return Uint8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      throw new Error(`cannot make a ${dtype} constant`);
  }
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();
  /** Values already given a value (node outputs, initializers): ONNX graphs are single-assignment. */
  private readonly defined = new Set<string>();
  private readonly int64Consts = new Map<string, string>();

  /** Reserve a name that Paddle already uses (vars), so generated names never collide with it. */
  reserve(name: string): void {
    this.names.add(name);
  }

  /** A graph input: defined from the start. */
  declareInput(name: string): void {
    this.names.add(name);
    this.defined.add(name);
  }

  /** A fresh value name derived from base. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /**
   * Add a node. outputs: explicit names, or a count of fresh names derived from the first input.
   * Returns the output names.
   */
  add(opType: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, OnnxAttr> = {}): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(`${stem(inputs[0] ?? opType)}/${opType}${outputs > 1 ? `.${i}` : ''}`))
        : outputs;
    for (const o of outs) {
      if (this.defined.has(o)) {
        throw new Error(`variable ${o} is written a second time (${opType}); in-place updates cannot be expressed in ONNX`);
      }
      this.names.add(o);
      this.defined.add(o);
    }
    this.nodes.push({ opType, name: this.fresh(`node/${opType}/${outs[0]}`), inputs, outputs: outs, attrs });
    return outs;
  }

  /** add() for single-output nodes. */
  op(opType: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, output?: string): string {
    return this.add(opType, inputs, output === undefined ? 1 : [output], attrs)[0];
  }

  initializer(name: string, dtype: DType, dims: readonly number[], raw: Uint8Array): string {
    this.names.add(name);
    this.defined.add(name);
    this.initializers.push({ name, dataType: onnxDataType(dtype), dims: [...dims], raw });
    return name;
  }

  /** A constant initializer with a fresh name. */
  constant(base: string, dtype: DType, dims: readonly number[], values: readonly number[]): string {
    return this.initializer(this.fresh(`const/${base}`), dtype, dims, rawBytes(dtype, values));
  }

  /** A 1-D int64 constant (shapes, axes, starts/ends); identical ones are shared. */
  int64(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.int64Consts.get(key);
    if (!name) {
      name = this.constant(`i64[${key}]`, 'int64', [values.length], values);
      this.int64Consts.set(key, name);
    }
    return name;
  }

  /** A scalar (0-D) constant of the given dtype. */
  scalar(dtype: DType, value: number): string {
    return this.constant(`${dtype}(${value})`, dtype, [], [value]);
  }

  /** Cast to dtype unless already that dtype. */
  cast(input: string, from: DType | undefined, to: DType): string {
    if (from === to) return input;
    return this.op('Cast', [input], { to: attr.int(onnxDataType(to)) });
  }
}

function stem(name: string): string {
  return name.startsWith('const/') ? 'const' : name;
}

export { OnnxDataType };
