// Server-side preprocessing (decode + PP-TSM transforms) of the bench's real videos with the seeking decode and with
// seeking off, interleaved so that load changes hit both alike; wall time and CPU (this process and its ffmpeg
// children). Run: node --import tsx bench/seek.ts [runs] [clip key part, e.g. hevc]   (the clips come from
// `npm run bench`, or are rendered here)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { DEMO_DIRS } from '../src/cli/demo.ts';
import { openSource } from '../src/video/container.ts';
import { hevcDependencies, hevcPicture, parseHvcC, type HevcPicture } from '../src/video/hevc.ts';
import { PIPELINES, preprocessVideo, sampleIndices } from '../src/video/pipelines.ts';
import { planSeek, readSeekIndex } from '../src/video/seek.ts';
import { ensureBenchClips, HEVC_CLIPS } from './lib/clips.ts';
import { median } from './lib/stats.ts';

const runs = Number(process.argv[2] ?? 3);
const only = process.argv[3] ?? '';

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
  return `; from IDRs only it would be ${planSeek({ ...seek, ...deps }, picks).feed.length}`;
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
  const res = { seek: { wall: [] as number[], cpu: [] as number[] }, full: { wall: [] as number[], cpu: [] as number[] } };
  let packets = '';
  for (let i = 0; i <= runs; i++) {
    // Run 0 warms up (JIT, page cache) with the cheap path only.
    for (const mode of i === 0 ? (['seek'] as const) : (['seek', 'full'] as const)) {
      const c0 = cpuMs();
      const t0 = performance.now();
      await preprocessVideo(PIPELINES.PPTSM!, bytes, {
        seek: mode === 'seek',
        onDecodePath: (p) => {
          if (p.mode === 'seek') packets = `${p.packets} of ${p.frames} packets`;
        },
      });
      if (i === 0) continue; // warm-up
      res[mode].wall.push(performance.now() - t0);
      res[mode].cpu.push(cpuMs() - c0);
    }
  }
  const f = (x: number[]) => median(x).toFixed(0);
  console.log(
    `${c.label.padEnd(20)} seek ${f(res.seek.wall)} / ${f(res.seek.cpu)} ms (${packets})   full ${f(res.full.wall)} / ${f(res.full.cpu)} ms   ` +
      `wall ratio ${(median(res.seek.wall) / median(res.full.wall)).toFixed(3)}` +
      `   CPU ratio ${(median(res.seek.cpu) / median(res.full.cpu)).toFixed(3)}${await idrOnlyPackets(bytes)}`,
  );
}
console.log(`load average after: ${load()}`);
