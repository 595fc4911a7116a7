// `vidserve demo`: from a fresh clone to printed predictions in one command. Builds (once) a PP-TSM model with
// synthetic weights, converts it to a serving dir, starts `vidserve serve` as a real child process, sends one video
// over HTTP and gRPC in both input modes, prints the four answers with their latency, and stops the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { VideoClient, type TransportKind } from '../client/client.ts';
import type { PredictMode } from '../client/payload.ts';
import { runFfmpeg, stderrTail } from '../video/ffmpeg.ts';
import { cliArgs } from './self.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The demo's model cache, laid out as the seed's deploy/python_serving directory (gitignored). */
export const DEMO_DIRS = {
  root: path.join(REPO_ROOT, 'models'),
  inference: path.join(REPO_ROOT, 'models', 'ppTSM'),
  server: path.join(REPO_ROOT, 'models', 'ppTSM_serving_server'),
  client: path.join(REPO_ROOT, 'models', 'ppTSM_serving_client'),
};

/** Runs `vidserve <args>` to completion with its output shown; rejects with the command line on failure. */
export function runCli(args: string[], opts: { cwd?: string; quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args), { cwd: opts.cwd ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const collect = (c: Buffer, stream: NodeJS.WriteStream): void => {
      out += c.toString('utf8');
      if (!opts.quiet) stream.write(c);
    };
    child.stdout.on('data', (c: Buffer) => collect(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => collect(c, process.stderr));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`\`vidserve ${args.join(' ')}\` failed (${signal ?? `exit ${code}`})${opts.quiet ? `: ${lastLines(out, 5)}` : ''}`));
    });
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** A port that was free a moment ago (tests use it as a port nobody listens on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  httpPort: number;
  rpcPort: number;
  child: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM, then wait for exit; resolves with the exit code (SIGKILL after graceMs). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartServerOptions {
  /** `-n`: PPTSM or PPTSN. */
  name: string;
  /** `-c`: the pipeline YAML. */
  config: string;
  /** Working directory: the config's relative model_config and PipelineServingLogs/ resolve against it. */
  cwd: string;
  extraArgs?: string[];
  /** Give up waiting for "ready" after this long (the server warms the model up first). */
  readyTimeoutMs?: number;
  /** Echo the server's output lines, prefixed. */
  echo?: (line: string) => void;
  /** Start it as the leader of a process group of its own (pid = pgid). */
  detached?: boolean;
}

// What `vidserve serve` prints once listening: "http_port N: ... rpc_port M: ..." and then "ready".
const PORTS_LINE = /http_port (\d+)\b.*rpc_port (\d+)\b/;
const READY_LINE = /^vidserve: ready\b/m;

/**
 * Starts `vidserve serve` as a child process with both ports 0 (the server picks free ones, so no race), reads the
 * chosen ports from its console output, and resolves once it says it is ready (after its warm-up inference).
 */
export async function startServer(o: StartServerOptions): Promise<ServerProcess> {
  const args = ['serve', '-n', o.name, '-c', o.config, '--http_port', '0', '--rpc_port', '0', ...(o.extraArgs ?? [])];
  // detached: its own process group (tests signal the whole group, as a terminal's Ctrl-C or systemd would).
  const child = spawn(process.execPath, cliArgs(args), { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: o.detached ?? false });
  let out = '';
  let pending = '';
  let notify: () => void = () => {};
  const onData = (c: Buffer): void => {
    const text = c.toString('utf8');
    out += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    if (o.echo) for (const l of lines) o.echo(l);
    notify();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      notify();
      resolve(code);
    });
  });
  const stop = async (graceMs = 20_000): Promise<number | null> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitPromise;
      clearTimeout(timer);
    }
    return exited!.code;
  };
  const timeoutMs = o.readyTimeoutMs ?? 180_000;
  const command = `vidserve ${args.join(' ')}`;
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(2000);
      reject(new Error(`\`${command}\` did not get ready within ${timeoutMs / 1000} s:\n${lastLines(out, 15)}`));
    }, timeoutMs);
    notify = () => {
      if (exited) {
        clearTimeout(timer);
        reject(new Error(`\`${command}\` exited (${exited.signal ?? `code ${exited.code}`}) before serving:\n${lastLines(out, 15)}`));
      } else if (READY_LINE.test(out)) {
        clearTimeout(timer);
        const m = PORTS_LINE.exec(out);
        if (m) resolve([Number(m[1]), Number(m[2])]);
        else {
          void stop(2000);
          reject(new Error(`\`${command}\` is ready but did not print its ports ("http_port N ... rpc_port M"):\n${lastLines(out, 15)}`));
        }
      }
    };
    notify();
  });
  notify = () => {};
  return { httpPort: ports[0], rpcPort: ports[1], child, output: () => out, stop };
}

/** Renders a short moving test pattern (ffmpeg's testsrc) as an mp4: the demo needs no downloaded video. */
export async function renderTestClip(file: string, seconds = 2): Promise<void> {
  const run = await runFfmpeg([
    '-y', '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=320x240:rate=25`,
    '-c:v', 'mpeg4', '-q:v', '4', '-pix_fmt', 'yuv420p', file,
  ]);
  if (run.code !== 0) throw new Error(`ffmpeg could not render the demo clip: ${stderrTail(run.stderr)}`);
}

/**
 * Fingerprint of the code that builds and converts the demo model (src/paddle/** and the make-model and convert
 * commands): a cache made by other code — an older checkout, a changed translator — is rebuilt instead of silently
 * served. The bench keys its own derived model on it too.
 */
export async function builderFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.(ts|proto)$/.test(e.name)) hash.update(e.name).update(await readFile(p));
    }
  };
  await walk(path.join(REPO_ROOT, 'src', 'paddle'));
  for (const cmd of ['make-model.ts', 'convert.ts']) hash.update(cmd).update(await readFile(path.join(REPO_ROOT, 'src', 'cli', cmd)));
  return hash.digest('hex').slice(0, 16);
}

const STAMP = '.vidserve-demo-build';

/**
 * The synthetic-weight PP-TSM inference model and its serving dir, built once and cached under models/. Each is
 * written into a temporary sibling and renamed into place, so an interrupted first run never leaves a half-written
 * cache behind.
 */
export async function ensureDemoModel(log: (s: string) => void): Promise<void> {
  const stem = 'ppTSM';
  const fingerprint = await builderFingerprint();
  const stampOf = async (dir: string): Promise<string | undefined> => readFile(path.join(dir, STAMP), 'utf8').catch(() => undefined);
  const fresh = (await stampOf(DEMO_DIRS.inference)) !== fingerprint;
  if (fresh) {
    log(`Building a PP-TSM model with synthetic weights in ${rel(DEMO_DIRS.inference)} (once) ...`);
    await intoPlace(DEMO_DIRS.inference, async (dir) => {
      await runCli(['make-model', 'pptsm', '--out', dir]);
      if (!existsSync(path.join(dir, `${stem}.pdmodel`))) throw new Error(`make-model wrote no ${stem}.pdmodel into ${dir}`);
      await writeFile(path.join(dir, STAMP), fingerprint);
    });
  } else log(`Using the cached synthetic-weight model in ${rel(DEMO_DIRS.inference)}.`);
  if (fresh || (await stampOf(DEMO_DIRS.server)) !== fingerprint) {
    log(`Converting it into the serving dir ${rel(DEMO_DIRS.server)} ...`);
    const client = `${DEMO_DIRS.client}.tmp-${process.pid}`;
    await rm(client, { recursive: true, force: true });
    await intoPlace(DEMO_DIRS.server, async (dir) => {
      await runCli([
        'convert', '--dirname', DEMO_DIRS.inference, '--model_filename', `${stem}.pdmodel`, '--params_filename', `${stem}.pdiparams`,
        '--serving_server', dir, '--serving_client', client, '--fetch_alias', 'outputs',
      ]);
      await writeFile(path.join(dir, STAMP), fingerprint);
    });
    await rm(DEMO_DIRS.client, { recursive: true, force: true });
    await rename(client, DEMO_DIRS.client);
  } else log(`Using the cached serving dir ${rel(DEMO_DIRS.server)}.`);
}

/** Runs `write` on a fresh temporary sibling of `target`, then replaces `target` with it. */
async function intoPlace(target: string, write: (dir: string) => Promise<unknown>): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await write(tmp);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Resolves on Ctrl-C or SIGTERM (the server is then stopped by the caller), or when the server exits by itself. */
function untilStopped(server: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      server.child.removeListener('exit', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    server.child.once('exit', done);
  });
}

function rel(p: string): string {
  return path.relative(process.cwd(), p) || '.';
}

interface DemoFlags {
  input_file?: string;
  keep?: boolean;
}

async function runDemo(flags: DemoFlags): Promise<number> {
  const log = (s: string): void => console.log(s);
  const tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-demo-'));
  let server: ServerProcess | undefined;
  let failed = false;
  const stopOnSignal = (): void => {
    void server?.stop(2000).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  try {
    log('vidserve demo: PP-TSM served from Node, queried over HTTP and gRPC.\n');
    let video = flags.input_file;
    if (video && !existsSync(video)) throw new Error(`${video}: no such file`);
    await ensureDemoModel(log);

    if (!video) {
      video = path.join(tmp, 'testsrc.mp4');
      await renderTestClip(video);
      log(`Rendered a 2 s 320x240 test-pattern clip with ffmpeg: ${flags.keep ? video : 'testsrc.mp4 (temporary)'}`);
    }

    const config = path.join(REPO_ROOT, 'configs', 'PP-TSM.yaml');
    log(`Starting: vidserve serve -n PPTSM -c configs/PP-TSM.yaml (in ${rel(DEMO_DIRS.root)}/, free ports) ...`);
    const t0 = performance.now();
    server = await startServer({ name: 'PPTSM', config, cwd: DEMO_DIRS.root, echo: (l) => {
      // The server's own console lines (model, provider, warm-up, warnings), not native libraries' noise.
      if (l.startsWith('vidserve: ')) log(`  [server] ${l.slice(10)}`);
    } });
    log(`Server up in ${((performance.now() - t0) / 1000).toFixed(1)} s: HTTP on ${server.httpPort}, gRPC on ${server.rpcPort}; logs in ${rel(path.join(DEMO_DIRS.root, 'PipelineServingLogs'))}/`);
    const pageUrl = `http://127.0.0.1:${server.httpPort}/`;
    log(`Web page: ${pageUrl}${flags.keep ? '' : ' (--keep keeps serving it after the predictions)'}\n`);

    log(`Predictions for ${flags.input_file ?? 'the test clip'}:`);
    const runs: [TransportKind, PredictMode][] = [['http', 'frames'], ['http', 'video'], ['grpc', 'frames'], ['grpc', 'video']];
    for (const [transport, mode] of runs) {
      const client = new VideoClient({ transport, port: transport === 'http' ? server.httpPort : server.rpcPort });
      const what = `${transport === 'http' ? 'HTTP' : 'gRPC'} ${mode.padEnd(6)}`;
      try {
        const r = await client.predict(video, { mode });
        log(`  ${what}  label=${r.label}  prob=${r.prob}  (${Math.round(r.latencyMs)} ms)`);
      } catch (e) {
        failed = true;
        console.error(`  ${what}  FAILED: ${(e as Error).message}`);
      } finally {
        client.close();
      }
    }

    if (flags.keep) {
      process.removeListener('SIGINT', stopOnSignal);
      log(`\nServing ${pageUrl} — open it in a browser and drop a video (e.g. ${video}). Ctrl-C stops the server.`);
      await untilStopped(server);
      process.once('SIGINT', stopOnSignal);
    }
    const code = await server.stop();
    server = undefined;
    if (code !== 0) {
      failed = true;
      console.error(`The server exited with code ${code} on SIGTERM (expected 0).`);
    } else log('\nServer stopped.');

    log(`
NOTE: these weights are SYNTHETIC (seeded random numbers), so the labels above are meaningless (and are class
indices: the demo has no label list). Real predictions need PaddleVideo's trained PP-TSM model (ppTSM.zip from the
seed's serving guide). With ppTSM.zip and PaddleVideo's Kinetics-400_label_list.txt in the repo directory (see
README.md, "Serving the real PP-TSM model"):

  unzip ppTSM.zip -d inference
  npx vidserve convert --dirname inference/ppTSM --model_filename ppTSM.pdmodel --params_filename ppTSM.pdiparams --serving_server ppTSM_serving_server --serving_client ppTSM_serving_client --fetch_alias outputs --label_list Kinetics-400_label_list.txt
  npx vidserve serve -n PPTSM -c configs/PP-TSM.yaml
`);
  } catch (e) {
    failed = true;
    console.error(`vidserve demo: ${(e as Error).message}`);
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    if (server) await server.stop(2000);
    if (!flags.keep) await rm(tmp, { recursive: true, force: true });
    else log(`Kept ${tmp}`);
  }
  if (failed) console.error('vidserve demo: FAILED (see above).');
  return failed ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('build a synthetic-weight PP-TSM model (once), serve it, and query it over HTTP and gRPC in both input modes')
    .option('-i, --input_file <video>', 'the video to send (default: a 2 s test pattern rendered with ffmpeg)')
    .option('--keep', 'after the predictions, keep serving (the web page) until Ctrl-C, and keep the rendered clip')
    .action(async (flags: DemoFlags) => {
      process.exitCode = await runDemo(flags);
    });
}
