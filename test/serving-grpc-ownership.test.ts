// The gRPC handler transfers a request message's memory to a worker only when the message fills its whole
// ArrayBuffer; a view into a larger buffer (a decoder that returns subarrays) is copied, leaving the rest intact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_PATH } from '../src/protocol/proto.ts';
import type { PipelineResponse } from '../src/protocol/types.ts';
import { inferenceHandler } from '../src/serving/grpc.ts';
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
