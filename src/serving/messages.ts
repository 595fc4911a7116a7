// Messages between the main thread and serving workers (structured-clone data; big arrays are transferred).
import type { RequestMeta } from './request.ts';
import type { PipelineRef } from './preprocess.ts';
import type { SessionOptions } from '../runtime/session.ts';
import type { FeedSpec } from './v2-request.ts';
import type { LongWorkerInit, TimelinePartial, TimelineSummary } from './timeline-worker.ts';

/** The session options a worker is started with (structured-clone data: no callbacks). */
export type SessionInit = Omit<SessionOptions, 'onWarning'>;

/**
 * How a request's bytes are read: Paddle Serving's Request as JSON (HTTP) or protobuf (gRPC), or an Open Inference
 * Protocol v2 request: REST JSON (optionally followed by binary tensor data) or a gRPC ModelInferRequest.
 */
export type WireFormat = 'json' | 'proto' | 'v2-json' | 'v2-proto';

export type WorkerInit =
  /** `feed`: the model's input with its batch dimension (-1 = any), for v2 requests that send it preprocessed. */
  | { role: 'prepare'; pipeline: PipelineRef; feed?: FeedSpec; long?: LongWorkerInit }
  /**
   * `model` is the .onnx file path when the model is on disk (each worker reads it; no copy of the ~100 MB bytes
   * in the main thread or in workerData), or the bytes of a model translated in memory at startup.
   */
  | { role: 'infer'; model: string | Uint8Array; session: SessionInit; feedName: string; fetchName: string };

export type WorkerTask =
  /** `headerLength`: v2-json's Inference-Header-Content-Length (binary tensor data follows the JSON). */
  | { kind: 'prepare'; id: number; raw: Uint8Array; format: WireFormat; headerLength?: number }
  | { kind: 'infer'; id: number; input: Float32Array; dims: number[] }
  /** Cancels a running prepare task (kills its ffmpeg); the task then fails. */
  | { kind: 'abort'; id: number }
  /** The main thread has consumed one partial result of the task (timelines: a batch of windows was inferred). */
  | { kind: 'credit'; id: number }
  | { kind: 'close' };

export interface PrepareResult {
  meta: RequestMeta;
  input: Float32Array;
  dims: number[];
  timings: { parse: number; base64: number; decode: number; preprocess: number };
  /** PNGs of the model's input frames, when the request asked for `frames_seen` (and the ms spent making them). */
  framesSeen?: { images: FrameImage[]; ms: number };
  /** A timeline request: its windows went to the main thread as partial results; `input` is empty. */
  timeline?: TimelineSummary;
}

/** One image of the model's input (a sampled frame's crop), PNG-encoded. */
export interface FrameImage {
  png: Uint8Array;
  width: number;
  height: number;
}

export interface InferResult {
  scores: Float32Array;
  dims: number[];
  inferMs: number;
}

/** `returned`: the request buffer a prepare task was given, handed back for reuse (see body.ts). */
export type WorkerReply =
  /** A partial result of a running task (the task's final reply comes later). */
  | { id: number; partial: TimelinePartial; ok?: undefined; returned?: undefined }
  | { id: number; ok: true; result: PrepareResult | InferResult; returned?: ArrayBuffer }
  | { id: number; ok: false; code: number; message: string; returned?: ArrayBuffer };

export type WorkerReady =
  | { ready: true; provider?: 'cpu' | 'cuda'; inputNames?: string[]; outputNames?: string[]; warnings?: string[] }
  | { ready: false; error: string };
