// The Open Inference Protocol v2 (KServe, Triton, Seldon MLServer): REST JSON objects (inference_rest.md), the
// binary tensor data extension (Triton's extension_binary_data.md) and the gRPC service of grpc_predict_v2.proto.
// Shared by vidserve's server and any client; what vidserve's video model accepts and answers is described by
// the model metadata (src/serving/v2.ts), not here.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const V2_PROTO_PATH = fileURLToPath(new URL('./grpc_predict_v2.proto', import.meta.url));
export const V2_PACKAGE = 'inference';
export const V2_SERVICE = `${V2_PACKAGE}.GRPCInferenceService`;

/** Tensor data types (inference_rest.md "Tensor Data Types"). */
export const V2_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16'] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

/** Parameters: string keys to bool, number or string values. */
export type V2Parameters = Record<string, boolean | number | string>;

export interface V2TensorMetadata {
  name: string;
  datatype: V2Datatype;
  /** -1 marks a variable-size dimension. */
  shape: number[];
}

export interface V2ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface V2ModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: V2TensorMetadata[];
  outputs: V2TensorMetadata[];
}

/** Tensor contents: flat or nested row-major arrays; BYTES elements are strings in JSON. */
export type V2TensorData = Array<number | boolean | string | V2TensorData>;

export interface V2RequestInput {
  name: string;
  shape: number[];
  datatype: V2Datatype | string;
  parameters?: V2Parameters;
  /** Absent when the tensor travels as binary data (parameters.binary_data_size). */
  data?: V2TensorData;
}

export interface V2RequestOutput {
  name: string;
  parameters?: V2Parameters;
}

export interface V2InferRequest {
  id?: string;
  parameters?: V2Parameters;
  inputs: V2RequestInput[];
  outputs?: V2RequestOutput[];
}

export interface V2ResponseOutput {
  name: string;
  shape: number[];
  datatype: V2Datatype;
  parameters?: V2Parameters;
  data?: V2TensorData;
}

export interface V2InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: V2Parameters;
  outputs: V2ResponseOutput[];
}

/** Every failed REST request answers this body with an HTTP error status. */
export interface V2Error {
  error: string;
}

/** The binary tensor data extension: its name in server metadata, its header and parameters. */
export const BINARY_TENSOR_DATA = 'binary_tensor_data';
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';
export const BINARY_DATA_SIZE = 'binary_data_size';
export const BINARY_DATA = 'binary_data';
export const BINARY_DATA_OUTPUT = 'binary_data_output';

/** Bytes per element of the fixed-size datatypes (BYTES elements are length-prefixed instead). */
export const V2_ELEMENT_BYTES: Record<Exclude<V2Datatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  BF16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/** BYTES elements as binary data (REST extension and gRPC raw contents): a uint32 little-endian length, then the bytes. */
export function encodeBytesElements(items: readonly Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(items.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of items) {
    out.writeUInt32LE(b.length, at);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/** The inverse of encodeBytesElements; elements are views of `buf`. Throws when a length runs past the end. */
export function decodeBytesElements(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 4) throw new Error(`BYTES data ends inside an element's 4-byte length at byte ${at}`);
    const len = view.getUint32(at, true);
    if (len > buf.length - at - 4) throw new Error(`BYTES element at byte ${at} claims ${len} bytes but only ${buf.length - at - 4} follow`);
    out.push(buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** FP32 values as binary data (little-endian, as the extension and raw contents specify). */
export function encodeFp32(values: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

/** proto-loader options for grpc_predict_v2.proto: field names as in the .proto, int64 shapes as numbers. */
export const V2_PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

let cached: grpc.ServiceDefinition | undefined;

/** inference.GRPCInferenceService for grpc-js Server.addService / makeGenericClientConstructor. */
export function v2ServiceDefinition(): grpc.ServiceDefinition {
  if (!cached) {
    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(V2_PROTO_PATH, V2_PROTO_LOADER_OPTIONS)) as unknown as {
      inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    };
    cached = loaded.inference.GRPCInferenceService.service;
  }
  return cached;
}
