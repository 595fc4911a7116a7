// Whole graphs: our tiny PP-TSM-shaped model against the reference executor (both temporal-shift forms), and the
// PP-TSM graph (make-model pptsm: the real export op for op) with synthetic weights run once on onnxruntime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPPTSM, buildPPTSN, buildTiny, makeParams } from '../src/paddle/models/index.ts';
import { translateProgram } from '../src/paddle/onnx/index.ts';
import { decodeModel } from '../src/paddle/onnx/proto.ts';
import type { ParamTensor } from '../src/paddle/types.ts';
import { createSession } from '../src/runtime/session.ts';
import { maxRelativeError, runReference } from './support/reference-executor.ts';
import { imageLikeInput } from './support/inputs.ts';

function paramMap(list: ParamTensor[]): Map<string, ParamTensor> {
  return new Map(list.map((p) => [p.name, p]));
}

test('tiny model (same op types as PP-TSM): onnxruntime matches the reference executor, both shift forms', async () => {
  const program = buildTiny();
  const params = paramMap(makeParams(program, 7));
  const feed = program.blocks[0].ops.find((o) => o.type === 'feed')!.outputs.Out[0];
  const fetch = program.blocks[0].ops.find((o) => o.type === 'fetch')!.inputs.X[0];
  const dims = [2, 2, 3, 16, 16]; // batch of 2 clips through the symbolic batch dim
  const x = { data: imageLikeInput(dims.reduce((a, b) => a * b, 1), 3), dims };
  const expected = runReference(program, params, { [feed]: x })[fetch];
  assert.deepEqual(expected.dims, [2, 5]);
  assert.ok(new Set(Array.from(expected.data, (v) => v.toFixed(5))).size === 10, 'reference scores are varied');
  for (const form of ['fast', 'plain'] as const) {
    const { bytes, inputs, outputs } = translateProgram(program, params, { temporalShift: form });
    assert.deepEqual(inputs, [{ name: feed, dims: ['batch', 2, 3, 16, 16] }]);
    assert.deepEqual(outputs, [{ name: fetch, dims: ['batch', 5] }]);
    const s = await createSession(bytes);
    try {
      const got = (await s.run({ [feed]: x }))[fetch];
      assert.deepEqual(got.dims, [2, 5]);
      const err = maxRelativeError(got.data as Float32Array, expected.data);
      assert.ok(err <= 1e-4, `${form}: max relative error ${err}`);
    } finally {
      await s.release();
    }
  }
});

test('value_info carries the batch through reshapes symbolically, so both inputs of a residual add match', () => {
  const program = buildTiny();
  const params = paramMap(makeParams(program, 7));
  const model = decodeModel(translateProgram(program, params).bytes);
  const dims = new Map<string, (string | number | undefined)[]>(
    model.graph.value_info.map((v: any) => [v.name, v.type.tensor_type.shape.dim.map((d: any) => d.dim_param ?? d.dim_value)]),
  );
  const add = program.blocks[0].ops.find((o) => o.type === 'elementwise_add' && o.attrs.axis?.value === -1)!;
  const [x, y] = [add.inputs.X[0], add.inputs.Y[0]];
  assert.equal(dims.get(x)?.[0], 'batch*2', `${x}: ${dims.get(x)}`);
  assert.deepEqual(dims.get(x), dims.get(y));
  // The head's reshape to [-1, segments, C] gets the clip batch back.
  const head = program.blocks[0].ops.filter((o) => o.type === 'reshape2').at(-2)!;
  assert.equal(dims.get(head.outputs.Out[0])?.[0], 'batch');
  // The plain baseline leaves them out.
  const bare = decodeModel(translateProgram(program, params, { symbolicShapes: false }).bytes);
  assert.equal(bare.graph.value_info?.length ?? 0, 0);
});

test('PP-TSM graph with synthetic weights: translated and run, [1,8,3,224,224] → [1,400] finite, varied', async () => {
  const program = buildPPTSM();
  const params = paramMap(makeParams(program, 0));
  const messages: string[] = [];
  const { bytes, inputs, outputs } = translateProgram(program, params, { onProgress: (m) => messages.push(m) });
  assert.deepEqual(inputs, [{ name: 'data_batch_0', dims: ['batch', 8, 3, 224, 224] }]);
  assert.deepEqual(outputs, [{ name: 'save_infer_model/scale_0.tmp_1', dims: ['batch', 400] }]);
  assert.ok(messages.some((m) => /translated 206\/206 ops/.test(m)), messages.join('\n'));
  assert.ok(bytes.byteLength > 90e6, 'all weights are in the model');

  const s = await createSession(bytes);
  try {
    const x = { data: imageLikeInput(8 * 3 * 224 * 224, 11), dims: [1, 8, 3, 224, 224] };
    const out = (await s.run({ data_batch_0: x }))['save_infer_model/scale_0.tmp_1'];
    assert.deepEqual(out.dims, [1, 400]);
    const v = Array.from(out.data as Float32Array);
    assert.ok(v.every(Number.isFinite), 'all logits finite');
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    assert.ok(std > 1e-2, `logits vary across classes (std ${std})`);
    assert.ok(new Set(v.map((t) => t.toFixed(4))).size > 300, 'logits are not a few repeated values');
  } finally {
    await s.release();
  }
});

test('our PP-TSN graph (25 segments x 10 crops) translates and loads in onnxruntime', async () => {
  const program = buildPPTSN();
  const { bytes, inputs, outputs } = translateProgram(program, paramMap(makeParams(program, 1)));
  assert.equal(inputs.length, 1);
  assert.deepEqual(inputs[0].dims.slice(1), [250, 3, 224, 224]);
  assert.deepEqual(outputs[0].dims, ['batch', 400]);
  const s = await createSession(bytes);
  try {
    assert.deepEqual(s.inputNames, [inputs[0].name]);
    assert.deepEqual(s.outputNames, [outputs[0].name]);
  } finally {
    await s.release();
  }
});
