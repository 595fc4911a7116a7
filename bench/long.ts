// `npm run bench:long [-- --quick] [-- --batch N]`: memory of a timeline over a long video. The real server (`vidserve serve`,
// the demo's synthetic-weight PP-TSM, a child process polled for RSS) answers a timeline for a rendered 1-minute
// and a rendered 10-minute video (320x240, 25 fps, MPEG-4), given by path; the server's peak RSS during each is
// compared with its idle RSS. Decoding is streamed and only the open windows' frames are kept, so the 10-minute
// peak should match the 1-minute one: the bound is idle + LONG_RSS_BOUND_MB, whatever the length.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_DIRS, ensureDemoModel, startServer } from '../src/cli/demo.ts';
import { VideoClient } from '../src/client/index.ts';
import { runFfmpeg, stderrTail } from '../src/video/ffmpeg.ts';
import { readRss, serverConfigYaml } from './lib/server.ts';
import { DEFAULT_LONG_CONF } from '../src/serving/long-config.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
/** Peak RSS over idle allowed for a timeline of any length (the windows in flight, decode buffers, ffmpeg pipes). */
export const LONG_RSS_BOUND_MB = 300;

async function renderClip(file: string, seconds: number): Promise<void> {
  if (existsSync(file)) return;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp.mp4`;
  const run = await runFfmpeg(['-y', '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=320x240:rate=25`, '-c:v', 'mpeg4', '-q:v', '5', '-pix_fmt', 'yuv420p', tmp]);
  if (run.code !== 0) throw new Error(`ffmpeg could not render ${file}: ${stderrTail(run.stderr)}`);
  await rename(tmp, file);
}

interface Measured {
  seconds: number;
  windows: number;
  wallS: number;
  speed: number;
  peakRssMb: number;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const bi = process.argv.indexOf('--batch');
  // Windows per model run (config timeline.batch); default: the config's default.
  const batch = bi > 0 ? Number(process.argv[bi + 1]) : undefined;
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) throw new Error('--batch takes a positive integer');
  const stride = quick ? 10 : 5;
  const log = (l: string) => console.log(l);
  await ensureDemoModel((l) => log(`models: ${l}`));
  const clips = path.join(DEMO_DIRS.root, 'bench', 'long');
  const files = { 60: path.join(clips, 'testsrc-60s.mp4'), 600: path.join(clips, 'testsrc-600s.mp4') };
  log('rendering the 1- and 10-minute clips (once; cached in models/bench/long/) ...');
  await renderClip(files[60], 60);
  await renderClip(files[600], 600);

  const cwd = await mkdtemp(path.join(tmpdir(), 'vidserve-bench-long-'));
  const config = path.join(cwd, 'long.yaml');
  // The shipped op settings, plus an allow-list for the clips' folder so they go by path (no upload).
  const yaml = serverConfigYaml({ servingDir: DEMO_DIRS.server, concurrency: 1 }) + `sources:\n  paths: [${JSON.stringify(clips)}]\n`;
  await writeFile(config, batch === undefined ? yaml : `${yaml}timeline:\n  batch: ${batch}\n`);
  const server = await startServer({ name: 'PPTSM', config, cwd, extraArgs: ['--host', '127.0.0.1'] });
  const pid = server.child.pid!;
  const client = new VideoClient({ transport: 'http', port: server.httpPort, timeoutMs: 3_600_000 });
  let peak = 0;
  const poll = setInterval(() => {
    const r = readRss(pid);
    if (r && r.rssMb > peak) peak = r.rssMb;
  }, 50);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idleMb = readRss(pid)?.rssMb ?? NaN;
    const measure = async (seconds: 60 | 600): Promise<Measured> => {
      peak = readRss(pid)?.rssMb ?? 0;
      const t0 = performance.now();
      const t = await client.timeline(files[seconds], { mode: 'path', window: 2.5, stride });
      const wallS = (performance.now() - t0) / 1000;
      log(`  ${seconds} s video: ${t.windows.length} windows (2.5 s every ${stride} s) in ${wallS.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB`);
      return { seconds: t.duration, windows: t.windows.length, wallS, speed: t.duration / wallS, peakRssMb: peak };
    };
    log(`server idle RSS ${idleMb.toFixed(0)} MB; timelines by path:`);
    const short = await measure(60);
    const long = await measure(600);
    const growth = long.peakRssMb - short.peakRssMb;
    const met = long.peakRssMb - idleMb <= LONG_RSS_BOUND_MB;
    const results = {
      date: new Date().toISOString(),
      quick,
      timelineBatch: batch ?? DEFAULT_LONG_CONF.timeline.batch,
      video: '320x240, 25 fps, MPEG-4 (ffmpeg testsrc)',
      idleRssMb: Math.round(idleMb),
      oneMinute: { ...short, peakRssMb: Math.round(short.peakRssMb) },
      tenMinutes: { ...long, peakRssMb: Math.round(long.peakRssMb) },
      growthMbFrom1To10Minutes: Math.round(growth),
      boundMb: LONG_RSS_BOUND_MB,
      met,
    };
    log('');
    log('| measure | value |');
    log('| --- | --- |');
    log(`| server RSS idle | ${Math.round(idleMb)} MB |`);
    log(`| peak RSS, 1-minute timeline | ${Math.round(short.peakRssMb)} MB (${short.windows} windows, ${short.speed.toFixed(1)}x real time) |`);
    log(`| peak RSS, 10-minute timeline | ${Math.round(long.peakRssMb)} MB (${long.windows} windows, ${long.speed.toFixed(1)}x real time) |`);
    log(`| growth 1 -> 10 minutes | ${Math.round(growth)} MB |`);
    log(`| bound: peak <= idle + ${LONG_RSS_BOUND_MB} MB | ${met ? 'met' : 'NOT met'} (${Math.round(long.peakRssMb - idleMb)} MB over idle) |`);
    const out = path.join(REPO, 'bench', 'long-results.json');
    await writeFile(out, JSON.stringify(results, null, 2) + '\n');
    log(`wrote ${path.relative(process.cwd(), out)}`);
    if (!met) process.exitCode = 1;
  } finally {
    clearInterval(poll);
    client.close();
    await server.stop(30_000);
  }
}

main().catch((e) => {
  console.error(`bench:long: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
