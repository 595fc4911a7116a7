// Read and write Paddle's serialized ProgramDesc (.pdmodel) through our own framework.proto schema.
// The protobufjs objects stay inside this module; everything else sees the typed view of types.ts.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ModelFormatError } from '../errors.ts';
import {
  dtypeCode,
  dtypeFromCode,
  VarTypeCode,
  type AttrValue,
  type BlockDesc,
  type OpDesc,
  type PaddleScalar,
  type ProgramDesc,
  type VarAttrValue,
  type VarDesc,
} from './types.ts';

const PROTO_PATH = fileURLToPath(new URL('./proto/framework.proto', import.meta.url));

let root: protobuf.Root | undefined;
function schema(): protobuf.Root {
  // keepCase: field names stay as in framework.proto (block_idx, lod_tensor, ...).
  root ??= new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
  return root;
}
/** A framework.proto message type (the schema is parsed once, shared with params.ts). */
export function messageType(name: string): protobuf.Type {
  return schema().lookupType(`paddle.framework.proto.${name}`);
}

/** framework.proto AttrType codes. */
export const AttrTypeCode = {
  INT: 0,
  FLOAT: 1,
  STRING: 2,
  INTS: 3,
  FLOATS: 4,
  STRINGS: 5,
  BOOLEAN: 6,
  BOOLEANS: 7,
  BLOCK: 8,
  LONG: 9,
  BLOCKS: 10,
  LONGS: 11,
  FLOAT64S: 12,
  VAR: 13,
  VARS: 14,
  FLOAT64: 15,
  SCALAR: 16,
  SCALARS: 17,
} as const;

const SCALAR_BOOLEAN = 1;
const SCALAR_LONG = 2;
const SCALAR_FLOAT64 = 3;
const SCALAR_COMPLEX128 = 4;

// Plain-object shapes produced by protobufjs toObject (keepCase, longs as strings, enums as numbers).
interface PbTensorDesc { data_type: number; dims?: string[] }
interface PbLoDTensorDesc { tensor: PbTensorDesc; lod_level?: number }
interface PbVarType {
  type: number;
  selected_rows?: PbTensorDesc;
  lod_tensor?: PbLoDTensorDesc;
  tensor_array?: PbLoDTensorDesc;
  tuple?: { element_type?: number[] };
  string?: PbTensorDesc;
  strings?: PbTensorDesc;
  vocab?: PbTensorDesc;
  sparse_coo?: PbTensorDesc;
  sparse_csr?: PbTensorDesc;
}
interface PbVarAttr { name: string; type: number; i?: number; s?: string; ints?: number[] }
interface PbVarDesc {
  name: string;
  type: PbVarType;
  persistable?: boolean;
  need_check_feed?: boolean;
  is_parameter?: boolean;
  stop_gradient?: boolean;
  attrs?: PbVarAttr[];
}
interface PbScalar { type: number; b?: boolean; i?: string; r?: number; c?: { r: number; i: number } }
interface PbAttr {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: string;
  ints?: number[];
  floats?: number[];
  strings?: string[];
  b?: boolean;
  bools?: boolean[];
  block_idx?: number;
  l?: string;
  blocks_idx?: number[];
  longs?: string[];
  float64s?: number[];
  var_name?: string;
  vars_name?: string[];
  float64?: number;
  scalar?: PbScalar;
  scalars?: PbScalar[];
}
interface PbOpVar { parameter: string; arguments?: string[] }
interface PbOpDesc { type: string; inputs?: PbOpVar[]; outputs?: PbOpVar[]; attrs?: PbAttr[]; is_target?: boolean }
interface PbBlockDesc { idx: number; parent_idx: number; vars?: PbVarDesc[]; ops?: PbOpDesc[]; forward_block_idx?: number }
interface PbProgramDesc {
  blocks?: PbBlockDesc[];
  version?: { version?: string };
  op_version_map?: { pair?: { op_name: string; op_version: { version: number } }[] };
}

/** Parse a .pdmodel (serialized ProgramDesc). `file` names the source in errors. */
export function parseProgram(bytes: Uint8Array, file = '<program>'): ProgramDesc {
  if (bytes.length === 0) throw new ModelFormatError(file, 'empty file, expected a Paddle ProgramDesc (.pdmodel)');
  let obj: PbProgramDesc;
  try {
    const T = messageType('ProgramDesc');
    obj = T.toObject(T.decode(bytes), { longs: String, enums: Number, arrays: true }) as PbProgramDesc;
  } catch (err) {
    throw new ModelFormatError(file, `not a valid Paddle ProgramDesc (.pdmodel): ${(err as Error).message}`);
  }
  const blocks = obj.blocks ?? [];
  if (blocks.length === 0) throw new ModelFormatError(file, 'ProgramDesc has no blocks (not a Paddle .pdmodel?)');
  const program: ProgramDesc = {
    blocks: blocks.map((b, i) => readBlock(b, i, file)),
    version: BigInt(obj.version?.version ?? '0'),
  };
  const pairs = obj.op_version_map?.pair;
  if (pairs) {
    program.opVersions = {};
    for (const p of pairs) program.opVersions[p.op_name] = p.op_version.version;
  }
  return program;
}

function readBlock(b: PbBlockDesc, position: number, file: string): BlockDesc {
  const block: BlockDesc = {
    idx: b.idx,
    parentIdx: b.parent_idx,
    vars: (b.vars ?? []).map((v) => readVar(v, file)),
    ops: (b.ops ?? []).map((op, i) => readOp(op, `block ${position} op ${i}`, file)),
  };
  if (b.forward_block_idx !== undefined) block.forwardBlockIdx = b.forward_block_idx;
  return block;
}

function readVar(v: PbVarDesc, file: string): VarDesc {
  const out: VarDesc = { name: v.name, type: v.type.type, persistable: v.persistable ?? false };
  const t = v.type;
  const tensor = t.lod_tensor?.tensor ?? t.tensor_array?.tensor ?? t.selected_rows ?? t.string ?? t.strings ?? t.vocab ?? t.sparse_coo ?? t.sparse_csr;
  if (tensor) {
    const dt = dtypeFromCode(tensor.data_type);
    if (dt) out.dtype = dt;
    else out.dtypeCode = tensor.data_type;
    out.shape = (tensor.dims ?? []).map((d) => toSafeInt(d, file, `var ${v.name} dims`));
  }
  const lodLevel = t.lod_tensor?.lod_level ?? t.tensor_array?.lod_level;
  if (lodLevel !== undefined) out.lodLevel = lodLevel;
  if (t.tuple) out.tupleTypes = t.tuple.element_type ?? [];
  if (v.need_check_feed !== undefined) out.needCheckFeed = v.need_check_feed;
  if (v.stop_gradient !== undefined) out.stopGradient = v.stop_gradient;
  if (v.is_parameter !== undefined) out.isParameter = v.is_parameter;
  if (v.attrs?.length) {
    out.attrs = {};
    for (const a of v.attrs) {
      let value: VarAttrValue;
      if (a.type === AttrTypeCode.INT) value = { kind: 'int', value: a.i ?? 0 };
      else if (a.type === AttrTypeCode.STRING) value = { kind: 'string', value: a.s ?? '' };
      else if (a.type === AttrTypeCode.INTS) value = { kind: 'ints', value: a.ints ?? [] };
      else throw new ModelFormatError(file, `var ${v.name} attribute ${a.name} has unsupported type ${a.type}`);
      out.attrs[a.name] = value;
    }
  }
  return out;
}

function toSafeInt(s: string, file: string, what: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new ModelFormatError(file, `${what}: ${s} is not a representable integer`);
  return n;
}

function readOp(op: PbOpDesc, where: string, file: string): OpDesc {
  const vars = (list: PbOpVar[] | undefined): Record<string, string[]> => {
    const rec: Record<string, string[]> = {};
    for (const v of list ?? []) rec[v.parameter] = v.arguments ?? [];
    return rec;
  };
  const attrs: Record<string, AttrValue> = {};
  for (const a of op.attrs ?? []) attrs[a.name] = readAttr(a, `${where} (${op.type}) attribute ${a.name}`, file);
  const out: OpDesc = { type: op.type, inputs: vars(op.inputs), outputs: vars(op.outputs), attrs };
  if (op.is_target !== undefined) out.isTarget = op.is_target;
  return out;
}

function readScalar(s: PbScalar, what: string, file: string): PaddleScalar {
  switch (s.type) {
    case SCALAR_BOOLEAN:
      return s.b ?? false;
    case SCALAR_LONG:
      return BigInt(s.i ?? '0');
    case SCALAR_FLOAT64:
      return s.r ?? 0;
    case SCALAR_COMPLEX128:
      return { re: s.c?.r ?? 0, im: s.c?.i ?? 0 };
    default:
      throw new ModelFormatError(file, `${what}: unknown Scalar type ${s.type}`);
  }
}

function readAttr(a: PbAttr, what: string, file: string): AttrValue {
  switch (a.type) {
    case AttrTypeCode.INT:
      return { kind: 'int', value: a.i ?? 0 };
    case AttrTypeCode.FLOAT:
      return { kind: 'float', value: a.f ?? 0 };
    case AttrTypeCode.STRING:
      return { kind: 'string', value: a.s ?? '' };
    case AttrTypeCode.INTS:
      return { kind: 'ints', value: a.ints ?? [] };
    case AttrTypeCode.FLOATS:
      return { kind: 'floats', value: a.floats ?? [] };
    case AttrTypeCode.STRINGS:
      return { kind: 'strings', value: a.strings ?? [] };
    case AttrTypeCode.BOOLEAN:
      return { kind: 'boolean', value: a.b ?? false };
    case AttrTypeCode.BOOLEANS:
      return { kind: 'booleans', value: a.bools ?? [] };
    case AttrTypeCode.BLOCK:
      return { kind: 'block', value: a.block_idx ?? 0 };
    case AttrTypeCode.LONG:
      return { kind: 'long', value: BigInt(a.l ?? '0') };
    case AttrTypeCode.BLOCKS:
      return { kind: 'blocks', value: a.blocks_idx ?? [] };
    case AttrTypeCode.LONGS:
      return { kind: 'longs', value: (a.longs ?? []).map((x) => BigInt(x)) };
    case AttrTypeCode.FLOAT64S:
      return { kind: 'float64s', value: a.float64s ?? [] };
    case AttrTypeCode.VAR:
      return { kind: 'var', value: a.var_name ?? '' };
    case AttrTypeCode.VARS:
      return { kind: 'vars', value: a.vars_name ?? [] };
    case AttrTypeCode.FLOAT64:
      return { kind: 'float64', value: a.float64 ?? 0 };
    case AttrTypeCode.SCALAR:
      if (!a.scalar) throw new ModelFormatError(file, `${what}: SCALAR attribute without a value`);
      return { kind: 'scalar', value: readScalar(a.scalar, what, file) };
    case AttrTypeCode.SCALARS:
      return { kind: 'scalars', value: (a.scalars ?? []).map((s) => readScalar(s, what, file)) };
    default:
      throw new ModelFormatError(file, `${what}: unknown attribute type ${a.type}`);
  }
}

// ---- writing ----

/** Serialize a ProgramDesc to .pdmodel bytes (Paddle's protobuf encoding). */
export function serializeProgram(p: ProgramDesc): Uint8Array {
  const obj: PbProgramDesc = {
    blocks: p.blocks.map(writeBlock),
    version: { version: p.version.toString() },
  };
  if (p.opVersions) {
    obj.op_version_map = {
      pair: Object.entries(p.opVersions).map(([op_name, version]) => ({ op_name, op_version: { version } })),
    };
  }
  const T = messageType('ProgramDesc');
  return T.encode(T.fromObject(obj)).finish();
}

function writeBlock(b: BlockDesc): PbBlockDesc {
  const out: PbBlockDesc = { idx: b.idx, parent_idx: b.parentIdx, vars: b.vars.map(writeVar), ops: b.ops.map(writeOp) };
  if (b.forwardBlockIdx !== undefined) out.forward_block_idx = b.forwardBlockIdx;
  return out;
}

function writeVar(v: VarDesc): PbVarDesc {
  const t: PbVarType = { type: v.type };
  const elem = v.dtype !== undefined ? dtypeCode(v.dtype) : v.dtypeCode;
  if (elem !== undefined) {
    const tensor: PbTensorDesc = { data_type: elem, dims: (v.shape ?? []).map(String) };
    switch (v.type) {
      case VarTypeCode.SELECTED_ROWS:
        t.selected_rows = tensor;
        break;
      case VarTypeCode.LOD_TENSOR_ARRAY:
        t.tensor_array = { tensor, ...(v.lodLevel !== undefined ? { lod_level: v.lodLevel } : {}) };
        break;
      case VarTypeCode.STRING:
        t.string = tensor;
        break;
      case VarTypeCode.STRINGS:
        t.strings = tensor;
        break;
      case VarTypeCode.VOCAB:
        t.vocab = tensor;
        break;
      case VarTypeCode.SPARSE_COO:
        t.sparse_coo = tensor;
        break;
      case VarTypeCode.SPARSE_CSR:
        t.sparse_csr = tensor;
        break;
      default:
        t.lod_tensor = { tensor, ...(v.lodLevel !== undefined ? { lod_level: v.lodLevel } : {}) };
    }
  }
  if (v.tupleTypes) t.tuple = { element_type: v.tupleTypes };
  const out: PbVarDesc = { name: v.name, type: t, persistable: v.persistable };
  if (v.needCheckFeed !== undefined) out.need_check_feed = v.needCheckFeed;
  if (v.isParameter !== undefined) out.is_parameter = v.isParameter;
  if (v.stopGradient !== undefined) out.stop_gradient = v.stopGradient;
  if (v.attrs) {
    out.attrs = Object.entries(v.attrs).map(([name, a]): PbVarAttr => {
      if (a.kind === 'int') return { name, type: AttrTypeCode.INT, i: a.value };
      if (a.kind === 'string') return { name, type: AttrTypeCode.STRING, s: a.value };
      return { name, type: AttrTypeCode.INTS, ints: a.value };
    });
  }
  return out;
}

function writeOp(op: OpDesc): PbOpDesc {
  const vars = (rec: Record<string, string[]>): PbOpVar[] =>
    Object.entries(rec).map(([parameter, args]) => ({ parameter, arguments: args }));
  const out: PbOpDesc = {
    type: op.type,
    inputs: vars(op.inputs),
    outputs: vars(op.outputs),
    attrs: Object.entries(op.attrs).map(([name, a]) => writeAttr(name, a)),
  };
  if (op.isTarget !== undefined) out.is_target = op.isTarget;
  return out;
}

function writeScalar(s: PaddleScalar): PbScalar {
  if (typeof s === 'boolean') return { type: SCALAR_BOOLEAN, b: s };
  if (typeof s === 'bigint') return { type: SCALAR_LONG, i: s.toString() };
  if (typeof s === 'number') return { type: SCALAR_FLOAT64, r: s };
  return { type: SCALAR_COMPLEX128, c: { r: s.re, i: s.im } };
}

function writeAttr(name: string, a: AttrValue): PbAttr {
  switch (a.kind) {
    case 'int':
      return { name, type: AttrTypeCode.INT, i: a.value };
    case 'float':
      return { name, type: AttrTypeCode.FLOAT, f: a.value };
    case 'string':
      return { name, type: AttrTypeCode.STRING, s: a.value };
    case 'ints':
      return { name, type: AttrTypeCode.INTS, ints: a.value };
    case 'floats':
      return { name, type: AttrTypeCode.FLOATS, floats: a.value };
    case 'strings':
      return { name, type: AttrTypeCode.STRINGS, strings: a.value };
    case 'boolean':
      return { name, type: AttrTypeCode.BOOLEAN, b: a.value };
    case 'booleans':
      return { name, type: AttrTypeCode.BOOLEANS, bools: a.value };
    case 'block':
      return { name, type: AttrTypeCode.BLOCK, block_idx: a.value };
    case 'long':
      return { name, type: AttrTypeCode.LONG, l: a.value.toString() };
    case 'blocks':
      return { name, type: AttrTypeCode.BLOCKS, blocks_idx: a.value };
    case 'longs':
      return { name, type: AttrTypeCode.LONGS, longs: a.value.map(String) };
    case 'float64s':
      return { name, type: AttrTypeCode.FLOAT64S, float64s: a.value };
    case 'var':
      return { name, type: AttrTypeCode.VAR, var_name: a.value };
    case 'vars':
      return { name, type: AttrTypeCode.VARS, vars_name: a.value };
    case 'float64':
      return { name, type: AttrTypeCode.FLOAT64, float64: a.value };
    case 'scalar':
      return { name, type: AttrTypeCode.SCALAR, scalar: writeScalar(a.value) };
    case 'scalars':
      return { name, type: AttrTypeCode.SCALARS, scalars: a.value.map(writeScalar) };
  }
}
