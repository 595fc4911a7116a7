// The client library: VideoClient, its types and errors, and the Python-style formatting the CLI prints with.
export { VideoClient, DEFAULT_PORTS, DEFAULT_TIMEOUT_MS } from './client.ts';
export type { VideoClientOptions, PredictOptions, PredictResult, TransportKind, InferAnswer, TimelineOptions, TimelineResult } from './client.ts';
export type { Prediction, TopkEntry } from './answer.ts';
export { readPrediction, readTimeline } from './answer.ts';
export { formatTimeline, type Timeline, type TimelineWindow, type TimelineSegment } from '../protocol/timeline.ts';
export type { PredictMode, VideoInput, DecodedFrames, WindowRequest } from './payload.ts';
export { VideoClientError, InputError, TransportError, PredictionError, ResponseFormatError } from './errors.ts';
export { parsePyLiteral, PyLiteralError, type PyLiteral } from './pyliteral.ts';
export { parsePyJson, pyRepr, type PyValue } from './pyrepr.ts';
export { responseToText } from './prototext.ts';
export { cEscape } from '../protocol/pyformat.ts';
export { listVideoFiles } from './files.ts';
