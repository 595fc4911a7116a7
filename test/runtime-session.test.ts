// The onnxruntime adapter: loading from bytes and from a path, feeds/fetches as {data, dims} tensors, dtypes,
// device fallback and strict device requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel, OnnxDataType } from '../src/paddle/onnx/proto.ts';
import { createSession } from '../src/runtime/session.ts';

/** y = a + b (float32, symbolic batch), n = a's shape (int64), written with our own ONNX encoder. */
function tinyModel(): Uint8Array {
  return encodeModel({
    opset: 17,
    irVersion: 8,
    producerName: 'test',
    producerVersion: '0',
    graphName: 'tiny',
    nodes: [
      { opType: 'Add', name: 'add', inputs: ['a', 'b'], outputs: ['y'], attrs: {} },
      { opType: 'Shape', name: 'shape', inputs: ['a'], outputs: ['n'], attrs: {} },
    ],
    initializers: [],
    inputs: [
      { name: 'a', dataType: OnnxDataType.FLOAT, dims: ['batch', 3] },
      { name: 'b', dataType: OnnxDataType.FLOAT, dims: ['batch', 3] },
    ],
    outputs: [
      { name: 'y', dataType: OnnxDataType.FLOAT, dims: ['batch', 3] },
      { name: 'n', dataType: OnnxDataType.INT64, dims: [2] },
    ],
  });
}

const feeds = {
  a: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [2, 3] },
  b: { data: Float32Array.from([10, 20, 30, 40, 50, 60]), dims: [2, 3] },
};

test('session from bytes: names, provider, all outputs, a chosen fetch', async () => {
  const s = await createSession(tinyModel(), { intraOpThreads: 1, graphOptimization: 'basic' });
  try {
    assert.deepEqual(s.inputNames, ['a', 'b']);
    assert.deepEqual(s.outputNames, ['y', 'n']);
    assert.equal(s.provider, 'cpu');
    const all = await s.run(feeds);
    assert.deepEqual(Object.keys(all).sort(), ['n', 'y']);
    assert.ok(all.y.data instanceof Float32Array);
    assert.deepEqual(Array.from(all.y.data as Float32Array), [11, 22, 33, 44, 55, 66]);
    assert.deepEqual(all.y.dims, [2, 3]);
    assert.ok(all.n.data instanceof BigInt64Array);
    assert.deepEqual(Array.from(all.n.data as BigInt64Array), [2n, 3n]);
    const one = await s.run(feeds, ['n']);
    assert.deepEqual(Object.keys(one), ['n']);
  } finally {
    await s.release();
  }
});

test('session from a file path, with every graph optimization level', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidserve-session-'));
  try {
    const file = join(dir, 'tiny.onnx');
    writeFileSync(file, tinyModel());
    for (const level of ['disabled', 'basic', 'extended', 'all'] as const) {
      const s = await createSession(file, { graphOptimization: level, interOpThreads: 1 });
      const out = await s.run(feeds, ['y']);
      assert.deepEqual(Array.from(out.y.data as Float32Array), [11, 22, 33, 44, 55, 66]);
      await s.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a GPU request runs on CUDA when available, otherwise warns and falls back to the CPU', async () => {
  const warnings: string[] = [];
  const s = await createSession(tinyModel(), { device: 'gpu', onWarning: (m) => warnings.push(m) });
  try {
    if (s.provider === 'cpu') {
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /GPU requested but unavailable.*running on the CPU/);
    } else {
      assert.equal(s.provider, 'cuda');
      assert.equal(warnings.length, 0);
    }
    const out = await s.run(feeds, ['y']);
    assert.deepEqual(Array.from(out.y.data as Float32Array), [11, 22, 33, 44, 55, 66]);
  } finally {
    await s.release();
  }
});

test('strictDevice: a GPU request fails instead of falling back', async () => {
  let session;
  try {
    session = await createSession(tinyModel(), { device: 'gpu', strictDevice: true });
  } catch (e) {
    assert.match((e as Error).message, /GPU requested but unavailable/);
    return;
  }
  assert.equal(session.provider, 'cuda');
  await session.release();
});

test('a corrupt model is rejected with onnxruntime\'s reason; a wrong feed fails the run', async () => {
  await assert.rejects(createSession(Uint8Array.from([1, 2, 3, 4, 5])), Error);
  const s = await createSession(tinyModel());
  try {
    await assert.rejects(s.run({ a: feeds.a }), Error);
    await assert.rejects(s.run({ a: feeds.a, b: { data: Float32Array.from([1, 2]), dims: [1, 2] } }), Error);
  } finally {
    await s.release();
  }
});

test('session config: intra-op threads sleep between parallel sections unless spinning is asked for', async () => {
  const { sessionConfig } = await import('../src/runtime/session.ts');
  assert.equal(sessionConfig({})['session.intra_op.allow_spinning'], '0');
  assert.equal(sessionConfig({ spinning: true })['session.intra_op.allow_spinning'], '1');
  assert.equal(sessionConfig({})['session.force_spinning_stop'], '1');
  // Sessions start and answer with either setting.
  for (const spinning of [false, true]) {
    const s = await createSession(tinyModel(), { intraOpThreads: 2, spinning });
    const out = await s.run(feeds, ['y']);
    assert.deepEqual([...(out.y!.data as Float32Array)], [11, 22, 33, 44, 55, 66]);
    await s.release();
  }
});
