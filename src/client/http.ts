// HTTP transport: POST /{op}/prediction with the pipeline JSON body, over Node's own http module.
// node:http never consults http_proxy/HTTPS_PROXY, so a proxy in the environment cannot swallow localhost requests
// (the seed's FAQ Q1: "no result is returned ... unset http_proxy").
import http from 'node:http';
import type { PipelineRequest, PipelineResponse } from '../protocol/types.ts';
import { predictionPath } from '../protocol/types.ts';
import { BufferPool } from '../protocol/buffer-pool.ts';
import { TransportError } from './errors.ts';
import { describeNetError, hostPort, unbracket } from './neterr.ts';

export interface HttpAnswer {
  response: PipelineResponse;
  /** The body text as received, for printing it exactly as the seed does (Python keeps ints and floats apart). */
  body: string;
}

export class HttpTransport {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  /** Bodies are encoded into reused memory: one buffer per request being sent, kept between requests. */
  private readonly buffers = new BufferPool(1);
  readonly endpoint: string;
  private readonly path: string;

  private readonly host: string;

  constructor(
    host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
    opName: string,
  ) {
    this.host = unbracket(host);
    this.path = predictionPath(opName);
    this.endpoint = `http://${hostPort(host, port)}${this.path}`;
  }

  /**
   * Sends one request. The body is encoded to bytes before the request starts, so the server receives it at wire
   * speed (and holds its place in the op for that long only); big base64 values are copied once, not JSON-escaped,
   * into a buffer reused from earlier requests (a fresh 40 MB buffer costs ~150 ms of page faults here).
   */
  infer(req: PipelineRequest): Promise<HttpAnswer> {
    const body = encodeBody(req, (n) => this.buffers.take(n));
    const length = body.length;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let failure: Error | undefined;
      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const r = http.request(
        {
          host: this.host,
          port: this.port,
          path: this.path,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => settle(() => reject(this.netError(e))));
          res.on('end', () => settle(() => {
            const text = Buffer.concat(chunks).toString('utf8');
            const response = asPipelineResponse(text);
            if (response) resolve({ response, body: text });
            else {
              const status = res.statusCode ?? 0;
              const snippet = text.length > 200 ? text.slice(0, 197) + '...' : text;
              reject(
                new TransportError('HTTP_STATUS', `HTTP ${status} from ${this.endpoint} without a pipeline answer: ${snippet || '(empty body)'}`, this.endpoint, {
                  httpStatus: status,
                }),
              );
            }
          }));
        },
      );
      const timer = setTimeout(() => {
        r.destroy(new TransportError('TIMEOUT', `no answer from ${this.endpoint} within ${this.timeoutMs} ms`, this.endpoint));
      }, this.timeoutMs);
      // A server that refuses the body (e.g. larger than its limit) answers and closes while we are still sending:
      // the write then fails (EPIPE/ECONNRESET) although its answer has arrived. So a request error is only final
      // once the request has closed without a complete answer.
      r.on('error', (e) => {
        failure ??= e;
      });
      r.on('close', () => {
        const e = failure ?? new Error('connection closed before an answer');
        settle(() => reject(e instanceof TransportError ? e : this.netError(e)));
      });
      // 'finish': the whole body has been handed to the kernel, so the buffer may serve the next request. (A
      // request that fails before that never gives it back; the pool makes a new one.)
      r.end(body, () => this.buffers.give(body.buffer as ArrayBuffer));
    });
  }

  private netError(e: Error): TransportError {
    return describeNetError(e, this.endpoint, 'vidserve serve (HTTP port)');
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The JSON body in one buffer from `alloc`. Values are JSON-escaped one by one; base64 needs no escaping and is
 * written with one latin1 copy.
 */
function encodeBody(req: PipelineRequest, alloc: (length: number) => Uint8Array): Buffer {
  // Pieces of the body: JSON text (UTF-8), or a value written as it is (base64: ASCII, latin1 is exact).
  const pieces: Array<{ text: string; raw: boolean }> = [{ text: `{"key":${JSON.stringify(req.key)},"value":[`, raw: false }];
  req.value.forEach((v, i) => {
    if (i > 0) pieces.push({ text: ',', raw: false });
    if (/^[A-Za-z0-9+/=]*$/.test(v)) pieces.push({ text: '"', raw: false }, { text: v, raw: true }, { text: '"', raw: false });
    else pieces.push({ text: JSON.stringify(v), raw: false });
  });
  const rest: string[] = [']'];
  for (const [k, v] of Object.entries(req)) {
    if (k !== 'key' && k !== 'value' && v !== undefined) rest.push(`,${JSON.stringify(k)}:${JSON.stringify(v)}`);
  }
  rest.push('}');
  pieces.push({ text: rest.join(''), raw: false });
  const length = pieces.reduce((n, p) => n + (p.raw ? p.text.length : Buffer.byteLength(p.text, 'utf8')), 0);
  const mem = alloc(length);
  const out = Buffer.from(mem.buffer, mem.byteOffset, mem.byteLength);
  let at = 0;
  for (const p of pieces) at += out.write(p.text, at, p.raw ? 'latin1' : 'utf8');
  if (at !== length) throw new Error(`request body encoder wrote ${at} bytes, expected ${length}`);
  return out;
}

/** A body that is a pipeline Response (err_no present), else undefined. */
function asPipelineResponse(text: string): PipelineResponse | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || typeof (v as { err_no?: unknown }).err_no !== 'number') return undefined;
  const o = v as Partial<PipelineResponse>;
  return {
    err_no: o.err_no!,
    err_msg: typeof o.err_msg === 'string' ? o.err_msg : '',
    key: Array.isArray(o.key) ? o.key.map(String) : [],
    value: Array.isArray(o.value) ? o.value.map(String) : [],
    tensors: Array.isArray(o.tensors) ? o.tensors : [],
  };
}
