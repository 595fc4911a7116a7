// `npm run bench [-- --quick] [-- --requests N]`: what vidserve adds to the model's own cost.
//
// On the full-size PP-TSM with synthetic weights (built and converted by our own CLI, cached in models/bench/):
//   1. bare onnxruntime session.run latency for [1,8,3,224,224] (the server's session options), the same for a
//      plain temporal-shift translation, and saturation throughput with parallel sessions;
//   2. the real server (`vidserve serve` as a child process) end to end for example.avi: HTTP and gRPC, raw frames
//      (the seed's protocol) and compressed video, with the server's own per-stage timings from pipeline.log;
//   3. compressed-video throughput at concurrency 1, 2, 4, with and without dynamic batching; peak server RSS;
//   4. the ratios against the goals. Prints a table and writes bench/results.json.
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bareLatencyInterleaved, OrtWorker, SaturationRig, type BareLatency, type BareSaturation } from './lib/bare.ts';
import { ensureBenchModels } from './lib/models.ts';
import { ensureBenchClips, type BenchClip } from './lib/clips.ts';
import { DEMO_DIRS, renderTestClip } from '../src/cli/demo.ts';
import { buildRequest } from '../src/client/payload.ts';
import { closedLoop, makeClient, mergeBlocks, sequential, type Sent, type Throughput } from './lib/load.ts';
import type { VideoClient } from '../src/client/index.ts';
import { readRequestLog, ServerProcess, type LoggedTimings, type ServerConfigOptions } from './lib/server.ts';
import { median, ratio, round, summarize } from './lib/stats.ts';
import type { PipelineRequest } from '../src/protocol/types.ts';
import { STAGE_NAMES } from '../src/serving/op.ts';
import type { TransportKind } from '../src/client/index.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SHARED = path.resolve(REPO, '..', 'shared', 'data');
const DIMS = [1, 8, 3, 224, 224];
const STAGES = STAGE_NAMES;
const GOALS = { e2eVideoOverBare: 1.1, framesOverheadOverInference: 0.15, c4OverSaturation: 0.95, rssMb: 1536, hd1080OverBare: 1.6, hd720OverBare: 2, long10minOver2min: 1.3 };

interface Args {
  quick: boolean;
  requests: number;
  video?: string;
  out: string;
}

function usage(): string {
  return [
    'usage: npm run bench -- [--quick] [--requests N] [--video FILE] [--out FILE]',
    '  --quick        fewer runs (about 2 minutes on 2 idle cores)',
    '  --requests N   timed requests per end-to-end path (default 20, quick 4); throughput windows last N x 0.75 s (>= 6 s)',
    '  --video FILE   input video (default ../shared/data/example.avi, else a generated ffmpeg testsrc clip)',
    '  --out FILE     results file (default bench/results.json)',
  ].join('\n');
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, requests: 0, out: path.join(REPO, 'bench', 'results.json') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value\n${usage()}`);
      return v;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--requests') {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < 2) throw new Error(`--requests must be an integer >= 2, got ${JSON.stringify(v)}`);
      a.requests = Number(v);
    } else if (k === '--video') a.video = path.resolve(val());
    else if (k === '--out') a.out = path.resolve(val());
    else if (k === '--help' || k === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown option ${k}\n${usage()}`);
  }
  if (!a.requests) a.requests = a.quick ? 4 : 20;
  return a;
}

const t0 = performance.now();
const log = (msg: string): void => {
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
};

/** The clip to send: example.avi, or (without ../shared) a testsrc clip of the same size, made once. */
async function inputVideo(args: Args): Promise<{ file: string; source: string }> {
  if (args.video) return { file: args.video, source: 'given with --video' };
  const example = path.join(SHARED, 'example.avi');
  if (existsSync(example)) return { file: example, source: '../shared/data/example.avi' };
  const file = path.join(REPO, 'models', 'bench', 'testsrc.avi');
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    // The demo's clip in example.avi's shape: 320x240 mpeg4 at 25 fps, 5.24 s = 131 frames.
    await renderTestClip(file, 5.24);
  }
  return { file, source: '../shared/data/example.avi is missing: generated ffmpeg testsrc 320x240, 131 frames, mpeg4 (models/bench/testsrc.avi)' };
}

interface PathResult {
  name: string;
  transport: TransportKind;
  mode: 'frames' | 'video';
  bodyMb: number;
  e2e: ReturnType<typeof summarize>;
  /** Median per stage from the server's log (ms); total = the server's own total. */
  stages: Record<string, number>;
  serverTotal: number;
  /** Median of (server total − infer) per request: what the server adds around the model run. */
  serverOverhead: number;
  /** Median of (client latency − server total): client encode + transport the server cannot see. */
  clientTransport: number;
  infer: number;
  /** Server process CPU (threads + ffmpeg children) per request, ms. */
  cpuMsPerReq: number | null;
  /** Bare session.run timed just before each request (same load as the request); the ratios use it. */
  pairedBare: ReturnType<typeof summarize>;
}

function joinLog(sent: Sent[], logged: Map<string, LoggedTimings>, what: string): LoggedTimings[] {
  const rows = sent.map((s) => logged.get(String(s.logid)));
  const missing = rows.filter((r) => !r).length;
  if (missing) log(`warning: ${missing} of ${sent.length} ${what} requests have no line in the server's pipeline.log`);
  return rows.filter((r): r is LoggedTimings => !!r);
}

function pathResult(
  name: string,
  transport: TransportKind,
  mode: 'frames' | 'video',
  req: PipelineRequest,
  sent: Sent[],
  logged: Map<string, LoggedTimings>,
  cpuMs: number | null,
  pairedBare: number[],
): PathResult {
  const rows = joinLog(sent, logged, name);
  const stages: Record<string, number> = {};
  for (const k of [...STAGES, 'total']) {
    const xs = rows.map((r) => r.timings[k]).filter((v): v is number => v !== undefined);
    if (xs.length) stages[k] = median(xs);
  }
  const byId = new Map(rows.map((r) => [r.logid, r]));
  const clientTransport = sent.flatMap((s) => {
    const r = byId.get(String(s.logid));
    return r?.timings.total !== undefined ? [s.latencyMs - r.timings.total] : [];
  });
  return {
    name,
    transport,
    mode,
    bodyMb: req.value.reduce((n, v) => n + v.length, 0) / 2 ** 20,
    e2e: summarize(sent.map((s) => s.latencyMs)),
    stages,
    serverTotal: stages.total ?? NaN,
    serverOverhead: median(rows.map((r) => (r.timings.total ?? NaN) - (r.timings.infer ?? NaN)).filter(Number.isFinite)),
    clientTransport: median(clientTransport),
    infer: stages.infer ?? NaN,
    cpuMsPerReq: cpuMs === null ? null : cpuMs / sent.length,
    pairedBare: summarize(pairedBare),
  };
}

interface ThroughputResult {
  label: string;
  concurrency: number;
  requests: number;
  rps: number;
  rpsCount: number;
  windowMs: number;
  latency: ReturnType<typeof summarize>;
  /** Median model-run batch size seen in the log (dynamic batching). */
  batch: number | null;
  inferP50: number | null;
  queueP50: number | null;
  peakRssMb: number;
  cpuMsPerReq: number | null;
  /** Bare saturation measured in blocks alternating with this load's blocks (same machine load), videos/s. */
  pairedSatRps: number | null;
  pairedSatCpuMsPerRun: number | null;
}

/** Runs a closed loop and reads what the server logged and spent for it. */
async function measureThroughput(label: string, server: ServerProcess, run: () => Promise<Throughput>): Promise<ThroughputResult> {
  server.resetPeak();
  const c0 = server.cpuMs();
  const t = await run();
  const c1 = server.cpuMs();
  return throughputResult(label, t, server, c0 === null || c1 === null ? null : (c1 - c0) / t.answeredTotal);
}

function throughputResult(label: string, t: Throughput, server: ServerProcess, cpuMsPerReq: number | null): ThroughputResult {
  const rows = joinLog(t.sent, readRequestLog(server.logFile), label);
  const batches = rows.map((r) => r.batch).filter((b): b is number => b !== undefined);
  const inf = rows.map((r) => r.timings.infer).filter((v): v is number => v !== undefined);
  const q = rows.map((r) => r.timings.queue).filter((v): v is number => v !== undefined);
  return {
    label,
    concurrency: t.concurrency,
    requests: t.requests,
    rps: t.rps,
    rpsCount: t.rpsCount,
    windowMs: t.windowMs,
    latency: summarize(t.sent.map((s) => s.latencyMs)),
    batch: batches.length ? median(batches) : null,
    inferP50: inf.length ? median(inf) : null,
    queueP50: q.length ? median(q) : null,
    peakRssMb: server.windowPeakMb,
    cpuMsPerReq,
    pairedSatRps: null,
    pairedSatCpuMsPerRun: null,
  };
}

/**
 * c=4 closed loop in `blocks` blocks, each preceded by a block of bare saturation runs (server idle meanwhile):
 * throughput and the bare saturation it is compared with are then measured over the same minutes.
 */
async function pairedC4(
  label: string,
  server: ServerProcess,
  client: VideoClient,
  req: PipelineRequest,
  o: { rig: SaturationRig; windowMs: number; warmupMs: number; blocks: number; satRunsEach: number },
): Promise<ThroughputResult> {
  const per = o.windowMs / o.blocks;
  const sat = { runs: 0, wallMs: 0, cpuMs: 0 };
  const r = await measureThroughput(label, server, async () => {
    const parts: Throughput[] = [];
    for (let b = 0; b < o.blocks; b++) {
      const x = await o.rig.block(o.satRunsEach);
      sat.runs += x.times.length;
      sat.wallMs += x.wallMs;
      sat.cpuMs += x.cpuMs;
      parts.push(await closedLoop(client, req, { concurrency: 4, warmupMs: o.warmupMs, windowMs: per }));
    }
    return mergeBlocks(parts);
  });
  return { ...r, pairedSatRps: sat.runs / (sat.wallMs / 1000), pairedSatCpuMsPerRun: sat.cpuMs / sat.runs };
}

async function withServer<T>(config: ServerConfigOptions, what: string, fn: (s: ServerProcess) => Promise<T>): Promise<{ value: T; hwmMb: number; warmupMs: number | null }> {
  log(`server (${what}): starting vidserve serve`);
  const s = await ServerProcess.start(config);
  log(`server (${what}): pid ${s.pid}, http ${s.httpPort}, grpc ${s.rpcPort}, warm-up ${s.warmupMs ?? '?'} ms, RSS ${s.rss()?.rssMb.toFixed(0)} MB`);
  try {
    const value = await fn(s);
    const hwmMb = s.rss()?.hwmMb ?? NaN;
    return { value, hwmMb, warmupMs: s.warmupMs };
  } finally {
    const code = await s.stop();
    // Its working dir holds only the config and PipelineServingLogs; kept when something went wrong.
    if (code !== 0) log(`warning: server (${what}) exited with ${code}; logs kept in ${s.cwd}; its output:\n${s.output.slice(-20).join('\n')}`);
    else await rm(s.cwd, { recursive: true, force: true });
  }
}

// ---- formatting ----
const f1 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(1));
const f2 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2));
const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const w = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const loadStart = os.loadavg();
  log(`${args.quick ? 'quick' : 'full'} run, ${args.requests} requests per path; ${cores} cores, load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  if (loadStart[0]! > cores * 0.5) log(`note: the machine is busy (1-min load ${loadStart[0]!.toFixed(2)} on ${cores} cores); absolute figures will be slower than on an idle machine`);

  const labels = path.join(SHARED, 'Kinetics-400_label_list.txt');
  const labelList = existsSync(labels) ? labels : undefined;
  const models = await ensureBenchModels(log);
  if (models.built) log(`models: plain translation built in ${(models.buildMs / 1000).toFixed(1)} s`);

  const video = await inputVideo(args);
  log(`input: ${video.source}`);
  // Real-video inputs (HD, long): H.264 with x264's default GOP and B-frames, rendered once.
  const clips = await ensureBenchClips(path.join(DEMO_DIRS.root, 'bench', 'clips'), log);
  const reqClips = await Promise.all(clips.map(async (c) => ({ clip: c, req: await buildRequest(c.file, { mode: 'video' }) })));

  // Requests are built once; the client decodes every frame for the frames protocol, as the seed's client does.
  const reqFrames = await buildRequest(video.file, { mode: 'frames' });
  const reqVideo = await buildRequest(video.file, { mode: 'video' });

  // ---- 1. bare onnxruntime ----
  const q = args.quick;
  const bareRuns = q ? 5 : 20;
  // Two warm-ups even in quick runs: a fresh server's first requests pay for JIT and cold caches.
  const warm = 2;
  // The server's session options at concurrency 1: all cores to one session (server.ts: floor(cores / concurrency)).
  // The served (fast temporal shift) and the plain translation run interleaved, so load changes hit both alike.
  log(`bare: session.run latency, fast and plain translations interleaved (${warm} warm-up + ${bareRuns} runs each, ${cores} intra-op threads)`);
  const [bare, plain] = (await bareLatencyInterleaved([models.fastOnnx, models.plainOnnx], DIMS, { intraOpThreads: cores, warmup: warm, runs: bareRuns })) as [
    BareLatency,
    BareLatency,
  ];
  log(`bare: p50 ${f1(bare.p50)} ms, p90 ${f1(bare.p90)} ms; plain translation p50 ${f1(plain.p50)} ms`);
  const satEach = q ? 3 : 6;
  const saturation: BareSaturation[] = [];
  // One session with every core, and one session per core with one thread each: the runtime's best is the floor.
  // The best shape stays loaded beside the servers, for saturation blocks alternating with the c=4 blocks.
  log(`bare: saturation, 1 session x ${cores} threads, ${satEach * 2} runs`);
  let rig = await SaturationRig.start(models.fastOnnx, DIMS, { sessions: 1, intraOpThreads: cores });
  saturation.push(await rig.saturation(satEach * 2));
  if (cores > 1) {
    log(`bare: saturation, ${cores} sessions x 1 thread, ${satEach} runs each`);
    const perCore = await SaturationRig.start(models.fastOnnx, DIMS, { sessions: cores, intraOpThreads: 1 });
    saturation.push(await perCore.saturation(satEach));
    const [keep, drop] = saturation[1]!.throughput > saturation[0]!.throughput ? [perCore, rig] : [rig, perCore];
    await drop.close();
    rig = keep;
  }
  const bestSat = saturation.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  for (const s of saturation) log(`bare saturation: ${s.sessions} x ${s.intraOpThreads} threads: ${f2(s.throughput)} videos/s`);
  // Throughput windows: 0.75 s per --requests, at least 6 s; each (block) after a warm-up longer than one c=4 latency.
  const windowMs = Math.max(6000, args.requests * 750);
  const c4Pairing = { rig, blocks: q ? 2 : 3, satRunsEach: q ? 2 : 3, windowMs, warmupMs: q ? 2000 : 2500 };

  // ---- 2. the server: end to end, then throughput ----
  const n = args.requests;
  const base: ServerConfigOptions = { servingDir: models.servingDir, concurrency: 1, queueSize: 16, labelList };
  const paths: [string, TransportKind, 'frames' | 'video', PipelineRequest][] = [
    ['HTTP frames', 'http', 'frames', reqFrames],
    ['HTTP video', 'http', 'video', reqVideo],
    ['gRPC frames', 'grpc', 'frames', reqFrames],
    ['gRPC video', 'grpc', 'video', reqVideo],
  ];
  let framesPeakMb = 0;
  const main1 = await withServer(base, 'concurrency 1', async (s) => {
    const e2e: PathResult[] = [];
    const sentBy: Sent[][] = [];
    const cpuBy: (number | null)[] = [];
    const bareBy: number[][] = [];
    // A bare session beside the server, run once before each timed request: on a shared machine the load changes
    // by the minute, and a ratio of two figures taken at different minutes would measure the neighbours.
    const paired = await OrtWorker.start({ onnxPath: models.fastOnnx, session: { intraOpThreads: cores } });
    try {
      await paired.run(1, DIMS);
      for (const [name, transport, , req] of paths) {
        log(`e2e: ${name} (${warm} warm-up + ${n} requests, each after a paired bare run)`);
        const client = makeClient(transport, transport === 'http' ? s.httpPort : s.rpcPort);
        const bareTimes: number[] = [];
        try {
          await sequential(client, req, { warmup: warm, count: 0 });
          const c0 = s.cpuMs();
          sentBy.push(await sequential(client, req, { warmup: 0, count: n, before: async () => void bareTimes.push(...(await paired.run(1, DIMS))) }));
          const c1 = s.cpuMs();
          cpuBy.push(c0 === null || c1 === null ? null : c1 - c0);
          bareBy.push(bareTimes);
        } finally {
          client.close();
        }
        if (name.endsWith('frames')) framesPeakMb = Math.max(framesPeakMb, s.windowPeakMb);
      }
      // HD and long videos, compressed over HTTP: fewer requests (each decodes a real video).
      const clipN = q ? 3 : Math.max(4, Math.ceil(n / 3));
      for (const { clip, req } of reqClips) {
        log(`e2e: HTTP video, ${clip.label} (1 warm-up + ${clipN} requests, each after a paired bare run)`);
        const client = makeClient('http', s.httpPort);
        const bareTimes: number[] = [];
        try {
          await sequential(client, req, { warmup: 1, count: 0 });
          const c0 = s.cpuMs();
          sentBy.push(await sequential(client, req, { warmup: 0, count: clipN, before: async () => void bareTimes.push(...(await paired.run(1, DIMS))) }));
          const c1 = s.cpuMs();
          cpuBy.push(c0 === null || c1 === null ? null : c1 - c0);
          bareBy.push(bareTimes);
        } finally {
          client.close();
        }
      }
    } finally {
      await paired.close();
    }
    const logged = readRequestLog(s.logFile);
    const allPaths: [string, TransportKind, 'frames' | 'video', PipelineRequest][] = [
      ...paths,
      ...reqClips.map(({ clip, req }): [string, TransportKind, 'frames' | 'video', PipelineRequest] => [`HTTP ${clip.key}`, 'http', 'video', req]),
    ];
    allPaths.forEach(([name, transport, mode, req], i) => {
      const r = pathResult(name, transport, mode, req, sentBy[i]!, logged, cpuBy[i]!, bareBy[i]!);
      e2e.push(r);
      log(`e2e: ${name}: p50 ${f1(r.e2e.p50)} ms (server ${f1(r.serverTotal)}, infer ${f1(r.infer)}; paired bare p50 ${f1(r.pairedBare.p50)})`);
    });
    const tput: ThroughputResult[] = [];
    const client = makeClient('http', s.httpPort);
    try {
      for (const c of [1, 2, 4]) {
        log(`throughput: HTTP video, concurrency ${c}, ${(windowMs / 1000).toFixed(0)} s window${c === 4 ? ` in ${c4Pairing.blocks} blocks, each after a bare saturation block` : ''}`);
        const r =
          c === 4
            ? await pairedC4('c4', s, client, reqVideo, c4Pairing)
            : await measureThroughput(`c${c}`, s, () => closedLoop(client, reqVideo, { concurrency: c, warmupMs: c4Pairing.warmupMs, windowMs }));
        tput.push(r);
        log(`throughput c${c}: ${f2(r.rps)} req/s (p50 latency ${f1(r.latency.p50)} ms, peak RSS ${f1(r.peakRssMb)} MB)`);
      }
    } finally {
      client.close();
    }
    return { e2e, tput };
  });

  // Dynamic batching: same load at c=4, requests gathered up to batch_size 4 within 100 ms.
  const batchCfg = { batchSize: 4, autoBatchingTimeoutMs: 100 };
  const batched = await withServer({ ...base, ...batchCfg }, `batch_size ${batchCfg.batchSize}`, async (s) => {
    const client = makeClient('http', s.httpPort);
    try {
      await sequential(client, reqVideo, { warmup: 1, count: 0 });
      log(`throughput: HTTP video, concurrency 4, dynamic batching (batch_size ${batchCfg.batchSize}, auto_batching_timeout ${batchCfg.autoBatchingTimeoutMs} ms)`);
      const r = await pairedC4('c4 batching', s, client, reqVideo, c4Pairing);
      log(`throughput c4 batching: ${f2(r.rps)} req/s (median batch ${r.batch ?? '-'}, p50 latency ${f1(r.latency.p50)} ms)`);
      return r;
    } finally {
      client.close();
    }
  });

  // Two sessions of one thread each (the other shape of the bare saturation), full runs only.
  let twoSessions: { value: ThroughputResult; hwmMb: number } | null = null;
  if (!q && cores > 1) {
    twoSessions = await withServer({ ...base, concurrency: cores }, `concurrency ${cores}`, async (s) => {
      const client = makeClient('http', s.httpPort);
      try {
        await sequential(client, reqVideo, { warmup: cores, count: 0 });
        log(`throughput: HTTP video, concurrency 4, server op concurrency ${cores} (${cores} sessions x 1 thread)`);
        const r = await pairedC4(`c4 op concurrency ${cores}`, s, client, reqVideo, c4Pairing);
        log(`throughput c4, op concurrency ${cores}: ${f2(r.rps)} req/s`);
        return r;
      } finally {
        client.close();
      }
    });
  }

  await rig.close();

  // ---- 3. ratios and goals ----
  const { e2e, tput } = main1.value;
  const byName = (name: string) => e2e.find((r) => r.name === name)!;
  const c4 = tput.find((t) => t.concurrency === 4)!;
  // Against the bare runs paired with the same requests (same load); the unpaired figure is kept beside it.
  const e2eVideoHttp = ratio(byName('HTTP video').e2e.p50, byName('HTTP video').pairedBare.p50);
  const e2eVideoGrpc = ratio(byName('gRPC video').e2e.p50, byName('gRPC video').pairedBare.p50);
  const framesHttp = ratio(byName('HTTP frames').serverOverhead, byName('HTTP frames').infer);
  const framesGrpc = ratio(byName('gRPC frames').serverOverhead, byName('gRPC frames').infer);
  const worst = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  const clipPath = (c: BenchClip) => byName(`HTTP ${c.key}`);
  const clipOverBare = (key: string) => {
    const c = clips.find((x) => x.key === key)!;
    return ratio(clipPath(c).e2e.p50, clipPath(c).pairedBare.p50);
  };
  const clipP50 = (key: string) => clipPath(clips.find((x) => x.key === key)!).e2e.p50;
  const ratios = {
    // Real videos (compressed, HTTP), against the bare runs paired with their requests.
    video_1080p_10s_over_bare: clipOverBare('video_1080p_10s'),
    video_720p_2min_over_bare: clipOverBare('video_720p_2min'),
    video_720p_10min_over_bare: clipOverBare('video_720p_10min'),
    video_720p_10min_over_2min: ratio(clipP50('video_720p_10min'), clipP50('video_720p_2min')),
    // The worse of the two transports: both must meet the goal.
    e2e_video_p50_over_bare_p50: worst(e2eVideoHttp, e2eVideoGrpc),
    e2e_video_http_p50_over_bare_p50: e2eVideoHttp,
    e2e_video_grpc_p50_over_bare_p50: e2eVideoGrpc,
    e2e_video_http_p50_over_unpaired_bare_p50: ratio(byName('HTTP video').e2e.p50, bare.p50),
    frames_overhead_over_inference: worst(framesHttp, framesGrpc),
    frames_overhead_over_inference_http: framesHttp,
    frames_overhead_over_inference_grpc: framesGrpc,
    // Including what the server cannot see (client JSON/protobuf encoding and the transfer of ~40 MB).
    frames_e2e_overhead_over_inference_http: ratio(byName('HTTP frames').e2e.p50 - byName('HTTP frames').infer, byName('HTTP frames').infer),
    // Against the saturation blocks alternating with each c=4 run; the separate measurement is kept beside it.
    throughput_c4_over_bare_saturation: ratio(c4.rps, c4.pairedSatRps),
    throughput_c4_over_unpaired_bare_saturation: ratio(c4.rps, bestSat.throughput),
    throughput_c4_batching_over_bare_saturation: ratio(batched.value.rps, batched.value.pairedSatRps),
    throughput_c4_op_concurrency2_over_bare_saturation: twoSessions ? ratio(twoSessions.value.rps, twoSessions.value.pairedSatRps) : null,
    // Load-independent view of the throughput gap: CPU the server spends per video vs one bare run's CPU.
    server_cpu_per_request_c4_over_bare_cpu_per_run: ratio(c4.cpuMsPerReq, c4.pairedSatCpuMsPerRun),
    bare_fast_p50_over_plain_p50: ratio(bare.p50, plain.p50),
    server_infer_p50_over_bare_p50: ratio(byName('HTTP video').infer, bare.p50),
  };
  // The goal's load: the served configuration (op concurrency 1) through every path and c=4. The other
  // configurations' peaks are reported beside it.
  const peakRss = main1.hwmMb;
  const goals = {
    e2e_video: { goal: `<= ${GOALS.e2eVideoOverBare}`, value: round(ratios.e2e_video_p50_over_bare_p50, 3), met: (ratios.e2e_video_p50_over_bare_p50 ?? Infinity) <= GOALS.e2eVideoOverBare },
    frames_overhead: { goal: `<= ${GOALS.framesOverheadOverInference}`, value: round(ratios.frames_overhead_over_inference, 3), met: (ratios.frames_overhead_over_inference ?? Infinity) <= GOALS.framesOverheadOverInference },
    throughput_c4: { goal: `>= ${GOALS.c4OverSaturation}`, value: round(ratios.throughput_c4_over_bare_saturation, 3), met: (ratios.throughput_c4_over_bare_saturation ?? 0) >= GOALS.c4OverSaturation },
    rss: { goal: `< ${GOALS.rssMb} MB`, value: round(peakRss, 1), met: peakRss < GOALS.rssMb },
    video_1080p_10s: { goal: `<= ${GOALS.hd1080OverBare}`, value: round(ratios.video_1080p_10s_over_bare, 3), met: (ratios.video_1080p_10s_over_bare ?? Infinity) <= GOALS.hd1080OverBare },
    video_720p: {
      goal: `<= ${GOALS.hd720OverBare}`,
      value: round(worst(ratios.video_720p_2min_over_bare, ratios.video_720p_10min_over_bare), 3),
      met: (worst(ratios.video_720p_2min_over_bare, ratios.video_720p_10min_over_bare) ?? Infinity) <= GOALS.hd720OverBare,
    },
    video_720p_10min_over_2min: { goal: `<= ${GOALS.long10minOver2min}`, value: round(ratios.video_720p_10min_over_2min, 3), met: (ratios.video_720p_10min_over_2min ?? Infinity) <= GOALS.long10minOver2min },
  };
  const loadEnd = os.loadavg();

  // ---- 4. print ----
  const out: string[] = [];
  out.push('');
  out.push(`vidserve bench — PP-TSM (synthetic weights, full size), input [${DIMS.join(',')}], ${cores} cores, ${args.quick ? 'quick' : 'full'} run`);
  out.push(`input video: ${video.source}; frames body ${f1(byName('HTTP frames').bodyMb)} MB, video body ${f2(byName('HTTP video').bodyMb)} MB`);
  out.push(`load average at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`);
  out.push('');
  out.push(
    table(
      ['bare onnxruntime session.run', 'p50 ms', 'p90 ms', 'CPU ms/run', 'runs'],
      [
        [`fast temporal shift (served), ${cores} threads`, f1(bare.p50), f1(bare.p90), f1(bare.cpuMsPerRun), bare.n],
        [`plain temporal shift, ${cores} threads`, f1(plain.p50), f1(plain.p90), f1(plain.cpuMsPerRun), plain.n],
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['bare saturation', 'videos/s', 'run p50 ms', 'CPU ms/run', 'runs'],
      saturation.map((s) => [`${s.sessions} session(s) x ${s.intraOpThreads} thread(s)${s === bestSat ? ' (best)' : ''}`, f2(s.throughput), f1(s.perRun.p50), f1(s.cpuMsPerRun), s.runs]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['end to end (server stages: medians, ms)', 'bare p50', 'p50', 'p90', 'client+net', ...STAGES, 'server', 'overhead', 'CPU/req'],
      e2e.map((r) => [
        r.name,
        f1(r.pairedBare.p50),
        f1(r.e2e.p50),
        f1(r.e2e.p90),
        f1(r.clientTransport),
        ...STAGES.map((k) => f1(r.stages[k])),
        f1(r.serverTotal),
        f1(r.serverOverhead),
        f1(r.cpuMsPerReq),
      ]),
    ),
  );
  out.push('  (bare p50: session.run in the bench, one run just before each request; client+net: client encode + transfer,');
  out.push('   outside the server; overhead: server total − infer; CPU/req: server process CPU incl. its ffmpeg children)');
  out.push('');
  const tputRows = [...tput, batched.value, ...(twoSessions ? [twoSessions.value] : [])];
  out.push(
    table(
      ['HTTP video throughput', 'req/s', 'answers/window', 'paired bare', 'lat p50', 'lat p90', 'infer p50', 'queue p50', 'batch', 'CPU ms/req', 'peak RSS MB'],
      tputRows.map((t) => [
        t.label,
        f2(t.rps),
        `${t.requests}/${(t.windowMs / 1000).toFixed(0)}s = ${f2(t.rpsCount)}`,
        f2(t.pairedSatRps),
        f1(t.latency.p50),
        f1(t.latency.p90),
        f1(t.inferP50),
        f1(t.queueP50),
        t.batch ?? '-',
        f1(t.cpuMsPerReq),
        f1(t.peakRssMb),
      ]),
    ),
  );
  out.push(`  (req/s: from the spacing of the answers inside the measurement window(s); paired bare: ${bestSat.sessions} x ${bestSat.intraOpThreads}-thread bare saturation in blocks alternating with the c4 blocks)`);
  out.push('');
  out.push(`server peak RSS (VmHWM): ${f1(main1.hwmMb)} MB (concurrency 1; during the frames paths ${f1(framesPeakMb)} MB), batching ${f1(batched.hwmMb)} MB${twoSessions ? `, op concurrency ${cores} ${f1(twoSessions.hwmMb)} MB` : ''}`);
  out.push('');
  out.push(
    table(
      ['ratio', 'value', 'goal', 'met'],
      [
        ['e2e video p50 / paired bare p50 (worse of HTTP, gRPC)', f3(ratios.e2e_video_p50_over_bare_p50), goals.e2e_video.goal, goals.e2e_video.met ? 'yes' : 'NO'],
        ['  HTTP / gRPC', `${f3(e2eVideoHttp)} / ${f3(e2eVideoGrpc)}`, '', ''],
        ['  HTTP against the separate bare p50', f3(ratios.e2e_video_http_p50_over_unpaired_bare_p50), '', ''],
        ['frames server overhead / inference (worse of HTTP, gRPC)', f3(ratios.frames_overhead_over_inference), goals.frames_overhead.goal, goals.frames_overhead.met ? 'yes' : 'NO'],
        ['  HTTP / gRPC', `${f3(framesHttp)} / ${f3(framesGrpc)}`, '', ''],
        ['  HTTP frames incl. client+net', f3(ratios.frames_e2e_overhead_over_inference_http), '', ''],
        ['throughput c4 / paired bare saturation', f3(ratios.throughput_c4_over_bare_saturation), goals.throughput_c4.goal, goals.throughput_c4.met ? 'yes' : 'NO'],
        ['  against the separate saturation measurement', f3(ratios.throughput_c4_over_unpaired_bare_saturation), '', ''],
        ['  with dynamic batching', f3(ratios.throughput_c4_batching_over_bare_saturation), '', ''],
        ...(twoSessions ? [[`  with op concurrency ${cores}`, f3(ratios.throughput_c4_op_concurrency2_over_bare_saturation), '', '']] : []),
        ['server peak RSS MB (op concurrency 1, all paths + c4)', f1(peakRss), goals.rss.goal, goals.rss.met ? 'yes' : 'NO'],
        ['10 s 1080p H.264 e2e p50 / paired bare p50', f3(ratios.video_1080p_10s_over_bare), goals.video_1080p_10s.goal, goals.video_1080p_10s.met ? 'yes' : 'NO'],
        ['2 min / 10 min 720p H.264 e2e p50 / paired bare p50', `${f3(ratios.video_720p_2min_over_bare)} / ${f3(ratios.video_720p_10min_over_bare)}`, goals.video_720p.goal, goals.video_720p.met ? 'yes' : 'NO'],
        ['10 min 720p e2e p50 / 2 min 720p e2e p50', f3(ratios.video_720p_10min_over_2min), goals.video_720p_10min_over_2min.goal, goals.video_720p_10min_over_2min.met ? 'yes' : 'NO'],
        ['  batching / op concurrency ' + cores, `${f1(batched.hwmMb)} / ${twoSessions ? f1(twoSessions.hwmMb) : '-'}`, '', ''],
        ['server CPU per request (c4) / bare CPU per run', f3(ratios.server_cpu_per_request_c4_over_bare_cpu_per_run), '', ''],
        ['bare p50 fast / plain translation', f3(ratios.bare_fast_p50_over_plain_p50), '', ''],
        ['server infer p50 / bare p50 (HTTP video)', f3(ratios.server_infer_p50_over_bare_p50), '', ''],
      ],
    ),
  );
  console.log(out.join('\n'));

  // ---- 5. results.json ----
  const ms = (x: number | null | undefined) => round(x, 1);
  const lat = (s: BareLatency) => ({ p50_ms: ms(s.p50), p90_ms: ms(s.p90), min_ms: ms(s.min), runs: s.n, intra_op_threads: s.intraOpThreads, cpu_ms_per_run: ms(s.cpuMsPerRun) });
  const tp = (t: ThroughputResult) => ({
    concurrency: t.concurrency,
    answers_in_window: t.requests,
    window_s: round(t.windowMs / 1000, 1),
    rps: round(t.rps, 3),
    rps_count: round(t.rpsCount, 3),
    latency_p50_ms: ms(t.latency.p50),
    latency_p90_ms: ms(t.latency.p90),
    infer_p50_ms: ms(t.inferP50),
    queue_p50_ms: ms(t.queueP50),
    median_batch: t.batch,
    peak_rss_mb: ms(t.peakRssMb),
    server_cpu_ms_per_request: ms(t.cpuMsPerReq),
    paired_bare_saturation_rps: round(t.pairedSatRps, 3),
    paired_bare_cpu_ms_per_run: ms(t.pairedSatCpuMsPerRun),
  });
  const results = {
    meta: {
      date: new Date().toISOString(),
      mode: args.quick ? 'quick' : 'full',
      requests_per_path: n,
      cores,
      node: process.version,
      loadavg_start: loadStart.map((l) => round(l, 2)),
      loadavg_end: loadEnd.map((l) => round(l, 2)),
      video: video.source,
      video_bytes: (await stat(video.file)).size,
      clips: Object.fromEntries(await Promise.all(clips.map(async (c) => [c.key, { label: c.label, file: path.relative(REPO, c.file), frames: c.frames, bytes: (await stat(c.file)).size }] as const))),
      frames_body_mb: round(byName('HTTP frames').bodyMb, 1),
      models: { serving_dir: path.relative(REPO, models.servingDir), plain_onnx: path.relative(REPO, models.plainOnnx), built_now: models.built },
      duration_s: round((performance.now() - t0) / 1000, 0),
    },
    bare: {
      ...lat(bare),
      translation: { fast: lat(bare), plain: lat(plain), fast_over_plain: round(ratios.bare_fast_p50_over_plain_p50, 3) },
      plain_p50_ms: ms(plain.p50),
      saturation_rps: round(bestSat.throughput, 3),
      saturation: saturation.map((s) => ({ sessions: s.sessions, intra_op_threads: s.intraOpThreads, runs: s.runs, rps: round(s.throughput, 3), run_p50_ms: ms(s.perRun.p50), cpu_ms_per_run: ms(s.cpuMsPerRun) })),
    },
    e2e: Object.fromEntries(
      e2e.map((r) => [
        r.name.toLowerCase().replace(/\s+/g, '_'),
        {
          transport: r.transport,
          mode: r.mode,
          body_mb: round(r.bodyMb, 2),
          p50_ms: ms(r.e2e.p50),
          p90_ms: ms(r.e2e.p90),
          requests: r.e2e.n,
          paired_bare_p50_ms: ms(r.pairedBare.p50),
          client_transport_p50_ms: ms(r.clientTransport),
          server_total_p50_ms: ms(r.serverTotal),
          server_overhead_p50_ms: ms(r.serverOverhead),
          server_cpu_ms_per_request: ms(r.cpuMsPerReq),
          stages_p50_ms: Object.fromEntries(Object.entries(r.stages).map(([k, v]) => [k, ms(v)])),
        },
      ]),
    ),
    throughput: {
      video_http: Object.fromEntries(tput.map((t) => [`c${t.concurrency}`, tp(t)])),
      dynamic_batching: { batch_size: batchCfg.batchSize, auto_batching_timeout_ms: batchCfg.autoBatchingTimeoutMs, c4: tp(batched.value), without_c4_rps: round(c4.rps, 3) },
      op_concurrency_cores: twoSessions ? { op_concurrency: cores, c4: tp(twoSessions.value) } : null,
    },
    server: {
      peak_rss_mb: ms(peakRss),
      peak_rss_mb_concurrency1: ms(main1.hwmMb),
      peak_rss_mb_frames_paths: ms(framesPeakMb),
      peak_rss_mb_c4: ms(c4.peakRssMb),
      peak_rss_mb_batching: ms(batched.hwmMb),
      peak_rss_mb_op_concurrency_cores: twoSessions ? ms(twoSessions.hwmMb) : null,
      warmup_ms: main1.warmupMs,
    },
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)])),
    goals,
  };
  await mkdir(path.dirname(args.out), { recursive: true });
  await writeFile(args.out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), args.out) || args.out} (${((performance.now() - t0) / 1000).toFixed(0)} s in all)`);
  await (await import('./zoo.ts')).runZooBench({ quick: args.quick, log }); // the model zoo's bare latency (bench/zoo.ts)
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench failed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
