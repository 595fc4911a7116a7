// Server-side preprocessing (decode + PP-TSM transforms) of the bench's real videos, interleaved so that load changes
// hit every mode alike; wall time and CPU (this process and its ffmpeg children). Modes: the seeking decode as by
// default (`auto`: two ffmpeg runs while the cores are free), with its IDR groups split over two runs (`split`), in
// one frame-threaded run (`one`), and with seeking off (`full`). Two more decode without transforming: `decode` (the
// sampled frames to a no-op callback) and `blocked` (the callback blocks its thread for 60 ms without using CPU, as
// a slow transform would, without competing with ffmpeg for the cores): `blocked` minus `decode` is what not
// reading the frame pipe costs.
// Run: node --import tsx bench/seek.ts [runs] [clip key part, e.g. hevc] [modes, default auto,split,one,full]
// (the clips come from `npm run bench`, or are rendered here)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { DEMO_DIRS } from '../src/cli/demo.ts';
import { openSource } from '../src/video/container.ts';
import { forEachSampledFrame, type DecodeOptions } from '../src/video/decode.ts';
import { hevcDependencies, hevcPicture, parseHvcC, type HevcPicture } from '../src/video/hevc.ts';
import { PIPELINES, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { planSeek, readSeekIndex } from '../src/video/seek.ts';
import { ensureBenchClips, HEVC_CLIPS } from './lib/clips.ts';
import { median } from './lib/stats.ts';

const runs = Number(process.argv[2] ?? 3);
const only = process.argv[3] ?? '';
const MODES: Record<string, DecodeOptions> = { auto: {}, split: { seekRuns: 2 }, one: { seekRuns: 1 }, full: { seek: false }, decode: {}, blocked: {} };
const modes = (process.argv[4] ?? 'auto,split,one,full').split(',').filter((m) => m in MODES);
const BLOCK_MS = 60;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** HEVC: the packets PP-TSM's picks would take if decoding started at IDR pictures only (x265's keyframes are CRAs). */
async function idrOnlyPackets(bytes: Uint8Array): Promise<string> {
  const src = (await openSource(bytes))!;
  const seek = await readSeekIndex(src);
  await src.close();
  if (seek?.format !== 'hevc') return '';
  const { nalLength, ...cfg } = parseHvcC(seek.index.hvcC!)!;
  const pictures: HevcPicture[] = [];
  for (let i = 0; i < seek.index.frames; i++) pictures.push(hevcPicture(bytes.subarray(seek.index.offset[i]!, seek.index.offset[i]! + seek.index.size[i]!), nalLength)!);
  const deps = hevcDependencies(pictures, { nalLength, ...cfg }, { craStarts: false })!;
  const picks = sampleIndices(PIPELINES.PPTSM!, seek.index.frames);
  return `  (HEVC: from IDRs only it would be ${planSeek({ ...seek, ...deps }, picks).feed.length} packets)`;
}

/** CPU ms of this process plus its waited-for children (utime, stime, cutime, cstime in /proc/self/stat). */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

const dir = path.join(DEMO_DIRS.root, 'bench', 'clips');
const log = (l: string): void => console.error(l);
const clips = [...(await ensureBenchClips(dir, log)), ...(await ensureBenchClips(dir, log, HEVC_CLIPS))].filter((c) => c.key.includes(only));
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`PP-TSM preprocessing from the file, median of ${runs} interleaved runs (wall ms / CPU ms incl. ffmpeg); load average ${load()}`);
for (const c of clips) {
  const bytes = new Uint8Array(readFileSync(c.file));
  const res = Object.fromEntries(modes.map((m) => [m, { wall: [] as number[], cpu: [] as number[], path: '' }]));
  for (let i = 0; i <= runs; i++) {
    // Run 0 warms up (JIT, page cache) with the cheap modes only.
    for (const mode of modes) {
      if (i === 0 && mode === 'full') continue;
      const r = res[mode]!;
      const opts: DecodeOptions = {
        ...MODES[mode],
        onDecodePath: (p) => (r.path = p.mode === 'seek' ? `${p.packets} of ${p.frames} packets, ${p.runs} run(s)` : 'full'),
      };
      const c0 = cpuMs();
      const t0 = performance.now();
      if (mode === 'decode' || mode === 'blocked') {
        const block = mode === 'blocked';
        await forEachSampledFrame(bytes, (n) => sampleIndices(PIPELINES.PPTSM!, n), () => void (block && Atomics.wait(sleeper, 0, 0, BLOCK_MS)), opts);
      } else await preprocessVideo(PIPELINES.PPTSM!, bytes, opts);
      if (i === 0) continue; // warm-up
      r.wall.push(performance.now() - t0);
      r.cpu.push(cpuMs() - c0);
    }
  }
  const f = (x: number[]): string => median(x).toFixed(0);
  const base = res[modes[0]!]!;
  console.log(`${c.label} (load average ${load()})${await idrOnlyPackets(bytes)}`);
  for (const m of modes) {
    const r = res[m]!;
    console.log(
      `  ${m.padEnd(7)} ${f(r.wall)} / ${f(r.cpu)} ms  (${r.path})  wall ${modes[0]}/${m} ${(median(base.wall) / median(r.wall)).toFixed(3)}` +
        `  CPU ${modes[0]}/${m} ${(median(base.cpu) / median(r.cpu)).toFixed(3)}`,
    );
  }
}
console.log(`load average after: ${load()}`);
