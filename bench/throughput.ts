// `node --import tsx bench/throughput.ts [--blocks N] [--window S] [--variant name:key=value,...]...`
// A/B of server configurations at concurrency 4, interleaved in one run: every variant's server stays up, and blocks
// of bare saturation and of each variant's c4 load alternate (order reversed every block), so the machine's load
// changes fall on all alike. Prints throughput over the paired bare saturation, single-request latency (requests
// alternating between variants), and where the server's CPU goes per request, thread by thread (from /proc): the
// two busiest threads under c4 are the model run's, `ffmpeg` is the decoders (the spawner's reaped children).
// Example: --variant 'c1:concurrency=1' --variant 'c2:concurrency=2' --variant 'b4:concurrency=1,batchSize=4,autoBatchingTimeoutMs=0'
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaturationRig } from './lib/bare.ts';
import { ensureBenchModels } from './lib/models.ts';
import { closedLoop, makeClient, sequential } from './lib/load.ts';
import { readRequestLog, ServerProcess, type ServerConfigOptions } from './lib/server.ts';
import { median } from './lib/stats.ts';
import { buildRequest } from '../src/client/payload.ts';
import { renderTestClip } from '../src/cli/demo.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DIMS = [1, 8, 3, 224, 224];

interface Variant {
  name: string;
  config: Partial<ServerConfigOptions>;
}

function parseArgs(argv: string[]): { blocks: number; windowMs: number; latencyRuns: number; variants: Variant[] } {
  const o = { blocks: 3, windowMs: 6000, latencyRuns: 8, variants: [] as Variant[] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--blocks') o.blocks = Number(v);
    else if (k === '--window') o.windowMs = Number(v) * 1000;
    else if (k === '--latency-runs') o.latencyRuns = Number(v);
    else if (k === '--variant') {
      const [name, spec = ''] = v.split(':');
      const config: Record<string, number> = {};
      for (const kv of spec.split(',').filter(Boolean)) {
        const [key, val] = kv.split('=');
        if (!['concurrency', 'threadNum', 'batchSize', 'autoBatchingTimeoutMs', 'queueSize'].includes(key!)) throw new Error(`unknown variant key ${key}`);
        config[key!] = Number(val);
      }
      o.variants.push({ name: name!, config });
    } else throw new Error(`unknown option ${k}`);
  }
  if (!o.variants.length) o.variants.push({ name: 'shipped', config: { concurrency: 1 } });
  return o;
}

/** CPU ms of every thread of a process tree, keyed "<process>:<thread>" (the main thread is "main"). */
function threadCpu(pid: number, label = 'server', out = new Map<string, number>(), depth = 0): Map<string, number> {
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  const fields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const f = fields(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      add(`${label}:${tid === String(pid) ? 'main' : tid}`, (Number(f[11]) + Number(f[12])) * 10);
      let children: string[] = [];
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      } catch {
        // the thread ended meanwhile
      }
      if (depth < 3) for (const c of children) threadCpu(Number(c), depth === 0 ? 'spawner' : 'ffmpeg', out, depth + 1);
    }
    const f = fields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    add(`${label === 'spawner' ? 'ffmpeg' : label}:reaped children`, (Number(f[13]) + Number(f[14])) * 10);
  } catch {
    // the process ended meanwhile
  }
  return out;
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const models = await ensureBenchModels((l) => console.error(l));
  const example = path.resolve(REPO, '..', 'shared', 'data', 'example.avi');
  const video = existsSync(example) ? example : path.join(REPO, 'models', 'bench', 'testsrc.avi');
  if (!existsSync(video)) await renderTestClip(video, 5.24);
  const req = await buildRequest(video, { mode: 'video' });
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const rig = await SaturationRig.start(models.fastOnnx, DIMS, { sessions: 1, intraOpThreads: cores });
  const servers: { v: Variant; s: ServerProcess; client: ReturnType<typeof makeClient> }[] = [];
  try {
    for (const v of args.variants) {
      const s = await ServerProcess.start({ servingDir: models.servingDir, concurrency: 1, queueSize: 16, ...v.config });
      const client = makeClient('http', s.httpPort);
      servers.push({ v, s, client });
      await sequential(client, req, { warmup: 2, count: 0 });
    }
    console.log(`${cores} cores, load average at start ${loadavg()}; ${args.blocks} blocks of ${args.windowMs / 1000} s per variant`);
    const sat = { runs: 0, wallMs: 0, cpuMs: 0 };
    type Acc = { answers: number; spanMs: number; total: number; cpu: Map<string, number>; logids: number[] };
    const acc = new Map<string, Acc>();
    for (let b = 0; b < args.blocks; b++) {
      const x = await rig.block(2);
      sat.runs += x.times.length;
      sat.wallMs += x.wallMs;
      sat.cpuMs += x.cpuMs;
      for (const { v, s, client } of b % 2 ? [...servers].reverse() : servers) {
        const c0 = threadCpu(s.pid);
        const t = await closedLoop(client, req, { concurrency: 4, warmupMs: 1500, windowMs: args.windowMs });
        const c1 = threadCpu(s.pid);
        const a: Acc = acc.get(v.name) ?? { answers: 0, spanMs: 0, total: 0, cpu: new Map(), logids: [] };
        a.answers += t.rateAnswers;
        a.spanMs += t.rateSpanMs;
        a.total += t.answeredTotal;
        for (const [k, ms] of c1) a.cpu.set(k, (a.cpu.get(k) ?? 0) + ms - (c0.get(k) ?? 0));
        a.logids.push(...t.sent.map((r) => r.logid));
        acc.set(v.name, a);
      }
    }
    const satRps = sat.runs / (sat.wallMs / 1000);
    console.log(`bare saturation (1 session x ${cores} threads): ${satRps.toFixed(3)} videos/s, CPU ${(sat.cpuMs / sat.runs).toFixed(1)} ms/run; load average ${loadavg()}`);
    const latency = new Map<string, number[]>();
    for (let i = 0; i < args.latencyRuns; i++) {
      for (const { v, client } of i % 2 ? [...servers].reverse() : servers) {
        const [r] = await sequential(client, req, { warmup: 0, count: 1 });
        latency.set(v.name, [...(latency.get(v.name) ?? []), r!.latencyMs]);
      }
    }
    for (const { v, s } of servers) {
      const a = acc.get(v.name)!;
      const rps = a.answers / (a.spanMs / 1000);
      const logged = readRequestLog(s.logFile);
      const rows = a.logids.map((id) => logged.get(String(id))).filter((r) => r !== undefined);
      const stage = (k: string) => median(rows.map((r) => r.timings[k]).filter((x): x is number => x !== undefined)).toFixed(1);
      const cpu = [...a.cpu].filter(([, ms]) => ms > 0).sort((x, y) => y[1] - x[1]);
      const total = cpu.reduce((n, [, ms]) => n + ms, 0);
      console.log(
        `\n${v.name} ${JSON.stringify(v.config)}: c4 ${rps.toFixed(3)} req/s = ${(rps / satRps).toFixed(3)} x bare saturation; ` +
          `c1 latency p50 ${median(latency.get(v.name)!).toFixed(1)} ms; c4 stage p50s: decode ${stage('decode')}, preprocess ${stage('preprocess')}, queue ${stage('queue')}, infer ${stage('infer')}; ` +
          `server CPU ${(total / a.total).toFixed(1)} ms/request (bare ${(sat.cpuMs / sat.runs).toFixed(1)} ms/run)`,
      );
      for (const [k, ms] of cpu) if (ms / a.total >= 1) console.log(`  ${k.padEnd(24)} ${(ms / a.total).toFixed(1).padStart(7)} ms/request`);
    }
    console.log(`\nload average at end ${loadavg()}`);
  } finally {
    for (const { s, client } of servers) {
      client.close();
      await s.stop();
    }
    await rig.close();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
