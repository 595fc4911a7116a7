// The one module that talks to onnxruntime-node: session options, execution provider choice, tensor conversion.
import * as ort from 'onnxruntime-node';
import type { Tensor, TensorData } from '../tensor.ts';

export interface SessionOptions {
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  device?: 'cpu' | 'gpu';
  deviceId?: number;
  /** With device 'gpu': fail instead of falling back to the CPU when CUDA is unavailable. */
  strictDevice?: boolean;
  /**
   * Let idle intra-op threads spin (busy-wait) for the next parallel section instead of sleeping. Default false:
   * see sessionConfig.
   */
  spinning?: boolean;
  onWarning?: (msg: string) => void;
}

export interface ModelSession {
  inputNames: string[];
  outputNames: string[];
  provider: 'cpu' | 'cuda';
  run(feeds: Record<string, Tensor>, fetch?: string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

type OrtType = ort.Tensor.Type;

function ortType(data: TensorData): OrtType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  throw new Error('unsupported tensor data type');
}

function fromOrt(name: string, t: ort.Tensor): Tensor {
  const d = t.data;
  if (
    d instanceof Float32Array ||
    d instanceof Float64Array ||
    d instanceof Int32Array ||
    d instanceof BigInt64Array ||
    d instanceof Uint8Array ||
    d instanceof Int8Array ||
    d instanceof Int16Array
  ) {
    return { data: d, dims: [...t.dims] };
  }
  throw new Error(`output ${name} has element type ${t.type}, which vidserve does not handle`);
}

/**
 * onnxruntime's session config entries. Its intra-op threads spin by default, between the parallel sections of a
 * run and after it. A spinning thread holds a core that a server also needs for decoding and preprocessing the next
 * requests, and when a thread of the run itself is preempted by that work, its partner spins at the end of every
 * parallel section. Sleeping instead, the model threads' CPU per request at concurrency 4 on 2 cores fell from
 * 543-724 to 485-541 ms (bench/throughput.ts A/B under other load); a run alone pays a wake-up per parallel section,
 * +1.4-1.7 % at p50 on idle cores, and is much faster on busy ones.
 */
export function sessionConfig(opts: Pick<SessionOptions, 'spinning'>): Record<string, string> {
  return {
    'session.intra_op.allow_spinning': opts.spinning ? '1' : '0',
    // With spinning allowed, stop it when run() returns rather than keep a core busy between requests.
    'session.force_spinning_stop': '1',
  };
}

function baseOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  // Severity 3 (errors): onnxruntime's warnings (e.g. unused constants it prunes) are not the user's business.
  const o: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: opts.graphOptimization ?? 'all',
    logSeverityLevel: 3,
    extra: configTree(sessionConfig(opts)),
  };
  if (opts.intraOpThreads !== undefined) o.intraOpNumThreads = opts.intraOpThreads;
  if (opts.interOpThreads !== undefined) {
    o.interOpNumThreads = opts.interOpThreads;
    o.executionMode = opts.interOpThreads > 1 ? 'parallel' : 'sequential';
  }
  return o;
}

/** 'a.b': 'v' entries as onnxruntime-node's nested `extra` object ({a: {b: 'v'}}), which it flattens back. */
function configTree(entries: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    const parts = key.split('.');
    let node = root;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value;
  }
  return root;
}

async function open(model: Uint8Array | string, o: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
}

/** Load an ONNX model (bytes or file path) on the requested device. */
export async function createSession(model: Uint8Array | string, opts: SessionOptions = {}): Promise<ModelSession> {
  const base = baseOptions(opts);
  let session: ort.InferenceSession | undefined;
  let provider: 'cpu' | 'cuda' = 'cpu';
  if (opts.device === 'gpu') {
    const cuda = ort.listSupportedBackends().find((b) => b.name === 'cuda');
    let reason = 'this onnxruntime-node build has no CUDA execution provider';
    if (cuda) {
      try {
        session = await open(model, { ...base, executionProviders: [{ name: 'cuda', deviceId: opts.deviceId ?? 0 }] });
        provider = 'cuda';
      } catch (e) {
        reason = `the CUDA execution provider failed to start: ${(e as Error).message}`;
      }
    }
    if (!session) {
      if (opts.strictDevice) throw new Error(`GPU requested but unavailable: ${reason}`);
      opts.onWarning?.(`GPU requested but unavailable (${reason}); running on the CPU`);
    }
  }
  session ??= await open(model, { ...base, executionProviders: ['cpu'] });
  const s = session;
  return {
    inputNames: [...s.inputNames],
    outputNames: [...s.outputNames],
    provider,
    async run(feeds, fetch) {
      const inputs: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(ortType(t.data), t.data, t.dims);
      const results = fetch ? await s.run(inputs, fetch) : await s.run(inputs);
      const out: Record<string, Tensor> = {};
      for (const [name, v] of Object.entries(results)) out[name] = fromOrt(name, v as ort.Tensor);
      return out;
    },
    async release() {
      await s.release();
    },
  };
}
