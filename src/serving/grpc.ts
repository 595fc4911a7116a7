// gRPC transport: baidu.paddle_serving.pipeline_serving.PipelineService/inference. The request message is kept
// as bytes (identity deserializer) and decoded in a worker, so a 40–100 MB message is never turned into JS
// strings on the event loop. Errors are answered as Response messages with err_no, as Paddle Serving does.
import * as grpc from '@grpc/grpc-js';
import { ErrorCode } from '../errors.ts';
import { pipelineServiceDefinition } from '../protocol/proto.ts';
import { errorResponse, type PipelineResponse } from '../protocol/types.ts';
import { handlePrediction, type HandlerContext, type ServingContext } from './handler.ts';
import { addV2Service } from './v2-grpc.ts';

export interface GrpcOptions {
  host: string;
  port: number;
  maxMessageBytes: number;
}

export async function startGrpc(ctx: ServingContext, opts: GrpcOptions): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_send_message_length': opts.maxMessageBytes,
  });
  const base = pipelineServiceDefinition();
  const inference = base.inference!;
  // Only the request side is overridden; responses use proto-loader's own serializer.
  const service: grpc.ServiceDefinition = { inference: { ...inference, requestDeserialize: (b: Buffer) => b } };
  server.addService(service, { inference: inferenceHandler(ctx) });
  addV2Service(server, ctx);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        const inUse = /EADDRINUSE|address already in use|No address added/i.test(err.message);
        reject(new Error(inUse ? `rpc_port ${opts.port} is already in use (another server running?); choose another with --rpc_port` : `cannot listen on rpc_port ${opts.port}: ${err.message}`));
      } else resolve(bound);
    });
  });
  return { server, port };
}

/** PipelineService/inference: the request message's bytes to the op, its answer (or error) as a Response. */
export function inferenceHandler(ctx: HandlerContext): grpc.handleUnaryCall<Buffer, PipelineResponse> {
  const opName = ctx.op.opts.name;
  return (call, callback) => {
    // A view of a larger buffer (a slice of Node's pool, or of a buffer something else still reads) is copied by the
    // op; grpc-js's own framed message is given to the worker as it is (see ownFramedMessage).
    handlePrediction(ctx, call.request, 'proto', 'grpc', { peer: call.getPeer(), ownsBuffer: ownFramedMessage(call.request) }).then(
      ({ response }) => callback(null, response),
      (e: Error) => callback(null, errorResponse(ErrorCode.UNKNOWN, `[${opName}] ${e.message}`)),
    );
  };
}

/**
 * Whether the request is grpc-js's framed message minus its 5-byte prefix (flag + length), in a buffer of its own:
 * grpc-js assembles each message with Buffer.concat (above Buffer.poolSize, a new ArrayBuffer of exactly that size)
 * and does not read it after deserializing. Such a buffer may be transferred to the prepare worker: copying a 40 MB
 * message into fresh memory cost ~150 ms of page faults here (test/serving-grpc-ownership.test.ts checks the layout
 * against the grpc-js in use).
 */
export function ownFramedMessage(request: Uint8Array): boolean {
  const frame = request.buffer;
  return frame instanceof ArrayBuffer && request.byteOffset === 5 && frame.byteLength === request.byteLength + 5 && frame.byteLength > Buffer.poolSize;
}

/** Stops accepting calls and waits for in-flight ones (bounded by `graceMs`, then forces). */
export function stopGrpc(server: grpc.Server, graceMs = 60_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
