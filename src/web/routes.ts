// The web page on the HTTP port: GET / and /ui serve one self-contained page (HTML, CSS and a framework-free ES
// module, read once from this folder; no CDN, works offline), GET /ui/status a small JSON description of what is
// served. The page predicts through the public API (POST /{op}/prediction) like any other client.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What the page's status strip shows (GET /ui/status). */
export interface WebStatus {
  status: 'ok' | 'closing';
  /** The op, and so the prediction route: POST /{op}/prediction. */
  op: string;
  predict_path: string;
  /** Preprocessing pipeline (`-n`: PPTSM, PPTSN, ...). */
  pipeline: string;
  model: { dir: string; source: string; input: { name: string; shape: number[] }; output: { name: string; alias: string }; classes: number };
  provider: string;
  labels: { loaded: boolean; count: number; source: string | null };
  /** Set when the warm-up output looked untrained (uniform softmax, NaN): the weights are synthetic or missing. */
  warmup_warning: string | null;
  max_body_bytes: number;
  /** The server's default top-k (the page asks for 5). */
  topk: number;
}

export interface WebUiOptions {
  status: () => WebStatus;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

// Everything the page loads comes from this server; inline scripts and other origins are refused.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function asset(file: string, type: string): Asset {
  const body = readFileSync(new URL(file, import.meta.url));
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"` };
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  void reply.header('cache-control', 'no-cache').header('etag', a.etag).header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}

/** Registers GET /, /ui, /ui/ (the page), its two assets and /ui/status. */
export function registerWebUi(app: FastifyInstance, opts: WebUiOptions): void {
  const page = asset('./index.html', 'text/html; charset=utf-8');
  const script = asset('./app.js', 'text/javascript; charset=utf-8');
  const style = asset('./style.css', 'text/css; charset=utf-8');
  const html = async (req: FastifyRequest, reply: FastifyReply) => {
    void reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    return send(req, reply, page);
  };
  for (const url of ['/', '/ui', '/ui/']) app.get(url, html);
  app.get('/ui/app.js', async (req, reply) => send(req, reply, script));
  app.get('/ui/style.css', async (req, reply) => send(req, reply, style));
  app.get('/ui/status', async (_req, reply) => reply.header('cache-control', 'no-store').send(opts.status()));
}
