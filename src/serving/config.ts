// The seed's pipeline YAML (Paddle Serving's config.yml schema) parsed once into typed options.
// Paddle Serving keys we accept but do not use are reported at info level; keys nobody knows are warned about;
// a value of the wrong type is an error naming its key path.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { LONG_KEYS, parseLongConf, type LongConf } from './long-config.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type DeviceKind = 'cpu' | 'gpu';

export interface LocalServiceConf {
  /** Serving dir (or its serving_server_conf.prototxt), resolved to an absolute path. */
  modelConfig: string;
  /** Paddle's code: -1 = decide from devices, 0 cpu, 1 gpu, 2 tensorRT, 3 arm, 4 xpu. */
  deviceType: number;
  /** Device ids from `devices: "0,1"`; empty means CPU. */
  devices: number[];
  /** What the config asks for, after applying Paddle's device_type/devices rules. */
  device: DeviceKind;
  clientType: string;
  fetchList: string[];
  /** onnxruntime intra-op threads (Paddle's thread_num); undefined = runtime default. */
  threadNum?: number;
  irOptim: boolean;
}

export interface OpConf {
  name: string;
  /** Parallel model runs (one worker with its own session each). */
  concurrency: number;
  /** Per-request deadline in ms; -1 = none (Paddle's default). */
  timeoutMs: number;
  /** Dynamic batching: up to batch_size requests run as one batch... */
  batchSize: number;
  /** ...gathered for at most this many ms (-1 = do not wait for more). */
  autoBatchingTimeoutMs: number;
  /** PaddleVideo label list (`<index> <name>` lines); optional. */
  labelList?: string;
  /** PaddleVideo config YAML whose INFERENCE section gives the preprocessing (when -n does not name one). */
  paddlevideoConfig?: string;
  /** Requests allowed to wait for a worker before new ones are refused. */
  queueSize: number;
  /** Workers that parse, base64-decode, decode video and preprocess (off the event loop). */
  preprocessWorkers: number;
  /** Default top-k when a request does not ask (1 = the seed's answer). */
  topk: number;
  localServiceConf: LocalServiceConf;
}

export interface ServingConfig {
  file: string;
  workerNum: number;
  /** null = not served; 0 = pick a free port. */
  httpPort: number | null;
  rpcPort: number | null;
  /** Largest accepted HTTP body and gRPC message, in bytes. */
  maxBodyBytes: number;
  /** The web page on the HTTP port (GET /, /ui); `web_ui: false` turns it off. */
  webUi: boolean;
  isThreadOp: boolean;
  ops: OpConf[];
  /** Long videos and streams: sources allow-list, timeline and stream settings (long-config.ts). */
  long: LongConf;
  /** Messages about ignored or unknown keys, for the startup log. */
  notes: { level: 'info' | 'warn'; msg: string }[];
}

// Paddle Serving keys vidserve reads; everything else Paddle knows is accepted and reported as unused.
const PADDLE_TOP = new Set(['worker_num', 'http_port', 'rpc_port', 'dag', 'op', 'build_dag_each_worker', 'grpc_gateway_port']);
const PADDLE_DAG = new Set(['is_thread_op', 'retry', 'client_type', 'use_profile', 'channel_size', 'tracer', 'channel_recv_frist_arrive']);
const PADDLE_OP = new Set(['concurrency', 'timeout', 'retry', 'batch_size', 'auto_batching_timeout', 'local_service_conf', 'server_endpoints', 'fetch_list', 'client_config']);
const PADDLE_LOCAL = new Set(['model_config', 'device_type', 'devices', 'client_type', 'fetch_list', 'thread_num', 'ir_optim', 'workdir', 'mem_optim', 'precision', 'use_calib', 'use_mkldnn', 'mkldnn_cache_capacity', 'mkldnn_op_list', 'mkldnn_bf16_op_list', 'min_subgraph_size', 'use_trt', 'use_lite', 'use_xpu']);
// vidserve's own additions.
const OURS_TOP = new Set(['max_body_size_mb', 'web_ui', ...LONG_KEYS]);
const OURS_OP = new Set(['label_list', 'queue_size', 'preprocess_workers', 'topk', 'paddlevideo_config']);

const USED_TOP = new Set(['worker_num', 'http_port', 'rpc_port', 'dag', 'op', ...OURS_TOP]);
const USED_DAG = new Set(['is_thread_op']);
const USED_OP = new Set(['concurrency', 'timeout', 'batch_size', 'auto_batching_timeout', 'local_service_conf', ...OURS_OP]);
const USED_LOCAL = new Set(['model_config', 'device_type', 'devices', 'client_type', 'fetch_list', 'thread_num', 'ir_optim']);

type Dict = Record<string, unknown>;

class Reader {
  notes: ServingConfig['notes'] = [];
  constructor(readonly file: string) {}

  fail(keyPath: string, msg: string): never {
    throw new ConfigError(`${this.file}: ${keyPath}: ${msg}`);
  }

  dict(v: unknown, keyPath: string): Dict {
    if (v === null || v === undefined) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(keyPath, `must be a mapping, got ${describe(v)}`);
    return v as Dict;
  }

  keys(d: Dict, keyPath: string, known: Set<string>, used: Set<string>, ours = new Set<string>()): void {
    for (const k of Object.keys(d)) {
      const p = keyPath ? `${keyPath}.${k}` : k;
      if (used.has(k) || ours.has(k)) continue;
      if (known.has(k)) this.notes.push({ level: 'info', msg: `config key ${p} is a Paddle Serving option vidserve does not use; ignored` });
      else this.notes.push({ level: 'warn', msg: `unknown config key ${p} in ${this.file}; ignored` });
    }
  }

  int(d: Dict, key: string, keyPath: string, def: number, min?: number, max?: number): number {
    const v = d[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`${keyPath}.${key}`.replace(/^\./, ''), `must be an integer, got ${describe(v)}`);
    if (min !== undefined && v < min) this.fail(`${keyPath}.${key}`.replace(/^\./, ''), `must be >= ${min}, got ${v}`);
    if (max !== undefined && v > max) this.fail(`${keyPath}.${key}`.replace(/^\./, ''), `must be <= ${max}, got ${v}`);
    return v;
  }

  num(d: Dict, key: string, keyPath: string, def: number, min: number): number {
    const v = d[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) this.fail(`${keyPath}.${key}`.replace(/^\./, ''), `must be a number >= ${min}, got ${describe(v)}`);
    return v;
  }

  bool(d: Dict, key: string, keyPath: string, def: boolean): boolean {
    const v = d[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(`${keyPath}.${key}`.replace(/^\./, ''), `must be true or false, got ${describe(v)}`);
    return v;
  }

  str(d: Dict, key: string, keyPath: string): string | undefined {
    const v = d[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(`${keyPath}.${key}`.replace(/^\./, ''), `must be a string, got ${describe(v)}`);
    return v;
  }

  strList(d: Dict, key: string, keyPath: string): string[] | undefined {
    const v = d[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(`${keyPath}.${key}`, `must be a list of strings, got ${describe(v)}`);
    return v as string[];
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list (${JSON.stringify(v).slice(0, 60)})`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Paddle Serving's `devices` is a string ("", "0", "0,1"); YAML may also give a bare integer. */
function parseDevices(r: Reader, v: unknown, keyPath: string): number[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return [v];
  if (typeof v !== 'string') r.fail(keyPath, `must be a string of device ids like "0" or "0,1", got ${describe(v)}`);
  return v.split(',').map((s) => {
    const t = s.trim();
    if (!/^\d+$/.test(t)) r.fail(keyPath, `must be device ids like "0" or "0,1", got ${JSON.stringify(v)}`);
    return Number(t);
  });
}

/** Relative paths resolve against the working directory (as Paddle Serving does), else the config's folder. */
export function resolveConfigPath(p: string, configFile: string, cwd = process.cwd()): string {
  if (path.isAbsolute(p)) return p;
  const fromCwd = path.resolve(cwd, p);
  if (existsSync(fromCwd)) return fromCwd;
  const fromConfig = path.resolve(path.dirname(configFile), p);
  return existsSync(fromConfig) ? fromConfig : fromCwd;
}

export interface LoadConfigOptions {
  cwd?: string;
}

/** Reads and checks a pipeline YAML; throws ConfigError with the file and key path on any problem. */
export function loadServingConfig(file: string, opts: LoadConfigOptions = {}): ServingConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0] : (e as Error).message;
    throw new ConfigError(`${file}: not valid YAML: ${msg}`);
  }
  return parseServingConfig(doc, file, opts);
}

export function parseServingConfig(doc: unknown, file: string, opts: LoadConfigOptions = {}): ServingConfig {
  const r = new Reader(file);
  const top = r.dict(doc, '(top level)');
  r.keys(top, '', PADDLE_TOP, USED_TOP, OURS_TOP);
  const workerNum = r.int(top, 'worker_num', '', 1, 1);
  if (workerNum > 1) {
    r.notes.push({ level: 'info', msg: `worker_num ${workerNum}: vidserve runs one process; parallel model runs come from op.<name>.concurrency` });
  }
  const port = (key: string): number | null => (top[key] === undefined || top[key] === null ? null : r.int(top, key, '', 0, 0, 65535));
  const httpPort = port('http_port');
  const rpcPort = port('rpc_port');
  if (httpPort === null && rpcPort === null) r.fail('http_port', 'http_port and rpc_port cannot both be missing');
  const maxBodyBytes = Math.round(r.num(top, 'max_body_size_mb', '', 512, 1) * 1024 * 1024);
  const webUi = r.bool(top, 'web_ui', '', true);

  const dag = r.dict(top.dag, 'dag');
  r.keys(dag, 'dag', PADDLE_DAG, USED_DAG);
  const isThreadOp = r.bool(dag, 'is_thread_op', 'dag', true);

  const opSection = r.dict(top.op, 'op');
  const names = Object.keys(opSection);
  if (names.length === 0) r.fail('op', 'no op configured (the seed configures op.video)');
  const ops: OpConf[] = names.map((name) => {
    const p = `op.${name}`;
    const o = r.dict(opSection[name], p);
    r.keys(o, p, PADDLE_OP, USED_OP, OURS_OP);
    if (o.server_endpoints !== undefined) r.fail(`${p}.server_endpoints`, 'remote ops are not supported; vidserve runs the model in-process (use local_service_conf)');
    const lp = `${p}.local_service_conf`;
    const l = r.dict(o.local_service_conf, lp);
    r.keys(l, lp, PADDLE_LOCAL, USED_LOCAL);
    const modelConfig = r.str(l, 'model_config', lp) ?? '';
    if (!modelConfig) r.fail(`${lp}.model_config`, 'is required (the serving dir written by `vidserve convert --serving_server DIR`)');
    const deviceType = r.int(l, 'device_type', lp, -1, -1, 4);
    const devices = parseDevices(r, l.devices, `${lp}.devices`);
    // Paddle: device_type decides when set; otherwise non-empty devices mean GPU.
    const device: DeviceKind = deviceType === 0 || deviceType === 3 ? 'cpu' : deviceType === -1 ? (devices.length ? 'gpu' : 'cpu') : 'gpu';
    const fetchList = r.strList(l, 'fetch_list', lp) ?? r.strList(o, 'fetch_list', p) ?? [];
    const threadNum = l.thread_num === undefined ? undefined : r.int(l, 'thread_num', lp, 1, 1);
    const labelList = r.str(o, 'label_list', p);
    const paddlevideoConfig = r.str(o, 'paddlevideo_config', p);
    const batchSize = r.int(o, 'batch_size', p, 1, 1);
    return {
      name,
      concurrency: r.int(o, 'concurrency', p, 1, 1, 64),
      timeoutMs: (() => {
        const t = r.int(o, 'timeout', p, -1, -1);
        return t === 0 ? -1 : t;
      })(),
      batchSize,
      autoBatchingTimeoutMs: r.int(o, 'auto_batching_timeout', p, -1, -1),
      labelList: labelList ? resolveConfigPath(labelList, file, opts.cwd) : undefined,
      paddlevideoConfig: paddlevideoConfig ? resolveConfigPath(paddlevideoConfig, file, opts.cwd) : undefined,
      queueSize: r.int(o, 'queue_size', p, 16, 0),
      preprocessWorkers: r.int(o, 'preprocess_workers', p, 2, 1, 64),
      topk: r.int(o, 'topk', p, 1, 1),
      localServiceConf: {
        modelConfig: resolveConfigPath(modelConfig, file, opts.cwd),
        deviceType,
        devices,
        device,
        clientType: r.str(l, 'client_type', lp) ?? 'local_predictor',
        fetchList,
        threadNum,
        irOptim: r.bool(l, 'ir_optim', lp, false),
      },
    };
  });
  return { file, workerNum, httpPort, rpcPort, maxBodyBytes, webUi, isThreadOp, ops, long: parseLongConf(top, (k, m) => r.fail(k, m)), notes: r.notes };
}
