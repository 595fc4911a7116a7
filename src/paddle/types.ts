// Our typed view of Paddle's ProgramDesc (framework.proto), independent of protobufjs objects.
// program.ts parses/serializes these; onnx/ translates them; models/ builds them.

/** Paddle's VarType.Type codes (framework.proto). */
export const VarTypeCode = {
  BOOL: 0,
  INT16: 1,
  INT32: 2,
  INT64: 3,
  FP16: 4,
  FP32: 5,
  FP64: 6,
  LOD_TENSOR: 7,
  SELECTED_ROWS: 8,
  FEED_MINIBATCH: 9,
  FETCH_LIST: 10,
  STEP_SCOPES: 11,
  LOD_RANK_TABLE: 12,
  LOD_TENSOR_ARRAY: 13,
  PLACE_LIST: 14,
  READER: 15,
  RAW: 17,
  TUPLE: 18,
  SIZE_T: 19,
  UINT8: 20,
  INT8: 21,
  BF16: 22,
  COMPLEX64: 23,
  COMPLEX128: 24,
  STRING: 25,
  STRINGS: 26,
  VOCAB: 27,
  SPARSE_COO: 30,
  SPARSE_CSR: 31,
} as const;

export type DType = 'bool' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float16' | 'bfloat16' | 'float32' | 'float64';

/** An op attribute value; the kind tells which framework.proto AttrType it came from so it can be written back. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'booleans'; value: boolean[] }
  | { kind: 'block'; value: number }
  | { kind: 'long'; value: bigint }
  | { kind: 'blocks'; value: number[] }
  | { kind: 'longs'; value: bigint[] }
  | { kind: 'float64s'; value: number[] }
  | { kind: 'var'; value: string }
  | { kind: 'vars'; value: string[] }
  | { kind: 'float64'; value: number }
  | { kind: 'scalar'; value: PaddleScalar }
  | { kind: 'scalars'; value: PaddleScalar[] };

/** framework.proto Scalar: boolean → BOOLEAN, bigint → LONG, number → FLOAT64, {re, im} → COMPLEX128. */
export type PaddleScalar = boolean | bigint | number | { re: number; im: number };

/** framework.proto VarDesc.Attr (only INT, STRING and INTS exist there). */
export type VarAttrValue = { kind: 'int'; value: number } | { kind: 'string'; value: string } | { kind: 'ints'; value: number[] };

export interface VarDesc {
  name: string;
  /** VarType.Type of the variable itself (LOD_TENSOR, FEED_MINIBATCH, FETCH_LIST, ...). */
  type: number;
  /** For tensors: element type and shape (-1 = unknown dim). */
  dtype?: DType;
  shape?: number[];
  lodLevel?: number;
  persistable: boolean;
  needCheckFeed?: boolean;
  stopGradient?: boolean;
  isParameter?: boolean;
  /** Raw VarType.Type of the elements when it has no DType (e.g. COMPLEX64), so it survives a round trip. */
  dtypeCode?: number;
  attrs?: Record<string, VarAttrValue>;
  /** VarType.Tuple element types (TUPLE vars only). */
  tupleTypes?: number[];
}

export interface OpDesc {
  type: string;
  /** parameter name → argument (variable) names, in file order. */
  inputs: Record<string, string[]>;
  outputs: Record<string, string[]>;
  attrs: Record<string, AttrValue>;
  isTarget?: boolean;
  /** Where the op came from when it was not read from a ProgramDesc (a PIR program's file and JSON place), for messages. */
  origin?: string;
}

export interface BlockDesc {
  idx: number;
  parentIdx: number;
  vars: VarDesc[];
  ops: OpDesc[];
  forwardBlockIdx?: number;
}

export interface ProgramDesc {
  blocks: BlockDesc[];
  /** framework.proto Version.version (0 when absent). */
  version: bigint;
  /** op_version_map entries, kept to write the program back faithfully. */
  opVersions?: Record<string, number>;
}

/** A dense tensor with its Paddle dtype, as stored in .pdiparams. */
export interface ParamTensor {
  name: string;
  dtype: DType;
  dims: number[];
  /** Raw little-endian bytes of the data. */
  data: Uint8Array;
  lod?: number[][];
}

const DTYPE_BY_CODE: ReadonlyMap<number, DType> = new Map<number, DType>([
  [VarTypeCode.BOOL, 'bool'],
  [VarTypeCode.INT16, 'int16'],
  [VarTypeCode.INT32, 'int32'],
  [VarTypeCode.INT64, 'int64'],
  [VarTypeCode.FP16, 'float16'],
  [VarTypeCode.FP32, 'float32'],
  [VarTypeCode.FP64, 'float64'],
  [VarTypeCode.UINT8, 'uint8'],
  [VarTypeCode.INT8, 'int8'],
  [VarTypeCode.BF16, 'bfloat16'],
]);
const CODE_BY_DTYPE: ReadonlyMap<DType, number> = new Map([...DTYPE_BY_CODE].map(([c, d]) => [d, c]));

/** VarType.Type code → DType, or undefined for element types we do not model (complex, size_t, ...). */
export function dtypeFromCode(code: number): DType | undefined {
  return DTYPE_BY_CODE.get(code);
}

/** DType → VarType.Type code. */
export function dtypeCode(dtype: DType): number {
  return CODE_BY_DTYPE.get(dtype)!;
}

/** Bytes per element of a DType (Paddle stores bool as one byte). */
export function dtypeSize(dtype: DType): number {
  switch (dtype) {
    case 'bool':
    case 'int8':
    case 'uint8':
      return 1;
    case 'int16':
    case 'float16':
    case 'bfloat16':
      return 2;
    case 'int32':
    case 'float32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
  }
}
