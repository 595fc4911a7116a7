// NumPy .npy files (format 1.0; 2.0/3.0 headers are read too): little-endian float32 / uint8, C order.
import { numel, type Tensor } from '../tensor.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export type NpyArray = Tensor<Float32Array> | Tensor<Uint8Array>;

const DESCR = { float32: '<f4', uint8: '|u1' } as const;

/** Serialises a float32 or uint8 tensor as .npy v1.0 (header padded to a multiple of 64 bytes, as NumPy does). */
export function writeNpy(t: NpyArray): Uint8Array {
  const isFloat = t.data instanceof Float32Array;
  const n = numel(t.dims);
  if (n !== t.data.length) throw new Error(`npy: dims [${t.dims}] hold ${n} values, data has ${t.data.length}`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${isFloat ? DESCR.float32 : DESCR.uint8}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('npy: header too long for format 1.0');
  const body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('npy: big-endian hosts are not supported');
  out.set(body, 10 + header.length);
  return out;
}

/** A .npy header, read but not judged: each reader decides which versions, dtypes and orders it takes. */
export interface NpyHeader {
  major: number;
  /** The header's dict text. */
  text: string;
  descr?: string;
  fortran?: boolean;
  dims?: number[];
  /** Where the array data starts. */
  dataOffset: number;
}

/** The header of a .npy file (version 1.0: 2-byte header length; later versions: 4-byte); undefined without the magic. */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader | undefined {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const major = bytes[6]!;
  const offset = major === 1 ? 10 : 12;
  const headerLen = major === 1 ? bytes[8]! | (bytes[9]! << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const text = new TextDecoder('latin1').decode(bytes.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  const dims = shapeText
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map(Number);
  return { major, text, descr, fortran: fortran === undefined ? undefined : fortran === 'True', dims, dataOffset: offset + headerLen };
}

/** Parses a .npy holding float32 ('<f4') or uint8 ('|u1' / '<u1'), C order. `name` is used in error messages. */
export function readNpy(bytes: Uint8Array, name = 'npy'): NpyArray {
  const h = parseNpyHeader(bytes);
  if (!h) throw new Error(`${name}: not a NumPy .npy file`);
  if (h.major < 1 || h.major > 3) throw new Error(`${name}: unsupported .npy version ${h.major}`);
  const { descr, dims } = h;
  if (!descr || h.fortran === undefined || !dims) throw new Error(`${name}: malformed .npy header: ${h.text.trim()}`);
  if (h.fortran) throw new Error(`${name}: Fortran-order arrays are not supported`);
  const n = numel(dims);
  const start = h.dataOffset;
  if (descr === '<f4') {
    if (bytes.length - start < n * 4) throw new Error(`${name}: truncated data (${bytes.length - start} bytes for ${n} float32)`);
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + n * 4));
    return { data, dims };
  }
  if (descr === '|u1' || descr === '<u1') {
    if (bytes.length - start < n) throw new Error(`${name}: truncated data (${bytes.length - start} bytes for ${n} uint8)`);
    return { data: bytes.slice(start, start + n), dims };
  }
  throw new Error(`${name}: unsupported dtype '${descr}' (float32 '<f4' and uint8 '|u1' only)`);
}
