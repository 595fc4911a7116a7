// Request bodies read into reused buffers: the pool's choice of buffer, and every way a body can be wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { lingerOnRefusedBodies, readBody } from '../src/serving/body.ts';
import { BufferPool } from '../src/protocol/buffer-pool.ts';

test('the pool lends the smallest idle buffer that fits (at most twice the size), keeps at most `keep`, drops detached and oversized ones', () => {
  const pool = new BufferPool(2, 1000);
  const a = pool.take(100);
  assert.equal(a.byteLength, 100);
  assert.equal(a.buffer.byteLength, 100);
  pool.give(new ArrayBuffer(500));
  pool.give(new ArrayBuffer(200));
  const b = pool.take(150);
  assert.deepEqual([b.byteOffset, b.byteLength, b.buffer.byteLength], [0, 150, 200]);
  const c = pool.take(300);
  assert.equal(c.buffer.byteLength, 500);
  // An idle buffer over twice the size is not lent.
  pool.give(new ArrayBuffer(900));
  assert.equal(pool.take(400).buffer.byteLength, 400);
  assert.equal(pool.take(450).buffer.byteLength, 900);
  assert.equal(pool.idleBytes, 0);
  // Nothing idle fits: a new buffer of exactly the size.
  assert.equal(pool.take(50).buffer.byteLength, 50);
  pool.give(new ArrayBuffer(2000)); // over maxBytes
  pool.give(new ArrayBuffer(0)); // a detached buffer reads as 0 bytes
  assert.equal(pool.idleBytes, 0);
  for (const n of [300, 100, 400]) pool.give(new ArrayBuffer(n));
  assert.equal(pool.idleBytes, 700, 'the two largest stay');
});

interface Outcome {
  err: (Error & { code?: string; statusCode?: number }) | null;
  body?: Uint8Array;
}

function read(headers: Record<string, string>, chunks: Buffer[], limit: number, pool = new BufferPool()): Promise<Outcome> {
  const payload = new PassThrough();
  const req = { headers } as unknown as IncomingMessage;
  const out = new Promise<Outcome>((resolve) => readBody(req, payload, limit, pool, (err, body) => resolve({ err: err as Outcome['err'], body })));
  for (const c of chunks) payload.write(c);
  payload.end();
  return out;
}

test('a body with Content-Length lands in a pool buffer; a chunked one is joined; both are intact', async () => {
  const pool = new BufferPool();
  pool.give(new ArrayBuffer(64));
  const parts = [Buffer.from('{"key":["video"],'), Buffer.from('"value":["AAEC"]}')];
  const whole = Buffer.concat(parts);
  const sized = await read({ 'content-length': String(whole.length) }, parts, 1000, pool);
  assert.equal(sized.err, null);
  assert.deepEqual(Buffer.from(sized.body!), whole);
  assert.equal(sized.body!.buffer.byteLength, 64, 'the idle pool buffer was used');
  const chunked = await read({}, parts, 1000);
  assert.equal(chunked.err, null);
  assert.deepEqual(Buffer.from(chunked.body!), whole);
  // Its own buffer (never a slice of Node's shared pool, which a transfer would detach).
  assert.equal(chunked.body!.buffer.byteLength, whole.length);
});

test('too large (declared or streamed), shorter or longer than Content-Length: the errors fastify answers', async () => {
  const pool = new BufferPool();
  const declared = await read({ 'content-length': '5000' }, [], 1000, pool);
  assert.equal(declared.err?.code, 'FST_ERR_CTP_BODY_TOO_LARGE');
  assert.equal(declared.err?.statusCode, 413);
  const streamed = await read({}, [Buffer.alloc(600), Buffer.alloc(600)], 1000, pool);
  assert.equal(streamed.err?.code, 'FST_ERR_CTP_BODY_TOO_LARGE');
  const short = await read({ 'content-length': '100' }, [Buffer.alloc(60)], 1000, pool);
  assert.equal(short.err?.code, 'FST_ERR_CTP_INVALID_CONTENT_LENGTH');
  assert.equal(short.err?.statusCode, 400);
  const long = await read({ 'content-length': '100' }, [Buffer.alloc(60), Buffer.alloc(60)], 1000, pool);
  assert.equal(long.err?.code, 'FST_ERR_CTP_INVALID_CONTENT_LENGTH');
  // The buffer of a failed read goes back to the pool (the second read reused the first one's).
  assert.equal(pool.idleBytes, 100);
});

test('a refused upload: the answer comes first, the rest of the body is read and discarded, the connection is not reset', async () => {
  const app = Fastify({ bodyLimit: 1000 });
  lingerOnRefusedBodies(app, 10_000);
  app.removeAllContentTypeParsers();
  const pool = new BufferPool();
  app.addContentTypeParser('*', (req, payload, done) => readBody(req.raw, payload, 1000, pool, done));
  app.post('/video/prediction', async () => ({ err_no: 0 }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as net.AddressInfo;
  try {
    for (const declared of [true, false]) {
      const body = Buffer.alloc(8 << 20, 0x41);
      const sock = net.connect(port, '127.0.0.1');
      const errors: Error[] = [];
      sock.on('error', (e) => errors.push(e));
      let answer = '';
      sock.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      const head = declared ? `content-length: ${body.length}` : 'transfer-encoding: chunked';
      sock.write(`POST /video/prediction HTTP/1.1\r\nhost: x\r\n${head}\r\n\r\n`);
      const frame = (b: Buffer): Buffer => (declared ? b : Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]));
      sock.write(frame(body.subarray(0, 4096)));
      // The answer arrives while most of the body has not been sent...
      while (!/\r\n\r\n[\s\S]*\}/.test(answer)) await once(sock, 'data');
      assert.match(answer, /^HTTP\/1\.1 413 /);
      assert.doesNotMatch(answer, /connection: close/i);
      // ...and sending the rest is not met by a reset (before: EPIPE or ECONNRESET once the server had closed).
      await new Promise<void>((resolve, reject) => sock.write(frame(body.subarray(4096)), (e) => (e ? reject(e) : resolve())));
      if (!declared) await new Promise<void>((resolve) => sock.write('0\r\n\r\n', () => resolve()));
      // The connection is still usable: a small request on it is answered.
      answer = '';
      sock.write('POST /video/prediction HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}');
      while (!/\r\n\r\n[\s\S]*\}/.test(answer)) await once(sock, 'data');
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.deepEqual(errors, []);
      sock.destroy();
    }
  } finally {
    await app.close();
  }
});
