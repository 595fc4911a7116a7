// The wire protocol shared by vidserve's server and clients.
export * from './types.ts';
export * from './pyformat.ts';
export * from './shape.ts';
export * from './proto.ts';
export { ErrorCode, ServingError, inputError } from '../errors.ts';
