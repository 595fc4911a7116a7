// ONNX model encoding through our own onnx.proto subset. protobufjs objects stay inside this module.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { DType } from '../types.ts';

const PROTO_PATH = fileURLToPath(new URL('./onnx.proto', import.meta.url));

let root: protobuf.Root | undefined;
function messageType(name: string): protobuf.Type {
  root ??= new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
  return root.lookupType(`onnx.${name}`);
}

/** TensorProto.DataType codes. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

const ONNX_BY_DTYPE: Record<DType, number> = {
  bool: OnnxDataType.BOOL,
  int8: OnnxDataType.INT8,
  uint8: OnnxDataType.UINT8,
  int16: OnnxDataType.INT16,
  int32: OnnxDataType.INT32,
  int64: OnnxDataType.INT64,
  float16: OnnxDataType.FLOAT16,
  bfloat16: OnnxDataType.BFLOAT16,
  float32: OnnxDataType.FLOAT,
  float64: OnnxDataType.DOUBLE,
};

export function onnxDataType(dtype: DType): number {
  return ONNX_BY_DTYPE[dtype];
}

/** The Paddle dtype of an ONNX TensorProto.DataType, undefined for types Paddle has no name for. */
export function dtypeFromOnnx(code: number): DType | undefined {
  return (Object.keys(ONNX_BY_DTYPE) as DType[]).find((d) => ONNX_BY_DTYPE[d] === code);
}

/** A tensor constant: raw little-endian bytes, as TensorProto.raw_data stores them. */
export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  raw: Uint8Array;
}

export type OnnxAttr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxValueInfo {
  name: string;
  dataType: number;
  /** number = fixed dim, string = symbolic dim (dim_param), null = unknown. */
  dims: (number | string | null)[];
}

export interface OnnxModel {
  opset: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Shapes of intermediate values (GraphProto.value_info): lets the runtime prove shapes equal for fusions. */
  valueInfo?: OnnxValueInfo[];
  metadata?: Record<string, string>;
}

// AttributeProto.AttributeType codes.
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
const utf8 = new TextEncoder();

function tensorMessage(t: OnnxTensor): Record<string, unknown> {
  return { name: t.name, data_type: t.dataType, dims: t.dims, raw_data: t.raw };
}

function attrMessage(name: string, a: OnnxAttr): Record<string, unknown> {
  const msg: Record<string, unknown> = { name, type: ATTR_TYPE[a.type] };
  switch (a.type) {
    case 'int':
      msg.i = a.value;
      break;
    case 'float':
      msg.f = a.value;
      break;
    case 'string':
      msg.s = utf8.encode(a.value);
      break;
    case 'ints':
      msg.ints = a.value;
      break;
    case 'floats':
      msg.floats = a.value;
      break;
    case 'tensor':
      msg.t = tensorMessage(a.value);
      break;
  }
  return msg;
}

function valueInfoMessage(v: OnnxValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.dataType,
        shape: { dim: v.dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** Serialize a model to ONNX's binary protobuf form. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const model = {
    ir_version: m.irVersion,
    opset_import: [{ domain: '', version: m.opset }],
    producer_name: m.producerName,
    producer_version: m.producerVersion,
    graph: {
      name: m.graphName,
      node: m.nodes.map((n) => ({
        name: n.name,
        op_type: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attrMessage(k, a)),
      })),
      initializer: m.initializers.map(tensorMessage),
      input: m.inputs.map(valueInfoMessage),
      output: m.outputs.map(valueInfoMessage),
      value_info: (m.valueInfo ?? []).map(valueInfoMessage),
    },
    metadata_props: Object.entries(m.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  // Our objects are built to the schema above; encode directly (fromObject would copy 100 MB of weights).
  return messageType('ModelProto').encode(model as unknown as protobuf.Message).finish();
}

/** A decoded model as plain objects (snake_case field names), for inspection and tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an untyped view of any ONNX message, for inspection
export function decodeModel(bytes: Uint8Array): Record<string, any> {
  const t = messageType('ModelProto');
  return t.toObject(t.decode(bytes), { longs: Number, bytes: Array, defaults: false, arrays: true });
}
