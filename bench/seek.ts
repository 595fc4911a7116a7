// Server-side preprocessing (decode + PP-TSM transforms) of the bench's real videos with the seeking decode and with
// seeking off, interleaved so that load changes hit both alike; wall time and CPU (this process and its ffmpeg
// children). Run: node --import tsx bench/seek.ts [runs]   (the clips come from `npm run bench`, or are rendered here)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_DIRS } from '../src/cli/demo.ts';
import { PIPELINES, preprocessVideo } from '../src/video/pipelines.ts';
import { ensureBenchClips } from './lib/clips.ts';
import { median } from './lib/stats.ts';

const runs = Number(process.argv[2] ?? 3);

/** CPU ms of this process plus its waited-for children (utime, stime, cutime, cstime in /proc/self/stat). */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

const clips = await ensureBenchClips(path.join(DEMO_DIRS.root, 'bench', 'clips'), (l) => console.error(l));
console.log(`PP-TSM preprocessing from the file, median of ${runs} interleaved runs (wall ms / CPU ms incl. ffmpeg)`);
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
      `wall ratio ${(median(res.seek.wall) / median(res.full.wall)).toFixed(3)}`,
  );
}
