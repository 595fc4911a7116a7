// Read and write Paddle's combined parameter file (.pdiparams), the stream `save_combine` writes.
//
// Layout, per tensor, concatenated in order (Paddle: lod_tensor.cc SerializeToStream + tensor_util.cc TensorToStream):
//   uint32  LoDTensor version (0)
//   uint64  number of LoD levels, then per level: uint64 byte size, that many bytes of uint64 offsets
//   uint32  Tensor version (0)
//   int32   byte size of the TensorDesc protobuf, then the TensorDesc (VarType.TensorDesc: data_type, dims)
//   raw little-endian element data (numel × element size)
// All integers little-endian. The tensors are the program's persistable variables sorted by name
// (fluid/io.py save_vars sorts the names before appending save_combine; the inference loader sorts them the same way).
import type protobuf from 'protobufjs';
import { ModelFormatError } from '../errors.ts';
import { numel } from '../tensor.ts';
import { messageType } from './program.ts';
import { dtypeCode, dtypeFromCode, dtypeSize, VarTypeCode, type ParamTensor, type ProgramDesc, type VarDesc } from './types.ts';

function tensorDesc(): protobuf.Type {
  return messageType('VarType.TensorDesc');
}

/** Variable types Paddle never saves even when marked persistable. */
const NOT_SAVED = new Set<number>([VarTypeCode.FEED_MINIBATCH, VarTypeCode.FETCH_LIST, VarTypeCode.READER, VarTypeCode.RAW]);

/** Byte-wise (UTF-8) name order, as Python's sorted() on str and C++ std::sort on std::string agree on. */
function byName(a: VarDesc, b: VarDesc): number {
  return Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8'));
}

/** The variables stored in the program's .pdiparams, in file order. */
export function persistableVars(program: ProgramDesc): VarDesc[] {
  const seen = new Set<string>();
  const out: VarDesc[] = [];
  for (const block of program.blocks) {
    for (const v of block.vars) {
      if (!v.persistable || NOT_SAVED.has(v.type) || seen.has(v.name)) continue;
      seen.add(v.name);
      out.push(v);
    }
  }
  return out.sort(byName);
}

const MAX_LOD_LEVELS = 64;

/**
 * Parse a combined params file against the variables it must hold (normally persistableVars(program)).
 * Tensor data are views into `bytes` (not copied, not necessarily aligned).
 */
export function readParams(bytes: Uint8Array, vars: readonly VarDesc[], file = '<params>'): Map<string, ParamTensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, ParamTensor>();
  let pos = 0;
  for (let i = 0; i < vars.length; i++) {
    const v = vars[i]!;
    const where = `variable ${v.name} (#${i + 1} of ${vars.length}, at byte ${pos})`;
    const need = (n: number, what: string): void => {
      if (pos + n > bytes.length) {
        throw new ModelFormatError(
          file,
          `truncated: ${where}: needs ${n} bytes for ${what} at byte ${pos}, but the file ends at ${bytes.length}` +
            (i === 0 ? '' : ` (the file holds fewer tensors than the program's ${vars.length} persistable variables, or is cut short)`),
        );
      }
    };
    const u64 = (what: string): number => {
      need(8, what);
      const x = view.getBigUint64(pos, true);
      pos += 8;
      if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFormatError(file, `${where}: ${what} ${x} is not plausible (corrupt file?)`);
      return Number(x);
    };

    need(4, 'the LoDTensor version');
    const lodVersion = view.getUint32(pos, true);
    pos += 4;
    if (lodVersion !== 0) throw new ModelFormatError(file, `${where}: LoDTensor version ${lodVersion} is not supported (only 0; corrupt file or not a .pdiparams?)`);

    const levels = u64('the LoD level count');
    if (levels > MAX_LOD_LEVELS) throw new ModelFormatError(file, `${where}: ${levels} LoD levels is not plausible (corrupt file?)`);
    let lod: number[][] | undefined;
    for (let l = 0; l < levels; l++) {
      const size = u64(`the byte size of LoD level ${l}`);
      if (size % 8 !== 0) throw new ModelFormatError(file, `${where}: LoD level ${l} byte size ${size} is not a multiple of 8`);
      need(size, `LoD level ${l}`);
      const level: number[] = [];
      for (let k = 0; k < size / 8; k++) level.push(Number(view.getBigUint64(pos + k * 8, true)));
      pos += size;
      (lod ??= []).push(level);
    }

    need(4, 'the Tensor version');
    const tensorVersion = view.getUint32(pos, true);
    pos += 4;
    if (tensorVersion !== 0) throw new ModelFormatError(file, `${where}: Tensor version ${tensorVersion} is not supported (only 0; corrupt file?)`);

    need(4, 'the TensorDesc size');
    const descSize = view.getInt32(pos, true);
    pos += 4;
    if (descSize < 0 || descSize > 1 << 20) throw new ModelFormatError(file, `${where}: TensorDesc size ${descSize} is not plausible (corrupt file?)`);
    need(descSize, 'the TensorDesc');
    let desc: { data_type: number; dims?: string[] };
    try {
      const T = tensorDesc();
      desc = T.toObject(T.decode(bytes.subarray(pos, pos + descSize)), { longs: String, enums: Number, arrays: true }) as typeof desc;
    } catch (err) {
      throw new ModelFormatError(file, `${where}: corrupt TensorDesc: ${(err as Error).message}`);
    }
    pos += descSize;

    const dtype = dtypeFromCode(desc.data_type);
    if (!dtype) throw new ModelFormatError(file, `${where}: unsupported tensor data type code ${desc.data_type}`);
    const dims = (desc.dims ?? []).map(Number);
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ModelFormatError(file, `${where}: invalid dims [${dims.join(', ')}] (corrupt file?)`);
    }
    if (v.dtype && v.dtype !== dtype) {
      throw new ModelFormatError(file, `${where}: dtype ${dtype} in the params file, but the program declares ${v.dtype}`);
    }
    if (v.shape && !shapeMatches(v.shape, dims)) {
      throw new ModelFormatError(file, `${where}: shape [${dims.join(', ')}] in the params file, but the program declares [${v.shape.join(', ')}]`);
    }
    const nbytes = numel(dims) * dtypeSize(dtype);
    need(nbytes, `its ${nbytes} bytes of ${dtype} data [${dims.join(', ')}]`);
    const tensor: ParamTensor = { name: v.name, dtype, dims, data: bytes.subarray(pos, pos + nbytes) };
    if (lod) tensor.lod = lod;
    pos += nbytes;
    out.set(v.name, tensor);
  }
  if (pos !== bytes.length) {
    throw new ModelFormatError(
      file,
      `${bytes.length - pos} bytes left after the last variable ${vars.at(-1)?.name ?? '(none)'}: the file holds more than the program's ` +
        `${vars.length} persistable variables (params file from another model?)`,
    );
  }
  return out;
}

function shapeMatches(declared: readonly number[], actual: readonly number[]): boolean {
  return declared.length === actual.length && declared.every((d, i) => d < 0 || d === actual[i]);
}

/** Read the .pdiparams belonging to `program` (persistable vars sorted by name). */
export function loadProgramParams(program: ProgramDesc, bytes: Uint8Array, file = '<params>'): Map<string, ParamTensor> {
  return readParams(bytes, persistableVars(program), file);
}

/** Serialize tensors, in the given order, as one combined params stream. */
export function writeParams(tensors: readonly ParamTensor[]): Uint8Array {
  const T = tensorDesc();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const t of tensors) {
    const expected = numel(t.dims) * dtypeSize(t.dtype);
    if (t.data.byteLength !== expected) {
      throw new Error(`writeParams: ${t.name} has ${t.data.byteLength} data bytes, expected ${expected} for ${t.dtype} [${t.dims.join(', ')}]`);
    }
    const desc = T.encode(T.fromObject({ data_type: dtypeCode(t.dtype), dims: t.dims.map(String) })).finish();
    const lod = t.lod ?? [];
    const headLen = 4 + 8 + lod.reduce((n, l) => n + 8 + l.length * 8, 0) + 4 + 4;
    const head = new Uint8Array(headLen);
    const dv = new DataView(head.buffer);
    let p = 0;
    dv.setUint32(p, 0, true);
    p += 4;
    dv.setBigUint64(p, BigInt(lod.length), true);
    p += 8;
    for (const level of lod) {
      dv.setBigUint64(p, BigInt(level.length * 8), true);
      p += 8;
      for (const off of level) {
        dv.setBigUint64(p, BigInt(off), true);
        p += 8;
      }
    }
    dv.setUint32(p, 0, true);
    p += 4;
    dv.setInt32(p, desc.length, true);
    parts.push(head, desc, t.data);
    total += head.length + desc.length + t.data.byteLength;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const part of parts) {
    out.set(part, off);
    off += part.byteLength;
  }
  return out;
}

/** A copy of a float32 param as an aligned Float32Array (param data views may be unaligned). */
export function paramFloat32(t: ParamTensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`parameter ${t.name} is ${t.dtype}, expected float32`);
  const out = new Float32Array(t.data.byteLength / 4);
  new Uint8Array(out.buffer).set(t.data);
  return out;
}
