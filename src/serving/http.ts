// HTTP transport (fastify): POST /{op}/prediction with Paddle Serving's JSON Request/Response, plus /health and
// /metrics. Bodies are kept as raw bytes and parsed in a worker (a 40–100 MB JSON body never touches the event
// loop); any Content-Type is accepted, since the seed's Python client and curl -d send none or a form type.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.ts';
import { errorResponse, predictionPath, type PipelineResponse } from '../protocol/types.ts';
import { readBody, type BodyPool } from './body.ts';
import { handlePrediction, type HandlerContext } from './handler.ts';

export interface HttpOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Where bodies are read into (the prepare workers give the buffers back to it). */
  bodies: BodyPool;
  health: () => Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    vidservedStart?: number;
    /** A place in the op is held for this request until the handler takes it over (or the request ends). */
    vidservedReserved?: boolean;
  }
}

const RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    err_no: { type: 'integer' },
    err_msg: { type: 'string' },
    key: { type: 'array', items: { type: 'string' } },
    value: { type: 'array', items: { type: 'string' } },
    tensors: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
  required: ['err_no', 'err_msg', 'key', 'value', 'tensors'],
} as const;

export async function startHttp(ctx: HandlerContext, opts: HttpOptions): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes,
    // Slow uploads of big bodies are normal; the op's own timeout governs processing time.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const opName = ctx.op.opts.name;
  const mb = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => readBody(req.raw, payload, opts.maxBodyBytes, opts.bodies, done));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
    let status = err.statusCode ?? 500;
    let resp: PipelineResponse;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      resp = errorResponse(ErrorCode.INPUT_PARAMS_ERROR, `[${opName}] request body is larger than the server's limit of ${mb(opts.maxBodyBytes)} (max_body_size_mb)`);
    } else if (status < 500) {
      resp = errorResponse(ErrorCode.INPUT_PARAMS_ERROR, `[${opName}] bad request: ${err.message}`);
    } else {
      resp = errorResponse(ErrorCode.UNKNOWN, `[${opName}] internal error: ${err.message}`);
      ctx.logger.error({ err: err.message }, `http internal error: ${err.message}`);
    }
    ctx.metrics.observe('http', opName, resp.err_no);
    void reply.code(status).type('application/json').send(resp);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .type('application/json')
      .send(errorResponse(ErrorCode.NO_SERVICE, `no route ${req.method} ${req.url}; predictions go to POST ${predictionPath(opName)}`));
  });

  const giveBackPlace = async (req: FastifyRequest): Promise<void> => {
    if (req.vidservedReserved) {
      req.vidservedReserved = false;
      ctx.op.unreserve();
    }
  };

  app.post<{ Body: Uint8Array }>(predictionPath(opName), {
    schema: { response: { 200: RESPONSE_SCHEMA, 503: RESPONSE_SCHEMA } },
    onRequest: async (req, reply) => {
      req.vidservedStart = performance.now();
      // Take a place before reading a possibly huge body; refuse at once when the op is full or closing.
      const refused = ctx.op.reserve();
      if (!refused) req.vidservedReserved = true;
      else {
        ctx.logger.warn({ op: opName, protocol: 'http', err_no: refused.code }, `http /${opName} refused: ${refused.message}`);
        ctx.metrics.observe('http', opName, refused.code);
        return reply.code(503).type('application/json').send(errorResponse(refused.code, `[${opName}] ${refused.message}`));
      }
    },
    // Requests that end before the handler (body too large, client gone) give their place back.
    onResponse: giveBackPlace,
    onRequestAbort: giveBackPlace,
    handler: async (req: FastifyRequest<{ Body: Uint8Array }>, reply) => {
      const receiveMs = performance.now() - (req.vidservedStart ?? performance.now());
      // No body (and so no content-type parser) gives undefined.
      const body = req.body instanceof Uint8Array ? req.body : new Uint8Array(0);
      // The op takes over the reservation and releases it when the work ends.
      const reserved = req.vidservedReserved === true;
      req.vidservedReserved = false;
      const { response, status } = await handlePrediction(ctx, body, 'json', 'http', { receiveMs, peer: req.ip, reserved, ownsBuffer: true });
      return reply.code(status).type('application/json').send(response);
    },
  });

  // Anything but 'ok' (degraded, closing) is a 503, so load balancers route elsewhere.
  app.get('/health', async (_req, reply) => {
    const h = opts.health();
    return reply.code(h.status === 'ok' ? 200 : 503).send(h);
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });

  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    await app.close().catch(() => {});
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new Error(`http_port ${opts.port} is already in use (another server running?); choose another with --http_port`, { cause: e });
    if (err.code === 'EACCES') throw new Error(`http_port ${opts.port} needs privileges to bind; use a port above 1023`, { cause: e });
    throw new Error(`cannot listen on http_port ${opts.port}: ${err.message}`, { cause: e });
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { app, port };
}

/**
 * Stops accepting and waits for in-flight requests. Keep-alive connections that go idle while closing are closed
 * as they go idle (fastify keeps them open for 72 s otherwise, which would stall shutdown).
 */
export async function stopHttp(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}
