// Infer workers hold their next input beside the running one (pool depth 2): tasks answer in order with the same
// scores as one at a time, the group's capacity and load count held tasks, and a task cancelled while it waits in
// its worker is dropped there without disturbing the ones behind it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WorkerGroup } from '../src/serving/pool.ts';
import { ServingError, ErrorCode } from '../src/errors.ts';
import type { InferResult, WorkerInit } from '../src/serving/messages.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { servingDir } from './serving-fixtures.ts';

const groups: WorkerGroup[] = [];
after(async () => {
  await Promise.all(groups.map((g) => g.close()));
});

async function tinyInfer(): Promise<{ init: WorkerInit; dims: number[]; input: (seed: number) => Float32Array }> {
  const dir = await servingDir('tiny');
  const model = await loadServingModel(dir);
  const feed = model.feeds[0]!;
  const dims = feed.shape.map((d) => (d < 0 ? 1 : d));
  if (feed.shape[0] !== -1) dims.unshift(1);
  const n = dims.reduce((x, y) => x * y, 1);
  const input = (seed: number) => Float32Array.from({ length: n }, (_, i) => (((i + 1) * (seed + 3) * 37) % 101) / 50 - 1);
  return { init: { role: 'infer', model: path.join(dir, 'model.onnx'), session: { intraOpThreads: 1 }, feedName: feed.name, fetchName: model.fetches[0]!.name }, dims, input };
}

test('depth 2: both tasks go to the one worker at once and answer in order, with the scores of single runs', async () => {
  const { init, dims, input } = await tinyInfer();
  const { group: single } = await WorkerGroup.start('infer', 1, init);
  groups.push(single);
  const { group } = await WorkerGroup.start('infer', 1, init, { depth: 2 });
  groups.push(group);
  assert.equal(single.capacity, 1);
  assert.equal(group.capacity, 2);
  const expected: InferResult[] = [];
  for (let k = 0; k < 4; k++) expected.push(await single.run<InferResult>({ kind: 'infer', input: input(k), dims }));
  const order: number[] = [];
  const runs = [0, 1, 2, 3].map((k) => group.run<InferResult>({ kind: 'infer', input: input(k), dims }).then((r) => (order.push(k), r)));
  // Posting is synchronous: two tasks are in the worker, the other two wait in the group's queue.
  const slots = (group as unknown as { slots: Array<{ tasks: Map<number, unknown> }>; queue: unknown[] });
  assert.equal(slots.slots[0]!.tasks.size, 2);
  assert.equal(slots.queue.length, 2);
  assert.equal(group.load, 4);
  const got = await Promise.all(runs);
  assert.deepEqual(order, [0, 1, 2, 3]);
  got.forEach((r, k) => assert.deepEqual(r.scores, expected[k]!.scores, `task ${k}`));
  assert.equal(group.load, 0);
});

test('depth 2: a task cancelled while it waits in its worker is dropped there (6000); the next one still runs', async () => {
  const { init, dims, input } = await tinyInfer();
  const { group } = await WorkerGroup.start('infer', 1, init, { depth: 2 });
  groups.push(group);
  const reference = await group.run<InferResult>({ kind: 'infer', input: input(7), dims });
  const ac = new AbortController();
  const first = group.run<InferResult>({ kind: 'infer', input: input(1), dims });
  // Settled into a value at once (its rejection is the expected outcome, not an unhandled one).
  const second = group.run<InferResult>({ kind: 'infer', input: input(2), dims }, [], ac.signal).then(
    (r) => r,
    (e: unknown) => e,
  );
  const third = group.run<InferResult>({ kind: 'infer', input: input(7), dims });
  ac.abort();
  assert.ok((await first).scores.length > 0);
  // The worker drops it unless its run had already started (a model run cannot be interrupted).
  const outcome = await second;
  if (outcome instanceof ServingError) {
    assert.equal(outcome.code, ErrorCode.TIMEOUT);
    assert.match(outcome.message, /cancelled before inference/);
  } else {
    assert.ok((outcome as InferResult).scores.length > 0, 'an already started run answers normally');
  }
  assert.deepEqual((await third).scores, reference.scores);
  assert.equal(group.load, 0);
});

test('close: the running task finishes, the waiting ones answer 3001, and the worker exits by itself (not terminated inside onnxruntime)', async () => {
  const { init, dims, input } = await tinyInfer();
  const { group } = await WorkerGroup.start('infer', 1, init, { depth: 2 });
  const worker = (group as unknown as { slots: Array<{ worker: import('node:worker_threads').Worker }> }).slots[0]!.worker;
  const exitCode = new Promise<number>((resolve) => worker.once('exit', resolve));
  const settle = (p: Promise<InferResult>) => p.then((r) => r, (e: unknown) => e);
  const runs = [0, 1, 2].map((k) => settle(group.run<InferResult>({ kind: 'infer', input: input(k), dims })));
  await group.close();
  // Worker.terminate() makes the exit code 1; a thread that released its session and closed its port exits with 0.
  assert.equal(await exitCode, 0);
  for (const outcome of await Promise.all(runs)) {
    if (outcome instanceof ServingError) assert.equal(outcome.code, ErrorCode.CLOSED_ERROR);
    else assert.ok((outcome as InferResult).scores.length > 0);
  }
});
