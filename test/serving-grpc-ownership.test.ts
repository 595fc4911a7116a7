// The gRPC handler transfers a request message's memory to a worker only when the message fills its whole
// ArrayBuffer, or is grpc-js's own framed message; a view into a larger buffer (a decoder that returns subarrays) is
// copied, leaving the rest intact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_PATH, pipelineServiceDefinition } from '../src/protocol/proto.ts';
import type { PipelineResponse } from '../src/protocol/types.ts';
import { inferenceHandler, ownFramedMessage } from '../src/serving/grpc.ts';
import { ServingMetrics } from '../src/serving/metrics.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { servingDir, startTestServer, syntheticFrames } from './serving-fixtures.ts';

let server: RunningServer;
let handler: grpc.handleUnaryCall<Buffer, PipelineResponse>;

const Request = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true }).lookupType('baidu.paddle_serving.pipeline_serving.Request');
// 5 x 20 x 24 RGB frames: a 9.6 kB base64 value, more than Buffer.poolSize (8 kB).
const message = Request.encode(
  Request.fromObject({ key: ['frames', 'frames_shape'], value: [Buffer.from(syntheticFrames(5, 20, 24, 3)).toString('base64'), '(5, 20, 24, 3)'] }),
).finish();

before(async () => {
  server = await startTestServer(await servingDir('tiny'));
  handler = inferenceHandler({ op: server.op, logger: server.logger, metrics: new ServingMetrics(() => 0, () => 0) });
});

after(async () => {
  await server?.close();
});

function call(request: Buffer): Promise<PipelineResponse> {
  return new Promise((resolve, reject) => {
    const c = { request, getPeer: () => 'test' } as unknown as grpc.ServerUnaryCall<Buffer, PipelineResponse>;
    handler(c, (err, r) => (err ? reject(err) : resolve(r!)));
  });
}

test('a message that is a view into a larger buffer is copied: the buffer stays whole and unchanged', async () => {
  assert.ok(message.length > Buffer.poolSize);
  const big = Buffer.alloc(message.length + 200, 0x5a);
  message.forEach((b, i) => (big[100 + i] = b));
  const view = big.subarray(100, 100 + message.length);
  const r = await call(view);
  assert.equal(r.err_no, 0, r.err_msg);
  assert.equal(big.buffer.byteLength, message.length + 200, 'the surrounding ArrayBuffer was not transferred away');
  assert.ok(big.subarray(0, 100).every((b) => b === 0x5a) && big.subarray(100 + message.length).every((b) => b === 0x5a));
  assert.ok(Buffer.from(message).equals(view));
});

test('a message that fills its own ArrayBuffer is transferred (no copy) and answered the same', async () => {
  const own = Buffer.from(new ArrayBuffer(message.length));
  own.set(message);
  const want = await call(Buffer.from(message));
  const r = await call(own);
  assert.equal(r.err_no, 0, r.err_msg);
  assert.deepEqual(r.value, want.value);
  assert.equal(own.buffer.byteLength, 0, 'transferred to the worker');
});

test('a view at offset 5 of a buffer just 5 bytes longer (a framed gRPC message) is transferred', async () => {
  const frame = new ArrayBuffer(message.length + 5);
  const view = Buffer.from(frame, 5, message.length);
  view.set(message);
  assert.ok(ownFramedMessage(view));
  assert.ok(!ownFramedMessage(Buffer.from(new ArrayBuffer(message.length + 6), 5, message.length)), 'one byte more: not the frame layout');
  const r = await call(view);
  assert.equal(r.err_no, 0, r.err_msg);
  assert.equal(frame.byteLength, 0, 'transferred to the worker');
});

test('the grpc-js in use hands the handler its framed message in a buffer of its own: transferred, answered', async () => {
  let seen: Buffer | undefined;
  let ownedOnArrival: boolean | undefined;
  const service = { inference: { ...pipelineServiceDefinition().inference!, requestDeserialize: (b: Buffer) => b } };
  const grpcServer = new grpc.Server();
  grpcServer.addService(service, {
    inference: (c: grpc.ServerUnaryCall<Buffer, PipelineResponse>, cb: grpc.sendUnaryData<PipelineResponse>) => {
      seen = c.request;
      ownedOnArrival = ownFramedMessage(c.request);
      handler(c, cb);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const Raw = grpc.makeGenericClientConstructor({ inference: { ...pipelineServiceDefinition().inference!, requestSerialize: (b: Buffer) => b } }, 'Raw');
  const client = new Raw(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    inference: (m: Buffer, cb: (e: grpc.ServiceError | null, r?: PipelineResponse) => void) => void;
  };
  try {
    const r = await new Promise<PipelineResponse>((resolve, reject) => client.inference(Buffer.from(message), (e, res) => (e ? reject(e) : resolve(res!))));
    assert.equal(r.err_no, 0, r.err_msg);
    assert.equal(ownedOnArrival, true, 'grpc-js framed the message in a buffer of its own (offset 5, 5 bytes longer)');
    assert.equal(seen!.buffer.byteLength, 0, 'transferred to the worker, not copied');
  } finally {
    client.close();
    grpcServer.forceShutdown();
  }
});
