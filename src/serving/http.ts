// HTTP transport (fastify): POST /{op}/prediction with Paddle Serving's JSON Request/Response, plus /health and
// /metrics. Bodies are kept as raw bytes and parsed in a worker (a 40–100 MB JSON body never touches the event
// loop); any Content-Type is accepted, since the seed's Python client and curl -d send none or a form type.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.ts';
import { errorResponse, predictionPath, type PipelineResponse } from '../protocol/types.ts';
import { lingerOnRefusedBodies, readBody } from './body.ts';
import type { BufferPool } from '../protocol/buffer-pool.ts';
import { handlePrediction, type ServingContext } from './handler.ts';
import { registerStreamRoutes, type StreamManager } from './streams.ts';
import { admissionHooks, bodyBytes, takeAdmission } from './admission.ts';
import { registerV2Http } from './v2-http.ts';
import { registerWebUi, type WebUiOptions } from '../web/routes.ts';

export interface HttpOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Where bodies are read into (the prepare workers give the buffers back to it). */
  bodies: BufferPool;
  health: () => Record<string, unknown>;
  /** The web page (src/web); undefined when the config turns it off (`web_ui: false`). */
  web?: WebUiOptions;
  /** Live stream sessions (undefined: streams are off, the /streams routes say so). */
  streams?: StreamManager;
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

export async function startHttp(ctx: ServingContext, opts: HttpOptions): Promise<{ app: FastifyInstance; port: number }> {
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

  // Registered before the routes and plugins so that every one of them inherits it.
  lingerOnRefusedBodies(app, 10_000);

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

  app.post<{ Body: Uint8Array }>(predictionPath(opName), {
    schema: { response: { 200: RESPONSE_SCHEMA, 503: RESPONSE_SCHEMA } },
    ...admissionHooks(ctx, 'http', (reply, refused) => reply.code(503).type('application/json').send(errorResponse(refused.code, `[${opName}] ${refused.message}`))),
    handler: async (req: FastifyRequest<{ Body: Uint8Array }>, reply) => {
      const { reserved, receiveMs } = takeAdmission(req);
      const { response, status } = await handlePrediction(ctx, bodyBytes(req), 'json', 'http', { receiveMs, peer: req.ip, reserved, ownsBuffer: true });
      return reply.code(status).type('application/json').send(response);
    },
  });

  registerV2Http(app, ctx);

  // Anything but 'ok' (degraded, closing) is a 503, so load balancers route elsewhere.
  app.get('/health', async (_req, reply) => {
    const h = opts.health();
    return reply.code(h.status === 'ok' ? 200 : 503).send(h);
  });
  if (opts.web) registerWebUi(app, opts.web);

  registerStreamRoutes(app, opts.streams);

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
