// PP-TSM and PP-TSN written in both formats by make-model with the same seeded parameters: `vidserve convert`
// of the PIR program (ppTSM.json) and of the ProgramDesc (ppTSM.pdmodel) give ONNX models with the same outputs,
// and servers on the two serving dirs — one a Paddle-Serving-style dir holding only the PIR program, translated when
// the server loads it — give identical answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { convertModel, ONNX_FILE } from '../src/paddle/convert.ts';
import { writeModel, type ModelFormat } from '../src/paddle/models/index.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { createSession } from '../src/runtime/session.ts';
import { framesBody, postJson, startTestServer, syntheticFrames, tempDir } from './serving-fixtures.ts';

let root: string;
before(() => {
  root = tempDir('pir-models');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const cache = new Map<string, Promise<{ server: string; modelFile: string }>>();
/** make-model <name> --format <format> --seed 0, then convert with --fetch_alias outputs (once per process). */
function converted(name: 'pptsm' | 'pptsn', format: ModelFormat): Promise<{ server: string; modelFile: string }> {
  const key = `${name}-${format}`;
  if (!cache.has(key)) cache.set(key, convertOnce(name, format));
  return cache.get(key)!;
}

async function convertOnce(name: 'pptsm' | 'pptsn', format: ModelFormat): Promise<{ server: string; modelFile: string }> {
  const src = path.join(root, `${name}-${format}`, 'inference');
  const { modelFile, paramsFile } = await writeModel(name, src, 0, { format });
  const server = path.join(root, `${name}-${format}`, 'serving_server');
  await convertModel({
    dirname: src,
    modelFilename: path.basename(modelFile),
    paramsFilename: path.basename(paramsFile),
    servingServer: server,
    servingClient: path.join(root, `${name}-${format}`, 'serving_client'),
    fetchAlias: ['outputs'],
  });
  return { server, modelFile };
}

/** Deterministic, image-like input values in [-2, 2]. */
function input(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}

async function outputs(serverDir: string, dims: number[]): Promise<Float32Array> {
  const m = await loadServingModel(serverDir);
  const s = await createSession(m.onnx);
  try {
    const x = { data: input(dims.reduce((a, b) => a * b, 1), 11), dims };
    const out = await s.run({ [m.feeds[0]!.name]: x });
    return out[m.fetches[0]!.name]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

function assertAgree(pir: Float32Array, pd: Float32Array, what: string): void {
  assert.equal(pir.length, pd.length);
  const range = Math.max(...pd) - Math.min(...pd);
  assert.ok(range > 1e-3, `${what}: outputs vary (range ${range})`);
  let worst = 0;
  for (let i = 0; i < pd.length; i++) worst = Math.max(worst, Math.abs(pir[i]! - pd[i]!) / range);
  assert.ok(worst <= 1e-6, `${what}: max difference ${worst} of the output range`);
}

test('PP-TSM: ppTSM.json and ppTSM.pdmodel convert to serving dirs with the same feeds, and the same outputs', async () => {
  const pd = await converted('pptsm', 'pdmodel');
  const pir = await converted('pptsm', 'pir');
  assert.equal(path.basename(pir.modelFile), 'ppTSM.json');
  assert.deepEqual((await readdir(pir.server)).sort(), [
    'model.onnx', 'ppTSM.json', 'ppTSM.pdiparams', 'serving_server_conf.prototxt', 'serving_server_conf.stream.prototxt',
  ]);
  const a = await loadServingModel(pd.server);
  const b = await loadServingModel(pir.server);
  assert.deepEqual(b.feeds, a.feeds);
  assert.deepEqual(b.fetches.map((f) => [f.alias, f.feedType, f.shape]), a.fetches.map((f) => [f.alias, f.feedType, f.shape]));
  assert.equal(b.fetches[0]!.name, 'fetch_name_0', 'Paddle 3 names the fetch of an unnamed value fetch_name_<col>');
  assertAgree(await outputs(pir.server, [1, 8, 3, 224, 224]), await outputs(pd.server, [1, 8, 3, 224, 224]), 'PP-TSM');
});

test('PP-TSN (25 segments x 10 crops): the same outputs from both formats', async () => {
  const pd = await converted('pptsn', 'pdmodel');
  const pir = await converted('pptsn', 'pir');
  assertAgree(await outputs(pir.server, [1, 250, 3, 224, 224]), await outputs(pd.server, [1, 250, 3, 224, 224]), 'PP-TSN');
});

test('served answers are identical: a Paddle-Serving-style dir holding only ppTSM.json (translated on load) vs ppTSM.pdmodel', async () => {
  const pd = await converted('pptsm', 'pdmodel');
  const pir = await converted('pptsm', 'pir');
  await rm(path.join(pir.server, ONNX_FILE));
  const a = await startTestServer(pd.server, { pipeline: 'PPTSM' });
  const b = await startTestServer(pir.server, { pipeline: 'PPTSM' });
  try {
    const body = framesBody(syntheticFrames(12, 64, 80, 5), [12, 64, 80, 3], { topk: 3 });
    const ra = await postJson(a.httpPort!, body);
    const rb = await postJson(b.httpPort!, body);
    assert.equal(ra.status, 200);
    assert.equal(ra.json.err_no, 0, ra.json.err_msg);
    assert.deepEqual(rb, ra);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
