// Infer workers load the model from its .onnx path (no model bytes in workerData or on the main thread); a crashed
// worker is replaced by one that loads the same file and answers the same scores. The server finds the .onnx file
// for a serving dir, a dir holding one differently named .onnx, and a plain .onnx path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { WorkerGroup } from '../src/serving/pool.ts';
import type { InferResult } from '../src/serving/messages.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { parseServingConfig } from '../src/serving/config.ts';
import { startServer } from '../src/serving/server.ts';
import { TINY_PIPELINE, framesBody, postJson, removeDir, servingDir, syntheticFrames, tempDir } from './serving-fixtures.ts';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test('an infer worker started from the .onnx path is replaced after a crash and answers the same', async () => {
  const dir = await servingDir('tiny');
  const model = await loadServingModel(dir);
  const feed = model.feeds[0]!;
  const fetch = model.fetches[0]!;
  // batch 1, as the server's warm-up builds it
  const dims = feed.shape.map((d) => (d < 0 ? 1 : d));
  if (feed.shape[0] !== -1) dims.unshift(1);
  const input = () => {
    const a = new Float32Array(dims.reduce((x, y) => x * y, 1));
    for (let i = 0; i < a.length; i++) a[i] = ((i * 37) % 101) / 50 - 1;
    return a;
  };
  const { group } = await WorkerGroup.start('infer', 1, { role: 'infer', model: path.join(dir, 'model.onnx'), session: { intraOpThreads: 1 }, feedName: feed.name, fetchName: fetch.name });
  try {
    const first = await group.run<InferResult>({ kind: 'infer', input: input(), dims });
    assert.ok(first.scores.length > 0);
    // Crash the worker (as a native fault would end it); the group replaces it from the same path.
    const slots = (group as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots;
    assert.equal(slots.length, 1);
    const old = slots[0]!.worker;
    await old.terminate();
    for (let i = 0; i < 400 && !(group.size === 1 && slots[0]?.worker !== old); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(group.size, 1, 'crashed worker replaced');
    assert.notEqual(slots[0]!.worker, old);
    const again = await group.run<InferResult>({ kind: 'infer', input: input(), dims });
    assert.deepEqual(again.scores, first.scores);
  } finally {
    await group.close();
  }
});

test('a missing .onnx path fails the worker start with the file named', async () => {
  const missing = path.join(tempDir('nomodel'), 'absent.onnx');
  dirs.push(path.dirname(missing));
  await assert.rejects(
    WorkerGroup.start('infer', 1, { role: 'infer', model: missing, session: { intraOpThreads: 1 }, feedName: 'x', fetchName: 'y' }),
    /absent\.onnx|no such file|ENOENT|Load model/i,
  );
});

test('the server serves from a dir holding one differently named .onnx and from a plain .onnx path', async () => {
  const dir = await servingDir('tiny');
  const other = tempDir('onnxdir');
  dirs.push(other);
  copyFileSync(path.join(dir, 'model.onnx'), path.join(other, 'tiny.onnx'));
  const frames = syntheticFrames(6, 32, 40, 5);
  const answers: string[] = [];
  // The file the workers will load, for each form (a Paddle model translated in memory has none: bytes are passed).
  for (const [modelConfig, file] of [
    [dir, path.join(dir, 'model.onnx')],
    [other, path.join(other, 'tiny.onnx')],
    [path.join(other, 'tiny.onnx'), path.join(other, 'tiny.onnx')],
    [path.join(path.dirname(dir), 'inference'), undefined],
  ] as const) {
    assert.equal((await loadServingModel(modelConfig)).onnxFile, file, modelConfig);
  }
  const fetchName = (await loadServingModel(dir)).fetches[0]!.name;
  for (const modelConfig of [dir, other, path.join(other, 'tiny.onnx')]) {
    const doc = {
      http_port: 0,
      op: { video: { concurrency: 1, preprocess_workers: 1, local_service_conf: { model_config: modelConfig, device_type: 0, fetch_list: [fetchName] } } },
    };
    const server = await startServer({ config: parseServingConfig(doc, '<test config>'), pipeline: TINY_PIPELINE, host: '127.0.0.1', logDir: tempDir('logs') });
    try {
      const { json } = await postJson(server.httpPort!, framesBody(frames, [6, 32, 40, 3]));
      assert.equal(json.err_no, 0, `${modelConfig}: ${json.err_msg}`);
      answers.push(JSON.stringify(json.value));
    } finally {
      await server.close();
    }
  }
  assert.equal(new Set(answers).size, 1, 'same answer from each form');
});
