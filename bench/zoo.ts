// The model zoo's bare onnxruntime latency: session.run for one clip of each full-size recognizer (synthetic weights,
// built by our own builders and translator, cached under models/bench/zoo/ keyed by the builder fingerprint), with the
// server's session options (every core to one session). Runs are interleaved model by model, so a change in machine
// load falls on every model alike; the figure to read is each model's p50 over PP-TSM's p50 in the same run.
//
//   node --import tsx bench/zoo.ts [--quick] [--out FILE]    (also run at the end of `npm run bench`)
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builderFingerprint } from '../src/cli/demo.ts';
import { buildModel, makeParams, type ModelName, type ModelOptions } from '../src/paddle/models/index.ts';
import { translateProgram } from '../src/paddle/onnx/index.ts';
import { OrtWorker } from './lib/bare.ts';
import { round, summarize, type Summary } from './lib/stats.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface ZooModel {
  key: string;
  model: ModelName;
  options: ModelOptions;
  /** One clip's input, batch 1. */
  dims: number[];
}

export const ZOO: ZooModel[] = [
  { key: 'PP-TSM (8)', model: 'pptsm', options: {}, dims: [1, 8, 3, 224, 224] },
  { key: 'PP-TSMv2 (16)', model: 'pptsmv2', options: {}, dims: [1, 16, 3, 224, 224] },
  { key: 'PP-TSMv2 (8)', model: 'pptsmv2', options: { numSeg: 8 }, dims: [1, 8, 3, 224, 224] },
  { key: 'TSM (8)', model: 'tsm', options: {}, dims: [1, 8, 3, 224, 224] },
  { key: 'TSN (25x10)', model: 'tsn', options: {}, dims: [1, 250, 3, 224, 224] },
];

export interface ZooLatency extends Summary {
  model: string;
  input: number[];
  /** p50 over PP-TSM's p50 in the same run. */
  overPptsm: number;
}

async function ensureOnnx(m: ZooModel, stamp: string, log: (l: string) => void): Promise<string> {
  const dir = path.join(REPO, 'models', 'bench', 'zoo', m.key.replace(/[^A-Za-z0-9]+/g, '_'));
  const file = path.join(dir, 'model.onnx');
  const stampFile = path.join(dir, 'stamp');
  if (existsSync(file) && (await readFile(stampFile, 'utf8').catch(() => '')) === stamp) return file;
  log(`zoo: building ${m.key} (synthetic weights) into ${path.relative(process.cwd(), file)}`);
  const program = buildModel(m.model, m.options);
  const params = new Map(makeParams(program, 0).map((p) => [p.name, p]));
  await mkdir(dir, { recursive: true });
  await writeFile(file, translateProgram(program, params).bytes);
  await writeFile(stampFile, stamp);
  return file;
}

/** Bare latency of every zoo model; prints a table and writes `out` (default bench/zoo-results.json). */
export async function runZooBench(o: { quick: boolean; log: (l: string) => void; out?: string }): Promise<ZooLatency[]> {
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const stamp = await builderFingerprint();
  const files: string[] = [];
  for (const m of ZOO) files.push(await ensureOnnx(m, stamp, o.log));
  // TSN runs 250 frames: fewer of its runs, or it alone would take minutes.
  const runsOf = (m: ZooModel): number => (m.dims[1]! > 16 ? (o.quick ? 1 : 3) : o.quick ? 3 : 10);
  const times: number[][] = ZOO.map(() => []);
  const workers: OrtWorker[] = [];
  try {
    for (const f of files) workers.push(await OrtWorker.start({ onnxPath: f, session: { intraOpThreads: cores } }));
    o.log(`zoo: warm-up, then interleaved session.run (${cores} intra-op threads)`);
    for (const [i, w] of workers.entries()) await w.run(1, ZOO[i]!.dims);
    const rounds = Math.max(...ZOO.map(runsOf));
    for (let r = 0; r < rounds; r++) {
      const order = ZOO.map((_, i) => i);
      if (r % 2) order.reverse();
      for (const i of order) if (times[i]!.length < runsOf(ZOO[i]!)) times[i]!.push(...(await workers[i]!.run(1, ZOO[i]!.dims)));
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
  const base = summarize(times[0]!).p50;
  const results = ZOO.map((m, i) => {
    const s = summarize(times[i]!);
    return { model: m.key, input: m.dims, ...s, overPptsm: s.p50 / base };
  });
  const rows = results.map((r) => `| ${r.model} | [${r.input.join(', ')}] | ${r.n} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.overPptsm.toFixed(2)} |`);
  console.log(['', '### Zoo: bare onnxruntime latency per clip', '', '| model | input | runs | p50 ms | p90 ms | p50 / PP-TSM p50 |', '| --- | --- | --- | --- | --- | --- |', ...rows, ''].join('\n'));
  const out = o.out ?? path.join(REPO, 'bench', 'zoo-results.json');
  const json = {
    date: new Date().toISOString(),
    quick: o.quick,
    cores,
    load_average: os.loadavg().map((l) => round(l, 2)),
    models: results.map((r) => ({ ...r, p50: round(r.p50, 1), p90: round(r.p90, 1), min: round(r.min, 1), max: round(r.max, 1), overPptsm: round(r.overPptsm, 3) })),
  };
  await writeFile(out, JSON.stringify(json, null, 2) + '\n');
  o.log(`zoo: wrote ${path.relative(process.cwd(), out) || out}`);
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const outAt = argv.indexOf('--out');
  runZooBench({ quick: argv.includes('--quick'), log: (l) => console.error(l), out: outAt >= 0 ? argv[outAt + 1] : undefined }).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`zoo bench failed: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  );
}
