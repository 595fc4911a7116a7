// The PIR program file (Paddle 3's `*.json` inference model) as Paddle writes it: keys, dialect ids, type and
// attribute names, dtype spellings and the file versions Paddle's compatibility patches cover.
// Source: paddle/fluid/pir/serialize_deserialize/ (include/schema.h, src/schema.cc, src/ir_serialize.cc,
// include/serialize_utils.h, patch/*.yaml) and paddle/pir/include/core/builtin_type.h.
import type { DType } from '../types.ts';

/** schema.h keys. */
export const KEY = {
  id: '#',
  valueId: '%',
  regions: 'regions',
  blocks: 'blocks',
  args: 'args',
  kwargs: 'kwargs',
  ops: 'ops',
  operands: 'I',
  results: 'O',
  attrs: 'A',
  resultAttrs: 'OA',
  distAttrs: 'DA',
  quantAttrs: 'QA',
  typeType: 'TT',
  name: 'N',
  attrType: 'AT',
  data: 'D',
  voidData: 'VD',
} as const;

/** The compact parameter op (`{"#":"p", ...}`) and the null type/attribute. */
export const PARAMETER_OP = 'p';
export const NULL_TYPE = 'NULL';

/** schema.cc DialectIdMap: the compressed dialect ids. */
export const DIALECT_BY_ID: Readonly<Record<string, string>> = {
  '0': 'builtin',
  '1': 'pd_op',
  '2': 'cf',
  '3': 'custom_op',
  '4': 'dist_op',
};
export const ID_BY_DIALECT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(DIALECT_BY_ID).map(([k, v]) => [v, k]));

/**
 * PIR file versions Paddle's compatibility patches cover: patch/1.yaml … 4.yaml are the released versions (Paddle
 * 3.0's `save_inference_model` writes 1), 0 is what a develop build of Paddle writes (patch/0.yaml). A newer file may
 * hold ops or attributes whose meaning changed, so it is refused rather than guessed at.
 */
export const PIR_VERSIONS: readonly number[] = [0, 1, 2, 3, 4];
/** The version our writer puts in base_code: what Paddle 3's python/paddle/static/pir_io.py passes to WriteModule. */
export const WRITE_VERSION = 1;

/** builtin_type.h element types → our dtypes (t_index, complex and fp8 have none). */
export const DTYPE_BY_TYPE: Readonly<Record<string, DType>> = {
  t_bool: 'bool',
  t_i8: 'int8',
  t_ui8: 'uint8',
  t_i16: 'int16',
  t_i32: 'int32',
  t_i64: 'int64',
  t_f16: 'float16',
  t_bf16: 'bfloat16',
  t_f32: 'float32',
  t_f64: 'float64',
};
export const TYPE_BY_DTYPE: Readonly<Record<DType, string>> = Object.fromEntries(
  Object.entries(DTYPE_BY_TYPE).map(([k, v]) => [v, k]),
) as Record<DType, string>;

/** phi::DataTypeToString spellings used by `1.a_dtype` and `1.a_scalar`. */
export const DTYPE_BY_NAME: Readonly<Record<string, DType>> = {
  bool: 'bool',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float16: 'float16',
  bfloat16: 'bfloat16',
  float32: 'float32',
  float64: 'float64',
};

/** phi::AllocationType codes in `1.a_place` ([type, device id, device type]). */
export const PLACE_UNDEFINED = 0;
export const PLACE_CPU = 1;
