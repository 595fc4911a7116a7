// Errors are values carrying a Paddle Serving CustomExceptionCode, so every layer can render them the same way.
// Codes from Paddle Serving's python/pipeline/error_catch.py (CustomExceptionCode; ProductErrCode adds 51..99).
export const ErrorCode = {
  OK: 0,
  PRODUCT_ERROR: 50,
  NOT_IMPLEMENTED: 3000,
  CLOSED_ERROR: 3001,
  NO_SERVICE: 3002,
  INIT_ERROR: 3003,
  CONF_ERROR: 4000,
  INPUT_PARAMS_ERROR: 5000,
  TIMEOUT: 6000,
  TYPE_ERROR: 7000,
  RPC_PACKAGE_ERROR: 8000,
  /** Paddle Serving names the 9000 (inference error) code CLIENT_ERROR: the predictor client failed. */
  CLIENT_ERROR: 9000,
  MODEL_INFERENCE_ERROR: 9000,
  /** Spelled UNKNOW in Paddle Serving. */
  UNKNOWN: 10000,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ServingError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ServingError';
  }
}

/** `e` as a ServingError: itself when it is one, else its message under `fallbackCode`. */
export function toServingError(e: unknown, fallbackCode: number): ServingError {
  if (e instanceof ServingError) return e;
  return new ServingError(fallbackCode, (e as Error)?.message ?? String(e));
}

/** An input the user can fix (Paddle Serving's INPUT_PARAMS_ERROR). */
export function inputError(message: string): ServingError {
  return new ServingError(ErrorCode.INPUT_PARAMS_ERROR, message);
}

/** A model file that cannot be read: always names the file and, where known, the variable. */
export class ModelFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelFormatError';
  }
}
