// Bare onnxruntime: session.run latency and saturation throughput on the converted model, no server involved.
// Sessions live in worker threads (run blocks its thread) and use the server's session options.
import { Worker } from 'node:worker_threads';
import type { OrtWorkerInit, OrtWorkerReply, OrtWorkerTask } from './ort-worker.ts';
import { summarize, type Summary } from './stats.ts';

const WORKER_URL = new URL('./ort-worker.ts', import.meta.url).href;
const TSX_API = import.meta.resolve('tsx/esm/api');
// `--import tsx` does not reach worker threads on Node 20: register tsx inside the worker, then load it.
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL)}); })
  .catch((e) => { require('node:worker_threads').parentPort.postMessage({ kind: 'error', message: String(e && e.stack || e) }); });`;

/** One bench worker thread with its own session. */
export class OrtWorker {
  private constructor(private readonly w: Worker) {}

  static start(init: OrtWorkerInit): Promise<OrtWorker> {
    const w = new Worker(BOOTSTRAP, { eval: true, workerData: init });
    return new Promise((resolve, reject) => {
      w.once('message', (m: OrtWorkerReply) => (m.kind === 'ready' ? resolve(new OrtWorker(w)) : reject(new Error(m.kind === 'error' ? m.message : 'unexpected reply'))));
      w.once('error', reject);
    });
  }

  run(count: number, dims: number[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.w.once('message', (m: OrtWorkerReply) => (m.kind === 'done' ? resolve(m.times) : reject(new Error(m.kind === 'error' ? m.message : 'unexpected reply'))));
      this.w.postMessage({ kind: 'run', count, dims } satisfies OrtWorkerTask);
    });
  }

  async close(): Promise<void> {
    this.w.postMessage({ kind: 'close' });
    await this.w.terminate();
  }
}

export interface BareLatency extends Summary {
  intraOpThreads: number;
  /** Process CPU time (all threads) per run, ms: what one video costs the machine. */
  cpuMsPerRun: number;
}

/** CPU time of this whole process (every thread, onnxruntime's pools included), ms. */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Sequential session.run latency of several models, runs interleaved (A B, B A, A B, ...) so that a change in the
 * machine's load during the measurement falls on every model alike: the fair way to compare two translations.
 */
export async function bareLatencyInterleaved(
  onnxPaths: string[],
  dims: number[],
  o: { intraOpThreads: number; warmup: number; runs: number },
): Promise<BareLatency[]> {
  const workers: OrtWorker[] = [];
  try {
    for (const p of onnxPaths) workers.push(await OrtWorker.start({ onnxPath: p, session: { intraOpThreads: o.intraOpThreads } }));
    for (const w of workers) if (o.warmup) await w.run(o.warmup, dims);
    const times: number[][] = workers.map(() => []);
    const cpu: number[] = workers.map(() => 0);
    for (let r = 0; r < o.runs; r++) {
      const order = workers.map((_, i) => i);
      if (r % 2) order.reverse();
      for (const i of order) {
        const c0 = processCpuMs();
        times[i]!.push(...(await workers[i]!.run(1, dims)));
        cpu[i]! += processCpuMs() - c0;
      }
    }
    return times.map((t, i) => ({ ...summarize(t), intraOpThreads: o.intraOpThreads, cpuMsPerRun: cpu[i]! / o.runs }));
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

export interface BareSaturation {
  sessions: number;
  intraOpThreads: number;
  runs: number;
  wallMs: number;
  /** Model runs (videos) per second over all sessions. */
  throughput: number;
  perRun: Summary;
  cpuMsPerRun: number;
}

/**
 * `sessions` sessions with `intraOpThreads` threads each, warmed up by one run each. Measured once for the saturation
 * table (`saturation`), the best shape is kept alive so that blocks of bare runs can alternate with blocks of server
 * load: the two throughputs of a ratio then see the same machine load.
 */
export class SaturationRig {
  private constructor(
    private readonly workers: OrtWorker[],
    private readonly dims: number[],
    readonly sessions: number,
    readonly intraOpThreads: number,
  ) {}

  static async start(onnxPath: string, dims: number[], o: { sessions: number; intraOpThreads: number }): Promise<SaturationRig> {
    const workers = await Promise.all(Array.from({ length: o.sessions }, () => OrtWorker.start({ onnxPath, session: { intraOpThreads: o.intraOpThreads } })));
    const rig = new SaturationRig(workers, dims, o.sessions, o.intraOpThreads);
    await rig.block(1);
    return rig;
  }

  /** Every session runs `runsEach` back to back, all at once. */
  async block(runsEach: number): Promise<{ times: number[]; wallMs: number; cpuMs: number }> {
    const t0 = performance.now();
    const c0 = processCpuMs();
    const times = (await Promise.all(this.workers.map((w) => w.run(runsEach, this.dims)))).flat();
    return { times, wallMs: performance.now() - t0, cpuMs: processCpuMs() - c0 };
  }

  /** One block of `runsEach` runs per session; throughput = runs / wall. */
  async saturation(runsEach: number): Promise<BareSaturation> {
    const { times, wallMs, cpuMs } = await this.block(runsEach);
    const runs = times.length;
    return { sessions: this.sessions, intraOpThreads: this.intraOpThreads, runs, wallMs, throughput: runs / (wallMs / 1000), perRun: summarize(times), cpuMsPerRun: cpuMs / runs };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
