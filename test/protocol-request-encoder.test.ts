// The Request encoder (src/protocol/request-encoder.ts) against protobufjs's own encoding of the same object, byte
// for byte, and decoded back; and the clients that send through it: every body the server receives is the request
// sent, also when buffers are reused between requests and requests overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_PATH, pipelineServiceDefinition } from '../src/protocol/proto.ts';
import { encodeRequest, RequestEncodeError } from '../src/protocol/request-encoder.ts';
import { BufferPool } from '../src/protocol/buffer-pool.ts';
import { okResponse, type PipelineRequest } from '../src/protocol/types.ts';
import { HttpTransport } from '../src/client/http.ts';
import { GrpcTransport } from '../src/client/grpc.ts';
import { syntheticFrames } from './serving-fixtures.ts';

const Request = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true }).lookupType('baidu.paddle_serving.pipeline_serving.Request');
const protobufjs = (o: object): Buffer => Buffer.from(Request.encode(Request.fromObject(o)).finish());
const decoded = (b: Uint8Array): Record<string, unknown> => Request.toObject(Request.decode(b), { longs: String, defaults: true, arrays: true, bytes: Array });

const frames = (T: number, seed = 1) => Buffer.from(syntheticFrames(T, 24, 32, seed)).toString('base64');

const CASES: Array<[string, PipelineRequest]> = [
  ['the seed client\'s raw frames', { key: ['frames', 'frames_shape'], value: [frames(6), '(6, 24, 32, 3)'] }],
  ['empty lists', { key: [], value: [] }],
  ['empty strings, optional fields present but empty', { key: ['', 'a'], value: ['', ''], name: '', method: '', clientip: '' }],
  ['every scalar field', { key: ['video', 'topk'], value: ['AAAA', '5'], name: 'video', method: 'prediction', logid: 1234567, clientip: '10.0.0.1' }],
  ['non-ASCII keys and values', { key: ['clé', '视频', 'emoji 😀'], value: ['défaut', '中文字符', '🎬🎞️ x'], name: 'naïve', clientip: 'ü' }],
  ['a value of 200 characters (2-byte length varint) and of 20 000 (3 bytes)', { key: ['a', 'b'], value: ['x'.repeat(200), 'é'.repeat(10_000)] }],
  ['logid 0', { key: ['k'], value: ['v'], logid: 0 }],
  ['negative logid (10-byte varint)', { key: ['k'], value: ['v'], logid: -1 }],
  ['logid as a decimal string, int64 max', { key: ['k'], value: ['v'], logid: '9223372036854775807' }],
  ['logid as a negative decimal string, int64 min', { key: ['k'], value: ['v'], logid: '-9223372036854775808' }],
  ['fractional logid (truncated, as Long.fromNumber)', { key: ['k'], value: ['v'], logid: -7.9 }],
  ['logid beyond 2^53', { key: ['k'], value: ['v'], logid: 2 ** 60 }],
  [
    'tensors: STRING, BYTES and UINT8, with clientip after them',
    {
      key: ['topk'],
      value: ['3'],
      tensors: [
        { name: 'video_url', elem_type: 12, str_data: ['http://example.com/ä.mp4'], shape: [1] },
        { name: 'video', elem_type: 13, byte_data: new Uint8Array([0, 1, 2, 255, 128]), shape: [5] },
        { name: 'frames', elem_type: 7, uint32_data: [0, 127, 128, 255, 300], shape: [1, 1, 5, 1] },
      ],
      logid: 42,
      clientip: '::1',
    },
  ],
];

for (const [name, req] of CASES) {
  test(`encodeRequest equals protobufjs byte for byte and decodes back: ${name}`, () => {
    const ours = encodeRequest(req);
    const theirs = protobufjs(req);
    assert.ok(ours.equals(theirs), `${ours.length} vs ${theirs.length} bytes`);
    assert.deepEqual(decoded(ours), decoded(theirs));
    assert.deepEqual((decoded(ours) as { key: string[] }).key, req.key);
    assert.deepEqual((decoded(ours) as { value: string[] }).value, req.value);
  });
}

test('encodeRequest writes into the memory it is given (a view of a larger reused buffer)', () => {
  const req = CASES[0]![1];
  const want = protobufjs(req);
  const pool = new BufferPool(1);
  const first = encodeRequest(req, { alloc: (n) => pool.take(n) });
  assert.ok(first.equals(want));
  const backing = first.buffer;
  pool.give(backing as ArrayBuffer);
  // A smaller request reuses the same memory (at most twice its size), and stale bytes do not leak into it.
  const smaller: PipelineRequest = { key: ['frames', 'frames_shape'], value: [frames(4, 9), '(4, 24, 32, 3)'] };
  const second = encodeRequest(smaller, { alloc: (n) => pool.take(n) });
  assert.equal(second.buffer, backing, 'the pooled buffer was reused');
  assert.ok(second.equals(protobufjs(smaller)));
  assert.throws(() => encodeRequest(req, { alloc: (n) => new Uint8Array(n + 1) }), /returned/);
});

test('encodeRequest refuses what protobufjs would not encode as a Request', () => {
  assert.throws(() => encodeRequest({ key: 'frames' as unknown as string[], value: [] }), RequestEncodeError);
  assert.throws(() => encodeRequest({ key: ['k'], value: ['v'], logid: '12abc' }), RequestEncodeError);
  assert.throws(() => encodeRequest({ key: ['k'], value: ['v'], logid: '9223372036854775808' }), RequestEncodeError);
});

/** Sequential sends (the buffer is reused), then overlapping ones (each needs its own). */
const SENDS: PipelineRequest[] = [
  { key: ['frames', 'frames_shape'], value: [frames(6, 1), '(6, 24, 32, 3)'], logid: 1 },
  { key: ['frames', 'frames_shape'], value: [frames(5, 2), '(5, 24, 32, 3)'], logid: 2 },
  { key: ['video', 'note'], value: [frames(3, 3), 'quote " backslash \\ and é'], logid: 3 },
  { key: ['frames', 'frames_shape'], value: [frames(6, 4), '(6, 24, 32, 3)'], logid: 4 },
];

test('HttpTransport: every body the server receives is the JSON of the request sent, buffers reused or not', async () => {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(okResponse([], [])));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const t = new HttpTransport('127.0.0.1', (server.address() as AddressInfo).port, 30_000, 'video');
  try {
    for (const r of SENDS.slice(0, 2)) await t.infer(r);
    await Promise.all(SENDS.slice(2).map((r) => t.infer(r)));
    const got = bodies.map((b) => JSON.parse(b.toString('utf8')) as PipelineRequest).sort((a, b) => Number(a.logid) - Number(b.logid));
    assert.deepEqual(got, SENDS);
  } finally {
    t.close();
    server.close();
  }
});

test('GrpcTransport: every message the server receives is protobufjs\'s encoding of the request sent', async () => {
  const messages: Buffer[] = [];
  const server = new grpc.Server();
  server.addService({ inference: { ...pipelineServiceDefinition().inference!, requestDeserialize: (b: Buffer) => Buffer.from(b) } }, {
    inference: (c: grpc.ServerUnaryCall<Buffer, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      messages.push(c.request);
      cb(null, okResponse(['n'], [String(c.request.length)]));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const t = new GrpcTransport('127.0.0.1', port, 30_000);
  try {
    for (const r of SENDS.slice(0, 2)) assert.equal((await t.infer(r)).value[0], String(protobufjs(r).length));
    await Promise.all(SENDS.slice(2).map((r) => t.infer(r)));
    const got = messages.map((m) => decoded(m)).sort((a, b) => Number(a.logid) - Number(b.logid));
    assert.deepEqual(got, SENDS.map((r) => decoded(protobufjs(r))));
    for (const m of messages) assert.ok(SENDS.some((r) => protobufjs(r).equals(m)));
  } finally {
    t.close();
    server.forceShutdown();
  }
});
