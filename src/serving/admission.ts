// Admission for HTTP prediction routes (Paddle Serving's and v2's alike): a place in the op is taken before a
// possibly huge body is read, so uploads beyond capacity are refused at once instead of buffered; a request that
// ends before its handler (body too large, client gone) gives its place back.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServingError } from '../errors.ts';
import type { HandlerContext, Transport } from './handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    vidservedStart?: number;
    /** A place in the op is held for this request until the handler takes it over (or the request ends). */
    vidservedReserved?: boolean;
  }
}

/** The route hooks; `refuse` answers a refused request in the protocol's own error format. */
export function admissionHooks(ctx: HandlerContext, protocol: Transport, refuse: (reply: FastifyReply, refused: ServingError) => FastifyReply) {
  const opName = ctx.op.opts.name;
  const giveBackPlace = async (req: FastifyRequest): Promise<void> => {
    if (req.vidservedReserved) {
      req.vidservedReserved = false;
      ctx.op.unreserve();
    }
  };
  return {
    onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
      req.vidservedStart = performance.now();
      const refused = ctx.op.reserve();
      if (!refused) req.vidservedReserved = true;
      else {
        ctx.logger.warn({ op: opName, protocol, err_no: refused.code }, `${protocol} /${opName} refused: ${refused.message}`);
        ctx.metrics.observe(protocol, opName, refused.code);
        return refuse(reply, refused);
      }
    },
    onResponse: giveBackPlace,
    onRequestAbort: giveBackPlace,
  };
}

/** The handler takes the request's place over (the op releases it when the work ends); also the time since arrival. */
export function takeAdmission(req: FastifyRequest): { reserved: boolean; receiveMs: number } {
  const reserved = req.vidservedReserved === true;
  req.vidservedReserved = false;
  return { reserved, receiveMs: performance.now() - (req.vidservedStart ?? performance.now()) };
}

/** The body as bytes (no body, and so no content-type parser run, gives undefined). */
export function bodyBytes(req: FastifyRequest): Uint8Array {
  return req.body instanceof Uint8Array ? req.body : new Uint8Array(0);
}
