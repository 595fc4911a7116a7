// The client library: VideoClient, its types and errors, and the Python-style formatting the CLI prints with.
export { VideoClient, DEFAULT_PORTS, DEFAULT_TIMEOUT_MS } from './client.ts';
export type { VideoClientOptions, PredictOptions, PredictResult, TransportKind, InferAnswer } from './client.ts';
export type { Prediction, TopkEntry } from './answer.ts';
export { readPrediction } from './answer.ts';
export type { PredictMode, VideoInput, DecodedFrames } from './payload.ts';
export { VideoClientError, InputError, TransportError, PredictionError, ResponseFormatError } from './errors.ts';
export { parsePyLiteral, PyLiteralError, type PyLiteral } from './pyliteral.ts';
export { parsePyJson, pyRepr, type PyValue } from './pyrepr.ts';
export { responseToText } from './prototext.ts';
export { cEscape } from '../protocol/pyformat.ts';
export { listVideoFiles } from './files.ts';
