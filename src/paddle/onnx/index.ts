// Paddle ProgramDesc + parameters → ONNX model bytes, one converter per Paddle op (see ops/index.ts).
import type { BlockDesc, DType, OpDesc, ParamTensor, ProgramDesc, VarDesc } from '../types.ts';
import { firstOutput, OpContext, type KnownConst, type TemporalShiftForm } from './context.ts';
import { GraphBuilder } from './graph.ts';
import { CONVERTERS } from './ops/index.ts';
import { encodeModel, onnxDataType, type OnnxValueInfo } from './proto.ts';
import { inferSymbolicShapes, onnxDim, type SymDim } from './symbolic.ts';
import { numel } from '../../tensor.ts';

export { OpTranslationError, type TemporalShiftForm } from './context.ts';

/** The ONNX opset we emit (onnxruntime 1.30 supports it fully; ReduceMean still takes axes as an attribute). */
export const OPSET = 17;
const IR_VERSION = 8;

export interface UnsupportedOp {
  type: string;
  block: number;
  index: number;
  output?: string;
  /** The op's place in its source file, when it has one (PIR programs). */
  origin?: string;
}

/** Every op of the program that has no converter, found before any translation work starts. */
export class UnsupportedOpsError extends Error {
  constructor(readonly ops: UnsupportedOp[]) {
    const byType = new Map<string, UnsupportedOp[]>();
    for (const op of ops) byType.set(op.type, [...(byType.get(op.type) ?? []), op]);
    const lines = [...byType].map(
      ([type, list]) =>
        `  ${type} (${list.length}×): ` +
        list
          .slice(0, 5)
          .map((o) => `${o.origin ?? `block ${o.block} op #${o.index}`}${o.output ? ` → ${o.output}` : ''}`)
          .join(', ') +
        (list.length > 5 ? `, … ${list.length - 5} more` : ''),
    );
    super(`cannot translate ${ops.length} op(s) of ${byType.size} unsupported type(s) to ONNX:\n${lines.join('\n')}`);
    this.name = 'UnsupportedOpsError';
  }
}

export interface TranslateOpts {
  onProgress?: (msg: string) => void;
  /** 'fast' (default): shift only the moved channel groups; 'plain': Pad/Slice/Concat of the whole tensor. */
  temporalShift?: TemporalShiftForm;
  /**
   * Write symbolic shapes of intermediate values (default true). Without them onnxruntime cannot prove a residual
   * Add's inputs equal under a dynamic batch and leaves Conv+Add+Relu unfused; false gives that plain baseline.
   */
  symbolicShapes?: boolean;
}

export interface GraphIO {
  name: string;
  dims: (number | string)[];
}

export interface TranslateResult {
  bytes: Uint8Array;
  inputs: GraphIO[];
  outputs: GraphIO[];
}

const IO_OPS = new Set(['feed', 'fetch']);

/** List every op (all blocks) without a converter. */
export function findUnsupportedOps(program: ProgramDesc): UnsupportedOp[] {
  const found: UnsupportedOp[] = [];
  for (const block of program.blocks) {
    block.ops.forEach((op, index) => {
      if (!IO_OPS.has(op.type) && !CONVERTERS.has(op.type)) {
        found.push({ type: op.type, block: block.idx, index, output: firstOutput(op), ...(op.origin ? { origin: op.origin } : {}) });
      }
    });
  }
  return found;
}

/** Paddle's -1 dims of a feed/fetch var become symbolic: the first one is the batch. */
function ioDims(v: VarDesc): (number | string)[] {
  return (v.shape ?? []).map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : `${v.name}_dim${i}`));
}

function col(op: OpDesc): number {
  const a = op.attrs.col;
  return a && (a.kind === 'int' || a.kind === 'long') ? Number(a.value) : 0;
}

function varOf(vars: ReadonlyMap<string, VarDesc>, name: string, what: string): VarDesc & { dtype: DType } {
  const v = vars.get(name);
  if (!v) throw new Error(`${what} variable ${name} is not declared in block 0`);
  if (!v.dtype) throw new Error(`${what} variable ${name} has no tensor dtype`);
  return v as VarDesc & { dtype: DType };
}

export function translateProgram(
  program: ProgramDesc,
  params: Map<string, ParamTensor>,
  opts: TranslateOpts = {},
): TranslateResult {
  const unsupported = findUnsupportedOps(program);
  if (unsupported.length) throw new UnsupportedOpsError(unsupported);
  const progress = opts.onProgress ?? (() => {});
  const block = program.blocks[0];
  if (!block) throw new Error('program has no blocks');
  const vars = new Map(block.vars.map((v) => [v.name, v]));
  const g = new GraphBuilder();
  for (const v of block.vars) g.reserve(v.name);

  // Graph inputs and outputs, ordered by the feed/fetch column as Paddle orders them.
  const feeds = block.ops.filter((o) => o.type === 'feed').sort((a, b) => col(a) - col(b));
  const fetches = block.ops.filter((o) => o.type === 'fetch').sort((a, b) => col(a) - col(b));
  const inputs: (OnnxValueInfo & GraphIO)[] = feeds.map((op) => {
    const v = varOf(vars, op.outputs.Out?.[0] ?? '', 'feed');
    return { name: v.name, dataType: onnxDataType(v.dtype), dims: ioDims(v) };
  });
  const outputs: (OnnxValueInfo & GraphIO)[] = fetches.map((op) => {
    const v = varOf(vars, op.inputs.X?.[0] ?? '', 'fetch');
    return { name: v.name, dataType: onnxDataType(v.dtype), dims: ioDims(v) };
  });
  if (!inputs.length) throw new Error('program has no feed ops: no graph inputs');
  for (const i of inputs) g.declareInput(i.name);
  if (!outputs.length) throw new Error('program has no fetch ops: no graph outputs');

  // Persistable vars read by ops become initializers; small integer ones are also known constants.
  const consts = new Map<string, KnownConst>();
  const produced = new Set<string>();
  const added = new Set<string>();
  let weightBytes = 0;
  for (const op of block.ops) {
    if (IO_OPS.has(op.type)) continue;
    for (const names of Object.values(op.inputs)) {
      for (const name of names) {
        if (produced.has(name) || added.has(name) || !vars.get(name)?.persistable) continue;
        const p = params.get(name);
        if (!p) throw new Error(`parameter ${name} (read by ${op.type}) is missing from the params`);
        g.initializer(name, p.dtype, p.dims, p.data);
        added.add(name);
        weightBytes += p.data.byteLength;
        const known = intValues(p);
        if (known) consts.set(name, known);
      }
    }
    for (const names of Object.values(op.outputs)) for (const n of names) produced.add(n);
  }
  progress(`${added.size} parameters (${(weightBytes / 2 ** 20).toFixed(1)} MiB) become initializers`);

  const options = { temporalShift: opts.temporalShift ?? 'fast' };
  const work = block.ops.map((op, index) => ({ op, index })).filter(({ op }) => !IO_OPS.has(op.type));
  const step = Math.max(1, Math.ceil(work.length / 10));
  work.forEach(({ op, index }, i) => {
    CONVERTERS.get(op.type)!(new OpContext(op, block.idx, index, g, vars, consts, options));
    if ((i + 1) % step === 0 || i + 1 === work.length) progress(`translated ${i + 1}/${work.length} ops`);
  });

  const bytes = encodeModel({
    opset: OPSET,
    irVersion: IR_VERSION,
    producerName: 'vidserve',
    producerVersion: '0.1.0',
    graphName: 'paddle_program',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs,
    outputs,
    valueInfo: opts.symbolicShapes === false ? [] : valueInfo(block, vars, g, inputs, outputs),
  });
  progress(`encoded ONNX model: ${g.nodes.length} nodes, ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB`);
  return {
    bytes,
    inputs: inputs.map(({ name, dims }) => ({ name, dims })),
    outputs: outputs.map(({ name, dims }) => ({ name, dims })),
  };
}

/** Shapes of the Paddle vars the graph computes, with dynamic dims as symbols derived from the inputs'. */
function valueInfo(
  block: BlockDesc,
  vars: ReadonlyMap<string, VarDesc>,
  g: GraphBuilder,
  inputs: OnnxValueInfo[],
  outputs: OnnxValueInfo[],
): OnnxValueInfo[] {
  const io = new Set([...inputs, ...outputs].map((v) => v.name));
  const inputDims = new Map<string, SymDim[]>(
    inputs.map((v) => [v.name, v.dims.map((d) => (typeof d === 'string' ? { coef: 1, sym: d } : d))]),
  );
  const shapes = inferSymbolicShapes(block, inputDims);
  const computed = new Set(g.nodes.flatMap((n) => n.outputs));
  const info: OnnxValueInfo[] = [];
  for (const [name, dims] of shapes) {
    const v = vars.get(name);
    if (io.has(name) || !computed.has(name) || !v?.dtype) continue;
    info.push({ name, dataType: onnxDataType(v.dtype), dims: dims.map(onnxDim) });
  }
  return info;
}

/** Values of a small integer parameter (usable where ONNX needs an attribute, e.g. a concat axis). */
function intValues(p: ParamTensor): KnownConst | undefined {
  const n = numel(p.dims);
  if (n > 64) return undefined;
  const view = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  if (p.dtype === 'int32') return { dims: p.dims, values: Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true)) };
  if (p.dtype === 'int64') return { dims: p.dims, values: Array.from({ length: n }, (_, i) => Number(view.getBigInt64(8 * i, true))) };
  return undefined;
}
