// Server-side preprocessing (decode + PP-TSM transforms) of the bench's real videos: the seeking decode as by default
// (`auto`: two runs while the cores are free), with its IDR groups split over two ffmpeg runs (`split`), in one
// frame-threaded run (`one`), and with seeking off (`full`), interleaved so that load changes hit all alike; wall
// time and CPU (this process and its ffmpeg children).
// Two more modes decode without transforming: `decode` (the sampled frames to a no-op callback) and `blocked` (the
// callback blocks the thread for 60 ms without using CPU, as a slow transform would, but without competing with
// ffmpeg for the cores): `blocked` minus `decode` is what not reading the frame pipe costs.
// Run: node --import tsx bench/seek.ts [runs] [modes: auto,split,one,full,decode,blocked]   (the clips come from
// `npm run bench`, or are rendered here)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { DEMO_DIRS } from '../src/cli/demo.ts';
import { forEachSampledFrame, type DecodeOptions } from '../src/video/decode.ts';
import { PIPELINES, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { ensureBenchClips } from './lib/clips.ts';
import { median } from './lib/stats.ts';

const runs = Number(process.argv[2] ?? 3);
const MODES: Record<string, DecodeOptions> = { auto: {}, split: { seekRuns: 2 }, one: { seekRuns: 1 }, full: { seek: false }, decode: {}, blocked: {} };
const BLOCK_MS = 60;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const modes = (process.argv[3] ?? 'auto,split,one,full').split(',').filter((m) => m in MODES);

/** CPU ms of this process plus its waited-for children (utime, stime, cutime, cstime in /proc/self/stat). */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

const clips = await ensureBenchClips(path.join(DEMO_DIRS.root, 'bench', 'clips'), (l) => console.error(l));
console.log(`PP-TSM preprocessing from the file, median of ${runs} interleaved runs (wall ms / CPU ms incl. ffmpeg), load ${loadavg()[0]!.toFixed(1)}`);
for (const c of clips) {
  const bytes = new Uint8Array(readFileSync(c.file));
  const res = Object.fromEntries(modes.map((m) => [m, { wall: [] as number[], cpu: [] as number[], path: '' }]));
  for (let i = 0; i <= runs; i++) {
    // Run 0 warms up (JIT, page cache) with the cheap paths only.
    for (const mode of modes) {
      if (i === 0 && mode === 'full') continue;
      const r = res[mode]!;
      const c0 = cpuMs();
      const t0 = performance.now();
      const opts: DecodeOptions = {
        ...MODES[mode],
        onDecodePath: (p) => (r.path = p.mode === 'seek' ? `${p.packets}/${p.frames} packets, ${p.runs} run(s)` : 'full'),
      };
      if (mode === 'decode' || mode === 'blocked') {
        const block = mode === 'blocked';
        await forEachSampledFrame(bytes, (n) => sampleIndices(PIPELINES.PPTSM!, n), () => void (block && Atomics.wait(sleeper, 0, 0, BLOCK_MS)), opts);
      } else await preprocessVideo(PIPELINES.PPTSM!, bytes, opts);
      if (i === 0) continue;
      r.wall.push(performance.now() - t0);
      r.cpu.push(cpuMs() - c0);
    }
  }
  const f = (x: number[]): string => median(x).toFixed(0);
  const base = res[modes[0]!]!;
  console.log(`${c.label} (load ${loadavg()[0]!.toFixed(1)})`);
  for (const m of modes) {
    const r = res[m]!;
    console.log(`  ${m.padEnd(6)} ${f(r.wall)} / ${f(r.cpu)} ms  (${r.path})  wall ${modes[0]}/${m} ${(median(base.wall) / median(r.wall)).toFixed(3)}`);
  }
}
