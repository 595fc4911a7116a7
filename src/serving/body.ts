// Request bodies read into reused buffers (a BufferPool: fresh memory costs a page fault per page on first write).
// Buffers travel to the prepare worker (transferred, not copied) and come back when it is done.
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { BufferPool } from '../protocol/buffer-pool.ts';

/** What fastify's own body errors carry, so its error handler answers them the same way. */
function bodyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

/**
 * Reads a request body into a pool buffer sized by Content-Length (chunked bodies are collected and joined).
 * Bodies over `limit` fail with FST_ERR_CTP_BODY_TOO_LARGE before or while they arrive; a body shorter or longer
 * than its Content-Length fails with FST_ERR_CTP_INVALID_CONTENT_LENGTH.
 */
export function readBody(req: IncomingMessage, payload: Readable, limit: number, pool: BufferPool, done: (err: Error | null, body?: Uint8Array) => void): void {
  const declared = req.headers['content-length'] === undefined ? NaN : Number(req.headers['content-length']);
  const tooLarge = () => bodyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large');
  if (declared > limit) return done(tooLarge());
  const sized = Number.isSafeInteger(declared) && declared >= 0;
  const target = sized ? pool.take(declared) : undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  let finished = false;

  const finish = (err: Error | null, body?: Uint8Array): void => {
    if (finished) return;
    finished = true;
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    if (err && target) pool.give(target.buffer as ArrayBuffer);
    done(err, body);
  };
  const onData = (chunk: Buffer): void => {
    if (received + chunk.length > limit) return finish(tooLarge());
    if (target) {
      if (received + chunk.length > target.length)
        return finish(bodyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'Request body is larger than its Content-Length'));
      target.set(chunk, received);
    } else chunks.push(chunk);
    received += chunk.length;
  };
  const onEnd = (): void => {
    if (!target) {
      // Not Buffer.concat: a small result would be a slice of Node's shared pool, which must never be transferred.
      const body = new Uint8Array(received);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.length;
      }
      return finish(null, body);
    }
    if (received !== target.length) return finish(bodyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'Request body size did not match Content-Length'));
    finish(null, target);
  };
  const onError = (err: Error): void => finish(Object.assign(err, { statusCode: 400 }));
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}

/**
 * Lingering close for refused uploads. Fastify answers a body it refuses (too large, bad length) with
 * `connection: close`, and Node then closes the socket while the rest of the upload is still arriving: the kernel
 * resets a connection closed with unread bytes, and the reset can destroy our answer in the client's buffers (the
 * client sees a broken pipe instead of err_no 5000; measured: 1 curl upload in 3). Instead the connection stays
 * open while the remaining body is read and discarded, and is cut only if that takes longer than `ms`.
 */
export function lingerOnRefusedBodies(app: FastifyInstance, ms: number): void {
  app.addHook('onSend', async (req, reply) => {
    const raw = req.raw;
    if (raw.complete || reply.getHeader('connection') !== 'close') return;
    reply.removeHeader('connection');
    const timer = setTimeout(() => raw.socket?.destroy(), ms);
    timer.unref();
    const settle = (): void => clearTimeout(timer);
    raw.once('end', settle);
    raw.once('close', settle);
    // Node drains (dumps) a body nobody reads once the answer is sent; one that a parser left paused is resumed here.
    raw.resume();
  });
}
