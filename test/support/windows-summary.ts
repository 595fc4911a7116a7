// `node --import tsx test/support/windows-summary.ts FILE`: the windows of FILE (PP-TSM, window 1 s) and its
// single-clip preprocessing, summarised as JSON (grid, picked frames, shapes, mean pixel), with the ffmpeg of
// $FFMPEG_PATH. Exits 2 when the decode does not finish within 30 s (a decode waiting on ffmpeg forever).
import { PIPELINES, preprocessVideo } from '../../src/video/pipelines.ts';
import { forEachWindow } from '../../src/video/windows.ts';

const file = process.argv[2]!;
const hung = setTimeout(() => {
  console.log('timed out: the decode never finished');
  process.exit(2);
}, 30_000);
const mean = (d: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  return Math.round((s / d.length) * 10) / 10;
};
const windows: unknown[] = [];
await forEachWindow(PIPELINES.PPTSM, file, {
  window: 1,
  stride: 1,
  stage: 'uint8',
  onWindow: (w) => void windows.push({ start: w.start, end: w.end, picked: w.picked, dims: w.tensor.dims, mean: mean(w.tensor.data) }),
});
const clip = await preprocessVideo(PIPELINES.PPTSM, file, { stage: 'uint8' });
clearTimeout(hung);
console.log(JSON.stringify({ windows, clip: { dims: clip.dims, mean: mean(clip.data) } }));
