// VideoClient: one object per server endpoint, either transport, either input mode.
//
//   const client = new VideoClient({ transport: 'http', host: '127.0.0.1', port: 18080 });
//   const { label, prob } = await client.predict('example.avi', { mode: 'video' });
//   client.close();
import type { PipelineRequest, PipelineResponse } from '../protocol/types.ts';
import { readPrediction, readTimeline, type Prediction } from './answer.ts';
import { buildRequest, type PredictMode, type VideoInput, type WindowRequest } from './payload.ts';
import type { Timeline } from '../protocol/timeline.ts';
import { HttpTransport } from './http.ts';
import { GrpcTransport, DEFAULT_MAX_MESSAGE_BYTES } from './grpc.ts';
import { VideoClientError } from './errors.ts';

export type TransportKind = 'http' | 'grpc';

export interface VideoClientOptions {
  transport: TransportKind;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 18080 for http, 9993 for grpc (the seed's configs/PP-TSM.yaml). */
  port?: number;
  /** Per request, default 100 000 ms (the seed's HTTP client uses 100 s). */
  timeoutMs?: number;
  /** The pipeline op's name in the HTTP route `/{opName}/prediction`; default 'video'. */
  opName?: string;
  /** gRPC message size limit both ways; default 512 MB. */
  maxMessageBytes?: number;
}

export interface PredictOptions {
  /** 'frames' (default; the seed's protocol) or 'video' (send the compressed file). */
  mode?: PredictMode;
  /** Ask the server for the k best classes. */
  topk?: number;
  /** Log id the server writes next to this request in pipeline.log. */
  logid?: number;
}

export interface PredictResult extends Prediction {
  /** The pipeline Response as received. */
  raw: PipelineResponse;
  /** Wall time of the call including encoding (and decoding in frames mode), in ms. */
  latencyMs: number;
}

export interface TimelineOptions extends WindowRequest {
  /** 'video' (default: the compressed file), 'path' or 'url' (the server opens it; its config must allow it). */
  mode?: Exclude<PredictMode, 'frames'>;
  topk?: number;
  logid?: number;
  /** The request's own deadline on the server (ms); the client's own timeout still applies. */
  timeoutMs?: number;
}

export interface TimelineResult extends Timeline {
  raw: PipelineResponse;
  latencyMs: number;
}

/** What `infer` returns: the Response, plus the HTTP body text when the transport is HTTP. */
export interface InferAnswer {
  response: PipelineResponse;
  body?: string;
}

export const DEFAULT_PORTS: Record<TransportKind, number> = { http: 18080, grpc: 9993 };
export const DEFAULT_TIMEOUT_MS = 100_000;

export class VideoClient {
  readonly transport: TransportKind;
  readonly endpoint: string;
  private readonly impl: HttpTransport | GrpcTransport;
  private closed = false;

  constructor(options: VideoClientOptions) {
    const { transport } = options;
    if (transport !== 'http' && transport !== 'grpc') {
      throw new VideoClientError('BAD_OPTION', `transport must be 'http' or 'grpc', got ${JSON.stringify(transport)}`);
    }
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_PORTS[transport];
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new VideoClientError('BAD_OPTION', `port must be an integer in 1..65535, got ${port}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new VideoClientError('BAD_OPTION', `timeoutMs must be positive, got ${timeoutMs}`);
    this.transport = transport;
    this.impl =
      transport === 'http'
        ? new HttpTransport(host, port, timeoutMs, options.opName ?? 'video')
        : new GrpcTransport(host, port, timeoutMs, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.endpoint = this.impl.endpoint;
  }

  /** Decodes/encodes the input, sends it, and reads label/prob. Throws InputError, TransportError, PredictionError. */
  async predict(input: VideoInput, options: PredictOptions = {}): Promise<PredictResult> {
    const t0 = performance.now();
    const req = await this.buildRequest(input, options);
    const { response } = await this.infer(req);
    const pred = readPrediction(response, options.topk !== undefined);
    return { ...pred, raw: response, latencyMs: performance.now() - t0 };
  }

  /**
   * What happens when: the model run on windows of `window` seconds every `stride` seconds (default: the window),
   * with top-k per window and merged segments. Throws as predict does.
   */
  async timeline(input: string | Uint8Array, options: TimelineOptions): Promise<TimelineResult> {
    const t0 = performance.now();
    const { mode = 'video', topk, logid, timeoutMs, ...windows } = options;
    const req = await buildRequest(input, { mode, topk, logid, timeoutMs, windows });
    const { response } = await this.infer(req);
    return { ...readTimeline(response), raw: response, latencyMs: performance.now() - t0 };
  }

  /** The request `predict` would send. */
  buildRequest(input: VideoInput, options: PredictOptions = {}): Promise<PipelineRequest> {
    return buildRequest(input, { mode: options.mode ?? 'frames', topk: options.topk, logid: options.logid });
  }

  /** Sends a raw pipeline request; any err_no is returned, not thrown (transport failures are thrown). */
  async infer(req: PipelineRequest): Promise<InferAnswer> {
    if (this.closed) throw new VideoClientError('CLOSED', 'this VideoClient is closed');
    if (this.impl instanceof HttpTransport) return this.impl.infer(req);
    return { response: await this.impl.infer(req) };
  }

  /** Releases sockets/channels; the client cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.impl.close();
  }
}
