// Typed errors of the client: every failure says where it happened (input, transport, server) and what to do.
import { ErrorCode } from '../errors.ts';
import type { PipelineResponse } from '../protocol/types.ts';

/** Base class: `code` is a stable machine-readable reason. */
export class VideoClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VideoClientError';
  }
}

/** The input cannot be sent: missing path, a directory, an unreadable or non-video file. */
export class InputError extends VideoClientError {
  constructor(
    code: 'ENOENT' | 'NOT_A_FILE' | 'UNREADABLE' | 'NOT_A_VIDEO' | 'TOO_LARGE' | 'BAD_INPUT',
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'InputError';
  }
}

/**
 * The server could not be reached or the call failed below the pipeline protocol: connection refused, timeout,
 * an HTTP status without a pipeline answer, a gRPC status.
 */
export class TransportError extends VideoClientError {
  constructor(
    code: string,
    message: string,
    readonly endpoint: string,
    options?: { cause?: unknown; httpStatus?: number; grpcCode?: number },
  ) {
    super(code, message, options);
    this.name = 'TransportError';
    this.httpStatus = options?.httpStatus;
    this.grpcCode = options?.grpcCode;
  }
  readonly httpStatus?: number;
  readonly grpcCode?: number;
}

/** The server answered with err_no ≠ 0 (Paddle Serving codes: 5000 input, 6000 timeout, 9000 inference, …). */
export class PredictionError extends VideoClientError {
  readonly errNo: number;
  readonly errMsg: string;
  constructor(readonly response: PipelineResponse) {
    super(`ERR_${response.err_no}`, `server error ${response.err_no}${codeName(response.err_no)}: ${response.err_msg || '(no message)'}`);
    this.name = 'PredictionError';
    this.errNo = response.err_no;
    this.errMsg = response.err_msg;
  }
}

/** The server answered err_no 0 but its key/value lists are not the label/prob answer we can read. */
export class ResponseFormatError extends VideoClientError {
  constructor(
    message: string,
    readonly response?: PipelineResponse,
  ) {
    super('BAD_RESPONSE', message);
    this.name = 'ResponseFormatError';
  }
}

// Names of Paddle Serving's CustomExceptionCode values, shown next to the number (9000: MODEL_INFERENCE_ERROR, the
// later of its two names in ErrorCode).
const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

function codeName(n: number): string {
  const name = CODE_NAMES[n];
  return name ? ` (${name})` : '';
}
