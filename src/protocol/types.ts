// Request/response shapes of the Paddle Serving pipeline protocol, shared by vidserve's server and its clients.
// The same objects travel as JSON over HTTP (`POST /{op}/prediction`) and as protobuf over gRPC
// (`baidu.paddle_serving.pipeline_serving.PipelineService/inference`, see pipeline_service.proto).

/** Tensor.elem_type codes of pipeline_service.proto. */
export const ElemType = {
  INT64: 0,
  FP32: 1,
  INT32: 2,
  FP64: 3,
  INT16: 4,
  FP16: 5,
  BF16: 6,
  UINT8: 7,
  INT8: 8,
  BOOL: 9,
  COMPLEX64: 10,
  COMPLEX128: 11,
  STRING: 12,
  BYTES: 13,
} as const;
export type ElemTypeCode = (typeof ElemType)[keyof typeof ElemType];

/** Tensor message. int64 values may arrive as decimal strings (JSON and proto-loader `longs: String`). */
export interface PipelineTensor {
  int64_data?: Array<number | string>;
  float_data?: number[];
  int_data?: number[];
  float64_data?: number[];
  uint32_data?: number[];
  bool_data?: boolean[];
  complex64_data?: number[];
  complex128_data?: number[];
  str_data?: string[];
  /** Raw bytes over gRPC; base64 text over JSON (protobuf's JSON mapping of `bytes`). */
  byte_data?: Uint8Array | string;
  elem_type?: number;
  shape?: number[];
  lod?: number[];
  name?: string;
}

/** Request message. Only key/value are required; the rest are optional as in proto3. */
export interface PipelineRequest {
  key: string[];
  value: string[];
  tensors?: PipelineTensor[];
  name?: string;
  method?: string;
  /** int64: a number or its decimal string. */
  logid?: number | string;
  clientip?: string;
}

/** Response message; every field is always present on the wire from vidserve. */
export interface PipelineResponse {
  err_no: number;
  err_msg: string;
  key: string[];
  value: string[];
  tensors: PipelineTensor[];
}

/** Fully qualified gRPC names. */
export const PIPELINE_PACKAGE = 'baidu.paddle_serving.pipeline_serving';
export const PIPELINE_SERVICE = `${PIPELINE_PACKAGE}.PipelineService`;
export const PIPELINE_METHOD_PATH = `/${PIPELINE_SERVICE}/inference`;

/** The HTTP route of an op: Paddle Serving serves `POST /{op name}/prediction`. */
export function predictionPath(opName: string): string {
  return `/${opName}/prediction`;
}

/** Key the Python PipelineClient adds when asked to profile; servers ignore it as input. */
export const PROFILE_KEY = 'pipeline.profile';

/** A successful answer: parallel key/value lists. */
export function okResponse(key: string[], value: string[]): PipelineResponse {
  return { err_no: 0, err_msg: '', key, value, tensors: [] };
}

/** An error answer with a Paddle Serving code. */
export function errorResponse(errNo: number, errMsg: string): PipelineResponse {
  return { err_no: errNo, err_msg: errMsg, key: [], value: [], tensors: [] };
}
