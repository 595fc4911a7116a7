// Server lifecycle: config → model → workers → warm-up → listeners; and the reverse on shutdown.
// Startup fails fast with one clear message (missing/corrupt model, untranslatable op, port taken, bad config).
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ServingModel } from '../paddle/serving_model.ts';
import { loadServingConfig, type OpConf, type ServingConfig } from './config.ts';
import { openServingLogs, type ServingLogs } from './logs.ts';
import { WorkerGroup } from './pool.ts';
import { VideoOp } from './op.ts';
import { LabelMap, diagnoseScores, parseLabelList } from './postprocess.ts';
import { ServingMetrics } from './metrics.ts';
import { BufferPool } from '../protocol/buffer-pool.ts';
import { startHttp, stopHttp } from './http.ts';
import { startGrpc, stopGrpc } from './grpc.ts';
import type { PipelineRef } from './preprocess.ts';
import { choosePipeline, pipelineMismatch } from './pipeline-choice.ts';
import type { SessionInit } from './messages.ts';
import { warmupInput } from './warmup.ts';
import { predictionPath } from '../protocol/types.ts';
import type { WebStatus } from '../web/routes.ts';
import { startStreams, type StreamManager } from './streams.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface ServeOptions {
  /** A parsed config or the path of a pipeline YAML. */
  config: ServingConfig | string;
  /** `-n`: a PIPELINES name or a pipeline spec (tests pass small ones); unset: op paddlevideo_config, else PPTSM. */
  pipeline?: PipelineRef;
  labelList?: string;
  strictDevice?: boolean;
  /** Override the config's ports (0 = any free port). */
  httpPort?: number;
  rpcPort?: number;
  host?: string;
  /** The model's name on the Open Inference Protocol v2 routes (default: the op's name). */
  modelName?: string;
  /** Default: ./PipelineServingLogs */
  logDir?: string;
  /** Lines worth showing on the console (startup, warnings); the CLI prints them. */
  onLine?: (line: string) => void;
}

export interface RunningServer {
  httpPort: number | null;
  rpcPort: number | null;
  provider: 'cpu' | 'cuda';
  op: VideoOp;
  logger: Logger;
  logDir: string;
  warmupMs: number;
  /** Warm-up diagnosis (null when the output looked sane). */
  warmupWarning: string | null;
  /** Stop accepting, finish in-flight requests, stop workers, flush logs. */
  close(): Promise<void>;
}

async function loadModel(dir: string): Promise<ServingModel> {
  if (!existsSync(dir)) {
    throw new StartupError(`model_config ${dir} does not exist; create it with: vidserve convert --dirname <inference model dir> --serving_server ${path.basename(dir)} ...`);
  }
  const { loadServingModel } = await import('../paddle/serving_model.ts');
  try {
    return await loadServingModel(dir);
  } catch (e) {
    throw new StartupError(`cannot load the serving model in ${dir}: ${(e as Error).message}`);
  }
}

function loadLabels(candidates: Array<string | undefined>, log: Logger, say: (l: string) => void): LabelMap {
  for (const file of candidates) {
    if (!file) continue;
    if (!existsSync(file)) throw new StartupError(`label list ${file} does not exist`);
    try {
      const names = parseLabelList(readFileSync(file, 'utf8'), file);
      return new LabelMap(names, file);
    } catch (e) {
      throw new StartupError(`cannot read label list: ${(e as Error).message}`);
    }
  }
  const msg = 'no label list (--label_list, op label_list, or label_list.txt in the serving dir): answers carry class indices';
  log.warn(msg);
  say(`warning: ${msg}`);
  return new LabelMap(null, null);
}

/** Checks a port is free before the slow parts of startup, so "port taken" fails in milliseconds. */
function probePort(host: string, port: number, key: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(new StartupError(e.code === 'EADDRINUSE' ? `${key} ${port} is already in use (another server running?); choose another with --${key}` : `cannot listen on ${key} ${port}: ${e.message}`)),
    );
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}


function pickFetch(model: ServingModel, op: OpConf): { name: string; alias: string } {
  const wanted = op.localServiceConf.fetchList;
  if (wanted.length > 1) throw new StartupError(`op.${op.name}.local_service_conf.fetch_list: the video op reads one score output; got ${JSON.stringify(wanted)}`);
  if (wanted.length === 0) {
    const f = model.fetches[0];
    if (!f) throw new StartupError(`the serving model in ${model.dir} declares no fetch_var`);
    return f;
  }
  const alias = wanted[0]!;
  const f = model.fetches.find((v) => v.alias === alias || v.name === alias);
  if (!f) {
    throw new StartupError(
      `op.${op.name}.local_service_conf.fetch_list names "${alias}", but the serving model in ${model.dir} fetches ${model.fetches.map((v) => `${v.name} (alias ${v.alias})`).join(', ')}`,
    );
  }
  return f;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const config = typeof opts.config === 'string' ? loadServingConfig(opts.config) : opts.config;
  const host = opts.host ?? '0.0.0.0';
  const say = opts.onLine ?? (() => {});
  const httpPort = opts.httpPort ?? config.httpPort;
  const rpcPort = opts.rpcPort ?? config.rpcPort;
  const op = config.ops[0]!;
  // Fail on a bad pipeline name or PaddleVideo config before anything slow.
  let pipeline: ReturnType<typeof choosePipeline>;
  try {
    pipeline = choosePipeline(opts.pipeline, op);
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
  if (httpPort !== null) await probePort(host, httpPort, 'http_port');
  if (rpcPort !== null) await probePort(host, rpcPort, 'rpc_port');

  const logs: ServingLogs = openServingLogs(opts.logDir ? path.resolve(opts.logDir) : undefined);
  const log = logs.logger;
  let prepare: WorkerGroup | undefined;
  let infer: WorkerGroup | undefined;
  let app: FastifyInstance | undefined;
  let grpcServer: GrpcServer | undefined;
  let streams: StreamManager | undefined;
  try {
    for (const n of config.notes) log[n.level](n.msg);
    for (const n of config.notes) if (n.level === 'warn') say(`warning: ${n.msg}`);
    if (config.ops.length > 1) {
      const msg = `config has ${config.ops.length} ops; vidserve serves the first, op.${op.name}`;
      log.warn(msg);
      say(`warning: ${msg}`);
    }
    const lsc = op.localServiceConf;
    let model: ServingModel | null = await loadModel(lsc.modelConfig);
    const feed = model.feeds[0];
    if (!feed) throw new StartupError(`the serving model in ${model.dir} declares no feed_var`);
    const fetch = pickFetch(model, op);
    // Every request would fail with 9000: refuse to start instead, naming both shapes.
    const mismatch = pipelineMismatch(pipeline.spec, feed.shape);
    if (mismatch) throw new StartupError(mismatch);
    if (pipeline.note) {
      log.info(pipeline.note);
      say(pipeline.note);
    }
    const labels = loadLabels(
      [opts.labelList, op.labelList, model.labelListPath],
      log,
      say,
    );

    // Threads: the cores are shared between parallel sessions.
    const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    const session: SessionInit = {
      device: lsc.device,
      deviceId: lsc.devices[0],
      strictDevice: opts.strictDevice,
      intraOpThreads: lsc.threadNum ?? Math.max(1, Math.floor(cores / op.concurrency)),
    };
    // The network's input with its batch dimension (a serving conf's feed shape usually leaves it out).
    const feedShape = feed.shape[0] === -1 || feed.shape[0] === 1 ? feed.shape : [-1, ...feed.shape];
    const prepStart = WorkerGroup.start('prepare', op.preprocessWorkers, { role: 'prepare', pipeline: pipeline.spec, feed: { name: feed.name, shape: feedShape }, long: { sources: config.long.sources, timeline: config.long.timeline } });
    // Infer workers load the .onnx file themselves (also when a crashed one restarts): no copy of the model bytes
    // per worker, none kept on this thread. Only a model translated in memory at startup is passed as bytes.
    // Depth 2: each worker holds the next input beside its session (no idle gap between runs); not with batching,
    // whose batches should gather as late as they can.
    const inferStart = WorkerGroup.start('infer', op.concurrency, { role: 'infer', model: model.onnxFile ?? model.onnx, session, feedName: feed.name, fetchName: fetch.name }, { depth: op.batchSize > 1 ? 1 : 2 });
    const modelInfo = { dir: model.dir, source: model.source };
    const modelName = opts.modelName ?? op.name;
    model = null;
    const [p, i] = await Promise.allSettled([prepStart, inferStart]);
    if (p.status === 'fulfilled') prepare = p.value.group;
    if (i.status === 'fulfilled') infer = i.value.group;
    for (const g of [prepare, infer]) if (g) g.log = (level, msg) => log[level](msg);
    if (i.status === 'rejected') throw new StartupError(`cannot start the model in ${modelInfo.dir}: ${(i.reason as Error).message}`);
    if (p.status === 'rejected') throw new StartupError(`cannot start preprocessing workers: ${(p.reason as Error).message}`);
    const ready = i.value.ready;
    for (const w of new Set(ready.warnings)) {
      log.warn(w);
      say(`warning: ${w}`);
    }
    const provider = ready.provider ?? 'cpu';
    if (ready.inputNames && !ready.inputNames.includes(feed.name)) {
      throw new StartupError(`the ONNX model in ${modelInfo.dir} has inputs ${ready.inputNames.join(', ')}, not the feed_var ${feed.name}`);
    }
    if (ready.outputNames && !ready.outputNames.includes(fetch.name)) {
      throw new StartupError(`the ONNX model in ${modelInfo.dir} has outputs ${ready.outputNames.join(', ')}, not the fetch_var ${fetch.name}`);
    }

    const videoOp = new VideoOp(
      {
        name: op.name,
        concurrency: op.concurrency,
        queueSize: op.queueSize,
        timeoutMs: op.timeoutMs,
        batchSize: op.batchSize,
        autoBatchingTimeoutMs: op.autoBatchingTimeoutMs,
        topk: op.topk,
        labels,
        timelineThreshold: config.long.timeline.threshold,
      },
      prepare!,
      infer!,
    );

    // Warm-up: one run on a synthetic input of the feed's shape (batch 1).
    const dims = feed.shape.map((d, k) => (d < 0 ? (k === 0 ? 1 : NaN) : d));
    if (dims[0] !== 1 && feed.shape[0] !== -1) dims.unshift(1);
    if (dims.some((d) => !Number.isFinite(d))) throw new StartupError(`feed_var ${feed.name} has an unknown non-batch dimension: [${feed.shape.join(', ')}]`);
    const w0 = performance.now();
    let warm;
    try {
      warm = await videoOp.runTensor(warmupInput(dims), dims);
    } catch (e) {
      throw new StartupError(`warm-up inference failed for the model in ${modelInfo.dir}: ${(e as Error).message}`);
    }
    const warmupMs = performance.now() - w0;
    const classes = warm.dims[warm.dims.length - 1]!;
    log.info({ warmup_ms: Math.round(warmupMs), input: dims, output: warm.dims }, `warm-up inference [${dims.join(', ')}] -> [${warm.dims.join(', ')}] took ${warmupMs.toFixed(0)} ms`);
    const warmupWarning = diagnoseScores(warm.scores, classes);
    if (warmupWarning) {
      const msg = `!!! WARNING: ${warmupWarning} on the warm-up input. The weights look missing or untrained: every answer will be meaningless (PaddleVideo users saw 'abseiling' at 0.0025 = 1/400 from such a deployment). Check the .pdiparams used by vidserve convert.`;
      log.error(msg);
      say(msg);
    }
    if (labels.size && labels.size !== classes) {
      const msg = `label list ${labels.source} has ${labels.size} labels but the model outputs ${classes} classes`;
      log.warn(msg);
      say(`warning: ${msg}`);
    }

    const metrics = new ServingMetrics(() => videoOp.inFlight, () => videoOp.queued);
    let closing = false;
    const served = { name: modelName, feed: { name: feed.name, shape: feedShape }, classes, ready: () => !closing && infer!.size > 0 };
    const ctx = { op: videoOp, logger: log, metrics, model: served };
    const health = () => ({
      // 'degraded' (HTTP 503) while no inference worker is up: a lost one is being replaced.
      status: closing ? 'closing' : infer!.size === 0 ? 'degraded' : 'ok',
      infer_workers: infer!.size,
      op: op.name,
      model: modelInfo.dir,
      provider,
      labels: labels.source,
      in_flight: videoOp.inFlight,
      running: videoOp.running,
      queued: videoOp.queued,
      concurrency: op.concurrency,
    });
    const webStatus = (): WebStatus => ({
      status: closing ? 'closing' : 'ok',
      op: op.name,
      predict_path: predictionPath(op.name),
      pipeline: pipeline.spec.name,
      model: { dir: modelInfo.dir, source: modelInfo.source, input: { name: feed.name, shape: dims }, output: { name: fetch.name, alias: fetch.alias }, classes },
      provider,
      labels: { loaded: labels.size > 0, count: labels.size, source: labels.source },
      warmup_warning: warmupWarning,
      max_body_bytes: config.maxBodyBytes,
      topk: op.topk,
    });
    let boundHttp: number | null = null;
    let boundRpc: number | null = null;
    if (httpPort !== null) {
      // One idle buffer: a client sending raw frames one request after another reuses it (40 MB kept, not more).
      const bodies = new BufferPool(1, config.maxBodyBytes);
      prepare!.onReturned = (buf) => bodies.give(buf);
      const web = config.webUi ? { status: webStatus } : undefined;
      streams = await startStreams(config.long, { pipeline: pipeline.spec, op: videoOp, logger: log });
      const h = await startHttp(ctx, { host, port: httpPort, maxBodyBytes: config.maxBodyBytes, bodies, health, web, streams });
      app = h.app;
      boundHttp = h.port;
    }
    if (rpcPort !== null) {
      const g = await startGrpc(ctx, { host, port: rpcPort, maxMessageBytes: config.maxBodyBytes });
      grpcServer = g.server;
      boundRpc = g.port;
    }
    const lines = [
      `model ${modelInfo.dir} (${modelInfo.source}; feed ${feed.name} [${feed.shape.join(', ')}], fetch ${fetch.name} alias ${fetch.alias}), preprocessing ${pipeline.source}`,
      `provider ${provider} (requested ${lsc.device}${lsc.devices.length ? ` devices ${lsc.devices.join(',')}` : ''}), concurrency ${op.concurrency}, ${session.intraOpThreads} threads per session, ${op.preprocessWorkers} preprocessing workers`,
      `labels: ${labels.source ?? 'class indices (no label list)'}`,
      `warm-up inference ${warmupMs.toFixed(0)} ms`,
      `http_port ${boundHttp ?? '(off)'}: POST /${op.name}/prediction, POST /v2/models/${modelName}/infer, GET /health, GET /metrics${config.webUi ? ', web page GET /' : ''}; rpc_port ${boundRpc ?? '(off)'}: PipelineService/inference, GRPCInferenceService`,
    ];
    for (const l of lines) log.info(l);
    for (const l of lines) say(l);

    return {
      httpPort: boundHttp,
      rpcPort: boundRpc,
      provider,
      op: videoOp,
      logger: log,
      logDir: logs.dir,
      warmupMs,
      warmupWarning,
      close: async () => {
        if (closing) return;
        closing = true;
        log.info('shutting down: no new requests; finishing in-flight ones');
        // Refuse new predictions at once, then let listeners finish what they have.
        const drained = videoOp.drain();
        await streams?.close();
        await Promise.all([app ? stopHttp(app) : undefined, grpcServer ? stopGrpc(grpcServer) : undefined, drained]);
        await videoOp.close();
        log.info('stopped');
        await logs.close();
      },
    };
  } catch (e) {
    await app?.close().catch(() => {});
    await streams?.close().catch(() => {});
    grpcServer?.forceShutdown();
    await Promise.all([prepare?.close(), infer?.close()]).catch(() => {});
    const msg = (e as Error).message;
    log.error(`startup failed: ${msg}`);
    await logs.close();
    throw e instanceof StartupError ? e : new StartupError(msg);
  }
}
