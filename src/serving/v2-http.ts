// Open Inference Protocol v2 over HTTP (inference_rest.md), beside Paddle Serving's routes on the same port and
// through the same op: health, server and model metadata, and inference with JSON or binary tensor data (Triton's
// binary_tensor_data extension). Every failure answers {"error": "..."} with an HTTP error status.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { encodeBytesElements, encodeFp32, BINARY_DATA_SIZE, INFERENCE_HEADER_CONTENT_LENGTH, type V2InferResponse, type V2ResponseOutput } from '../protocol/v2.ts';
import { runRequest, type HandlerContext } from './handler.ts';
import { admissionHooks, bodyBytes, takeAdmission } from './admission.ts';
import { HTTP_STATUS, V2Error, V2_MODEL_VERSION, answerOutputs, checkModel, modelMetadata, serverMetadata, statusOf } from './v2.ts';
import type { OpResult } from './op.ts';

type ModelParams = { model: string; version?: string };

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: message });
}

/** Registers the /v2 routes on the HTTP server (one call from http.ts). */
export function registerV2Http(app: FastifyInstance, ctx: HandlerContext): void {
  void app.register(
    async (v2) => {
      v2.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
        if (err instanceof V2Error) return sendError(reply, HTTP_STATUS[err.status], err.message);
        const status = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : (err.statusCode ?? 500);
        if (status >= 500) ctx.logger.error({ err: err.message }, `v2-http internal error: ${err.message}`);
        return sendError(reply, status, status === 413 ? `request body is larger than the server's limit (max_body_size_mb)` : err.message);
      });
      v2.setNotFoundHandler((req, reply) => sendError(reply, 404, `no route ${req.method} ${req.url}`));

      v2.get('/health/live', async () => ({ live: true }));
      v2.get('/health/ready', async (_req, reply) => {
        const ready = ctx.model.ready();
        return reply.code(ready ? 200 : 503).send({ ready });
      });
      v2.get('/', async () => serverMetadata());

      const metadata = async (req: FastifyRequest<{ Params: ModelParams }>) => {
        checkModel(ctx, req.params.model, req.params.version);
        return modelMetadata(ctx.model);
      };
      v2.get('/models/:model', metadata);
      v2.get('/models/:model/versions/:version', metadata);

      const modelReady = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
        checkModel(ctx, req.params.model, req.params.version);
        const ready = ctx.model.ready();
        return reply.code(ready ? 200 : 503).send({ name: ctx.model.name, ready });
      };
      v2.get('/models/:model/ready', modelReady);
      v2.get('/models/:model/versions/:version/ready', modelReady);

      const admission = admissionHooks(ctx, 'v2-http', (reply, refused) => sendError(reply, HTTP_STATUS[statusOf(refused.code)], refused.message));
      const infer = {
        // An unknown model is refused before a place is taken or the body read.
        onRequest: [async (req: FastifyRequest) => checkModel(ctx, (req.params as ModelParams).model, (req.params as ModelParams).version), admission.onRequest],
        onResponse: admission.onResponse,
        onRequestAbort: admission.onRequestAbort,
        handler: async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
          const headerLength = inferenceHeaderLength(req);
          const { reserved, receiveMs } = takeAdmission(req);
          const o = await runRequest(ctx, bodyBytes(req), 'v2-json', 'v2-http', { receiveMs, peer: req.ip, reserved, ownsBuffer: true, headerLength });
          if (!o.ok) return sendError(reply, HTTP_STATUS[statusOf(o.error.code)], o.error.message);
          return sendAnswer(reply, ctx.model.name, o.result);
        },
      };
      v2.post('/models/:model/infer', infer);
      v2.post('/models/:model/versions/:version/infer', infer);
    },
    { prefix: '/v2' },
  );
}

function inferenceHeaderLength(req: FastifyRequest): number | undefined {
  const h = req.headers[INFERENCE_HEADER_CONTENT_LENGTH];
  if (h === undefined) return undefined;
  const v = Array.isArray(h) ? h[0]! : h;
  if (!/^\d{1,15}$/.test(v.trim())) throw new V2Error('INVALID_ARGUMENT', `Inference-Header-Content-Length must be a byte count, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** JSON, or JSON followed by the binary outputs (with Inference-Header-Content-Length) when any was asked for so. */
function sendAnswer(reply: FastifyReply, modelName: string, result: OpResult): FastifyReply {
  const binaries: Buffer[] = [];
  const outputs = answerOutputs(result).map(({ output, binary }): V2ResponseOutput => {
    const { name, datatype, shape } = output;
    if (!binary) return { name, datatype, shape, data: output.values };
    const bytes = output.datatype === 'BYTES' ? encodeBytesElements(output.values.map((s) => Buffer.from(s, 'utf8'))) : encodeFp32(output.values);
    binaries.push(bytes);
    return { name, datatype, shape, parameters: { [BINARY_DATA_SIZE]: bytes.length } };
  });
  const id = result.meta.v2?.id;
  const answer: V2InferResponse = { model_name: modelName, model_version: V2_MODEL_VERSION, ...(id ? { id } : {}), outputs };
  const json = Buffer.from(JSON.stringify(answer), 'utf8');
  if (binaries.length === 0) return reply.type('application/json').send(json);
  return reply
    .type('application/octet-stream')
    .header(INFERENCE_HEADER_CONTENT_LENGTH, json.length)
    .send(Buffer.concat([json, ...binaries]));
}
