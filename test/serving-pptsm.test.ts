// Full-size PP-TSM (synthetic weights, converted by vidserve) served on a rendered 2 s 320x240 clip (example.avi's
// size) over both protocols, raw frames (the seed's client) and compressed video, with a 400-class label list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeAllFrames } from '../src/video/decode.ts';
import { getPipeline, preprocessVideo } from '../src/video/pipelines.ts';
import { createSession } from '../src/runtime/session.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { LabelMap, formatPrediction, parseLabelList, predict } from '../src/serving/postprocess.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { grpcClient, postJson, removeDir, servingDir, startTestServer, tempDir, testClip } from './serving-fixtures.ts';

let server: RunningServer;
let modelDir: string;
const dir = tempDir('pptsm');
let clip: string;
const LABELS = path.join(dir, 'labels.txt');
const names = Array.from({ length: 400 }, (_, i) => `class_${i}`);

before(async () => {
  clip = await testClip();
  writeFileSync(LABELS, names.map((n, i) => `${i} ${n}`).join('\n') + '\n');
  // vidserve convert --label_list copies the list into the serving dir, where the server finds it.
  modelDir = await servingDir('pptsm', { labelList: LABELS });
  server = await startTestServer(modelDir, { pipeline: 'PPTSM', op: { preprocess_workers: 2 } });
});

after(async () => {
  await server?.close();
  removeDir(dir);
});

test('a 320x240 clip: HTTP and gRPC, frames and compressed video, all give the direct-run answer', async () => {
  const frames = await decodeAllFrames(clip);
  const b64 = Buffer.from(frames.data.buffer, frames.data.byteOffset, frames.data.byteLength).toString('base64');
  const shape = `(${frames.T}, ${frames.H}, ${frames.W}, 3)`;
  const video = readFileSync(clip);

  // Expected: the same preprocessing and model run without the server, then the seed's postprocess.
  const model = await loadServingModel(modelDir);
  const session = await createSession(model.onnx);
  const x = await preprocessVideo(getPipeline('PPTSM'), video);
  assert.deepEqual(x.dims, [8, 3, 224, 224]);
  const out = await session.run({ data_batch_0: { data: x.data, dims: [1, ...x.dims] } });
  await session.release();
  const scores = out['save_infer_model/scale_0.tmp_1']!;
  const labels = new LabelMap(parseLabelList(readFileSync(LABELS, 'utf8'), LABELS), LABELS);
  const want = formatPrediction(predict(scores.data as Float32Array, scores.dims, labels, 1));

  const httpFrames = await postJson(server.httpPort!, JSON.stringify({ key: ['frames', 'frames_shape'], value: [b64, shape] }));
  assert.equal(httpFrames.json.err_no, 0, httpFrames.json.err_msg);
  assert.deepEqual(httpFrames.json.value, want.value);
  const m = /^\['([a-z0-9_]+)'\]$/.exec(httpFrames.json.value[0]!);
  assert.ok(m && names.includes(m[1]!), `a name from the label list: ${httpFrames.json.value[0]}`);
  assert.match(httpFrames.json.value[1]!, /^\[\d\.\d+(e-\d\d)?\]$/);

  const httpVideo = await postJson(server.httpPort!, JSON.stringify({ key: ['video'], value: [video.toString('base64')] }));
  assert.deepEqual(httpVideo.json.value, want.value);

  const c = grpcClient(server.rpcPort!);
  try {
    const g1 = await c.call({ key: ['frames', 'frames_shape'], value: [b64, shape], logid: 1 });
    assert.equal(g1.err_no, 0, g1.err_msg);
    assert.deepEqual(g1.value, want.value);
    const g2 = await c.call({ key: ['video'], value: [video.toString('base64')], logid: 2 });
    assert.deepEqual(g2.value, want.value);
  } finally {
    c.close();
  }
});

test('the event loop stays free while the model runs: /health answers during inference', async () => {
  const video = readFileSync(clip).toString('base64');
  const pending = postJson(server.httpPort!, JSON.stringify({ key: ['video'], value: [video] }));
  let seenRunning = false;
  let answered = 0;
  let done = false;
  void pending.finally(() => (done = true));
  while (!done) {
    const h = (await (await fetch(`http://127.0.0.1:${server.httpPort}/health`)).json()) as { running: number; status: string };
    answered++;
    if (h.running === 1) seenRunning = true;
    await new Promise((r) => setTimeout(r, 5));
  }
  const r = await pending;
  assert.equal(r.json.err_no, 0);
  assert.ok(seenRunning, `a /health answer arrived while the model was running (${answered} answers)`);
});
