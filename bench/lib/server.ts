// The real server as a child process (`vidserve serve`), so its memory is its own: started on free ports in a
// temp working directory (its PipelineServingLogs land there), RSS polled from /proc, per-request stage timings
// read back from its pipeline.log by logid.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type ServerProcess as DemoServer } from '../../src/cli/demo.ts';

export interface ServerConfigOptions {
  servingDir: string;
  concurrency: number;
  batchSize?: number;
  autoBatchingTimeoutMs?: number;
  queueSize?: number;
  labelList?: string;
  /** local_service_conf.thread_num: intra-op threads per session (default: cores / concurrency). */
  threadNum?: number;
}

/** Paddle Serving YAML as the shipped configs/PP-TSM.yaml, but on the CPU and on ports 0 (the CLI overrides them too). */
export function serverConfigYaml(o: ServerConfigOptions): string {
  const op: string[] = [`        concurrency: ${o.concurrency}`];
  if (o.batchSize !== undefined) op.push(`        batch_size: ${o.batchSize}`);
  if (o.autoBatchingTimeoutMs !== undefined) op.push(`        auto_batching_timeout: ${o.autoBatchingTimeoutMs}`);
  if (o.queueSize !== undefined) op.push(`        queue_size: ${o.queueSize}`);
  if (o.labelList) op.push(`        label_list: ${JSON.stringify(o.labelList)}`);
  return [
    'worker_num: 1',
    'http_port: 0',
    'rpc_port: 0',
    'dag:',
    '    is_thread_op: True',
    'op:',
    '    video:',
    ...op,
    '        local_service_conf:',
    `            model_config: ${JSON.stringify(o.servingDir)}`,
    '            device_type: 0',
    '            devices: ""',
    ...(o.threadNum !== undefined ? [`            thread_num: ${o.threadNum}`] : []),
    '            client_type: local_predictor',
    '            fetch_list: ["outputs"]',
    '',
  ].join('\n');
}

/** Resident memory of a process from /proc/<pid>/status, in MB: current (VmRSS) and peak (VmHWM). null off Linux. */
export function readRss(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * CPU time of a process and everything under it, in ms: its own threads (utime + stime), its reaped children
 * (cutime + cstime), and its live children, recursively. The server starts ffmpeg from a helper process that lives
 * as long as the server, so the decoders' CPU is in the helper's cutime, not in the server's. From /proc (clock
 * ticks at 100 Hz); null off Linux.
 */
export function readCpuMs(pid: number, depth = 0): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime..cstime are fields 14..17.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(f[i]), 0);
    if (!Number.isFinite(ticks)) return null;
    let ms = ticks * 10;
    if (depth < 4) {
      for (const child of liveChildren(pid)) ms += readCpuMs(child, depth + 1) ?? 0;
    }
    return ms;
  } catch {
    return null;
  }
}

/** Child pids of every thread of a process (/proc/<pid>/task/<tid>/children); empty when not available. */
function liveChildren(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // The process ended meanwhile.
  }
  return out;
}

/** Server-side timings of one request, from its pipeline.log line (ms). */
export interface LoggedTimings {
  logid: string;
  protocol: string;
  batch?: number;
  timings: Record<string, number>;
}

/** Reads the log's successful request lines (pino JSON) keyed by logid. */
export function readRequestLog(file: string): Map<string, LoggedTimings> {
  const out = new Map<string, LoggedTimings>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: { logid?: unknown; timings?: unknown; protocol?: unknown; batch?: unknown; err_no?: unknown };
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (o.err_no !== 0 || typeof o.logid !== 'string' || typeof o.timings !== 'object' || o.timings === null) continue;
    const timings: Record<string, number> = {};
    for (const [k, v] of Object.entries(o.timings as Record<string, unknown>)) if (typeof v === 'number') timings[k] = v;
    out.set(o.logid, { logid: o.logid, protocol: String(o.protocol), batch: typeof o.batch === 'number' ? o.batch : undefined, timings });
  }
  return out;
}

export class ServerProcess {
  private rssTimer: NodeJS.Timeout | null = null;
  /** Highest VmRSS seen since the last resetPeak(). */
  windowPeakMb = 0;

  private constructor(
    private readonly proc: DemoServer,
    readonly cwd: string,
    readonly warmupMs: number | null,
  ) {}

  get pid(): number {
    return this.proc.child.pid!;
  }

  get httpPort(): number {
    return this.proc.httpPort;
  }

  get rpcPort(): number {
    return this.proc.rpcPort;
  }

  get logFile(): string {
    return path.join(this.cwd, 'PipelineServingLogs', 'pipeline.log');
  }

  /** Everything the server printed so far, by line. */
  get output(): string[] {
    return this.proc.output().trimEnd().split('\n');
  }

  /** `vidserve serve -n PPTSM -c <config>` on free ports (the demo's startServer), then RSS polling. */
  static async start(config: ServerConfigOptions): Promise<ServerProcess> {
    const cwd = await mkdtemp(path.join(tmpdir(), 'vidserve-bench-'));
    const cfg = path.join(cwd, 'bench.yaml');
    await writeFile(cfg, serverConfigYaml(config));
    const proc = await startServer({ name: 'PPTSM', config: cfg, cwd, extraArgs: ['--host', '127.0.0.1'] });
    const warm = /warm-up inference (\d+) ms/.exec(proc.output());
    const s = new ServerProcess(proc, cwd, warm ? Number(warm[1]) : null);
    s.startPolling();
    return s;
  }

  private startPolling(): void {
    this.rssTimer = setInterval(() => {
      const r = readRss(this.pid);
      if (r && r.rssMb > this.windowPeakMb) this.windowPeakMb = r.rssMb;
    }, 100);
    this.rssTimer.unref();
  }

  resetPeak(): void {
    this.windowPeakMb = readRss(this.pid)?.rssMb ?? 0;
  }

  rss(): { rssMb: number; hwmMb: number } | null {
    return readRss(this.pid);
  }

  cpuMs(): number | null {
    return readCpuMs(this.pid);
  }

  /** SIGTERM (graceful: the server finishes in-flight requests) and wait for the exit; SIGKILL after 30 s. */
  async stop(): Promise<number | null> {
    if (this.rssTimer) clearInterval(this.rssTimer);
    return this.proc.stop(30_000);
  }
}
