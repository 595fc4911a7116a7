// gRPC transport: baidu.paddle_serving.pipeline_serving.PipelineService/inference, as Paddle Serving's PipelineClient.
import * as grpc from '@grpc/grpc-js';
import type { PipelineRequest, PipelineResponse } from '../protocol/types.ts';
import { pipelineServiceDefinition } from '../protocol/proto.ts';
import { encodeRequest } from '../protocol/request-encoder.ts';
import { BufferPool } from '../protocol/buffer-pool.ts';
import { TransportError } from './errors.ts';
import { hostPort } from './neterr.ts';

/** Like the seed's PipelineClient (512 MB): the frames payload of a 10 s clip is ~100 MB of base64. */
export const DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

/** The call takes the Request already encoded (see infer); the answer is decoded by proto-loader. */
type InferenceFn = (
  message: Buffer,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: PipelineResponse) => void,
) => void;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class GrpcTransport {
  private readonly client: grpc.Client & { inference: InferenceFn };
  /** Requests are encoded into reused memory: one buffer per call in flight, kept between calls (see BufferPool). */
  private readonly buffers = new BufferPool(1);
  readonly endpoint: string;

  constructor(
    host: string,
    port: number,
    private readonly timeoutMs: number,
    maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    const target = hostPort(host, port);
    this.endpoint = `grpc://${target}`;
    // The Request is encoded by infer() itself, into a reused buffer (src/protocol/request-encoder.ts): grpc-js gets
    // its bytes as they are. proto-loader's serializer would allocate a new buffer per call, which for a raw-frames
    // request is a fresh 40–100 MB every time.
    const def = pipelineServiceDefinition();
    const Ctor = grpc.makeGenericClientConstructor({ inference: { ...def.inference!, requestSerialize: (b: Buffer) => b } }, 'PipelineService');
    this.client = new Ctor(target, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': maxMessageBytes,
      'grpc.max_receive_message_length': maxMessageBytes,
      // grpc-js honours grpc_proxy/http_proxy from the environment; a proxy in front of localhost only breaks
      // things (the seed's FAQ Q1), so loopback targets always connect directly.
      ...(isLoopback(host) ? { 'grpc.enable_http_proxy': 0 } : {}),
    }) as unknown as grpc.Client & { inference: InferenceFn };
  }

  infer(req: PipelineRequest): Promise<PipelineResponse> {
    return new Promise((resolve, reject) => {
      const message = encodeRequest(req, { alloc: (n) => this.buffers.take(n) });
      const deadline = new Date(Date.now() + this.timeoutMs);
      this.client.inference(message, { deadline }, (err, res) => {
        // grpc-js has framed (copied) the message before it sends anything, so by the call's end it is ours again.
        this.buffers.give(message.buffer as ArrayBuffer);
        if (err) reject(this.statusError(err));
        else if (!res) reject(new TransportError('EMPTY', `empty answer from ${this.endpoint}`, this.endpoint));
        else resolve(res);
      });
    });
  }

  private statusError(err: grpc.ServiceError): TransportError {
    const opts = { cause: err, grpcCode: err.code };
    const details = err.details || err.message;
    switch (err.code) {
      case grpc.status.UNAVAILABLE: {
        const refused = /ECONNREFUSED/.test(details);
        const reason = refused ? 'connection refused — is vidserve serve (gRPC port) running on that port?' : details;
        return new TransportError(refused ? 'ECONNREFUSED' : 'UNAVAILABLE', `cannot reach ${this.endpoint}: ${reason}`, this.endpoint, opts);
      }
      case grpc.status.DEADLINE_EXCEEDED:
        return new TransportError('TIMEOUT', `no answer from ${this.endpoint} within ${this.timeoutMs} ms`, this.endpoint, opts);
      case grpc.status.RESOURCE_EXHAUSTED:
        return new TransportError('TOO_LARGE', `${this.endpoint} refused the message: ${details} (raise the server's message size limit, or use --mode video)`, this.endpoint, opts);
      case grpc.status.UNIMPLEMENTED:
        return new TransportError('UNIMPLEMENTED', `${this.endpoint} is not a Paddle Serving pipeline service: ${details}`, this.endpoint, opts);
      default:
        return new TransportError(`GRPC_${grpc.status[err.code] ?? err.code}`, `gRPC call to ${this.endpoint} failed (${grpc.status[err.code] ?? err.code}): ${details}`, this.endpoint, opts);
    }
  }

  close(): void {
    this.client.close();
  }
}
