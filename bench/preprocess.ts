// Preprocessing time for ../shared/data/example.avi (or the video given as argument): PP-TSM and PP-TSN, from decoded
// frames and from the file (server-side sampled decoding). Run: node --import tsx bench/preprocess.ts [video] [runs]
import { fileURLToPath } from 'node:url';
import { decodeAllFrames, probeVideo } from '../src/video/decode.ts';
import { PIPELINES, preprocessFrames, preprocessVideo } from '../src/video/pipelines.ts';
import { median } from './lib/stats.ts';

const video = process.argv[2] ?? fileURLToPath(new URL('../../shared/data/example.avi', import.meta.url));
const runs = Number(process.argv[3] ?? 7);

async function time(fn: () => unknown): Promise<number[]> {
  await fn(); // warm-up (JIT, page cache)
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const info = await probeVideo(video);
console.log(`video: ${video} (${info.width}x${info.height}, ${info.frames} frames, ${info.codec}); median of ${runs} runs`);
const frames = await decodeAllFrames(video);
const rows: [string, number[]][] = [];
rows.push(['decode all frames (client side, cv2-equivalent)', await time(() => decodeAllFrames(video))]);
for (const name of ['PPTSM', 'PPTSN']) {
  const spec = PIPELINES[name]!;
  rows.push([`${name} from decoded frames`, await time(() => preprocessFrames(spec, frames))]);
  rows.push([`${name} from decoded frames, uint8 stage`, await time(() => preprocessFrames(spec, frames, { stage: 'uint8' }))]);
  rows.push([`${name} from file (decode sampled frames + preprocess)`, await time(() => preprocessVideo(spec, video))]);
}
for (const [label, ts] of rows) {
  console.log(`${label.padEnd(58)} median ${median(ts).toFixed(1).padStart(7)} ms   (min ${Math.min(...ts).toFixed(1)}, max ${Math.max(...ts).toFixed(1)})`);
}
