// The zoo's networks (PP-TSMv2, TSM, TSN): their structure as PaddleVideo exports it, and each one's ONNX translation
// against the independent reference executor on a batch of 2 clips (at a small image size so the float64 reference
// stays quick; the graphs are fully convolutional, so every op and attribute is the full-size one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, buildResNet, makeParams, type ModelOptions } from '../src/paddle/models/index.ts';
import { translateProgram } from '../src/paddle/onnx/index.ts';
import { parseProgram, serializeProgram } from '../src/paddle/program.ts';
import { persistableVars } from '../src/paddle/params.ts';
import type { OpDesc, ProgramDesc } from '../src/paddle/types.ts';
import { createSession } from '../src/runtime/session.ts';
import { maxRelativeError, runReference } from './support/reference-executor.ts';
import { imageLikeInput } from './support/inputs.ts';

const FEED = 'data_batch_0';
const FETCH = 'save_infer_model/scale_0.tmp_1';

const ops = (p: ProgramDesc): OpDesc[] => p.blocks[0]!.ops;
const count = (p: ProgramDesc, type: string): number => ops(p).filter((o) => o.type === type).length;
const attr = (o: OpDesc, name: string): unknown => (o.attrs[name] as { value: unknown } | undefined)?.value;
const shapeOf = (p: ProgramDesc, name: string): number[] | undefined => p.blocks[0]!.vars.find((v) => v.name === name)?.shape;

async function checkAgainstReference(program: ProgramDesc, frames: number, size: number, classes: number): Promise<void> {
  // Through the serializer: what is checked is what make-model writes.
  program = parseProgram(serializeProgram(program), 'model.pdmodel');
  const params = new Map(makeParams(program, 5).map((p) => [p.name, p]));
  const dims = [2, frames, 3, size, size];
  const x = { data: imageLikeInput(dims.reduce((a, b) => a * b, 1), 9), dims };
  const expected = runReference(program, params, { [FEED]: x })[FETCH]!;
  assert.deepEqual(expected.dims, [2, classes]);
  assert.ok(new Set(Array.from(expected.data, (v) => v.toPrecision(6))).size === 2 * classes, 'reference scores are varied');
  const { bytes, inputs, outputs } = translateProgram(program, params);
  assert.deepEqual(inputs, [{ name: FEED, dims: ['batch', frames, 3, size, size] }]);
  assert.equal(outputs[0]!.name, FETCH);
  const s = await createSession(bytes);
  try {
    const got = (await s.run({ [FEED]: x }))[FETCH]!;
    assert.deepEqual(got.dims, [2, classes]);
    const err = maxRelativeError(got.data as Float32Array, expected.data);
    assert.ok(err <= 1e-4, `max relative error ${err}`);
  } finally {
    await s.release();
  }
}

test('pptsmv2: PP-LCNetV2 op for op — rep’d depthwise convs with bias, SE in stage 3, one attention + shift, 1280-d head', () => {
  const p = buildModel('pptsmv2');
  assert.deepEqual(shapeOf(p, FEED), [-1, 16, 3, 224, 224]);
  assert.deepEqual(shapeOf(p, FETCH), [-1, 400]);
  // 14 blocks (stem + 2+2+6+2) each with one depthwise conv; 8 of them rep'd (stages 3, 4: conv + bias add).
  assert.equal(count(p, 'depthwise_conv2d'), 13);
  const dw = ops(p).filter((o) => o.type === 'depthwise_conv2d');
  assert.ok(dw.every((o) => attr(o, 'groups') === shapeOf(p, o.inputs.Input![0]!)![1] && attr(o, 'use_cudnn') === false));
  assert.deepEqual(dw.map((o) => shapeOf(p, o.inputs.Filter![0]!)![2]), [3, 3, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5]);
  assert.equal(dw.filter((o) => o.outputs.Output![0]!.startsWith('depthwise_conv2d_')).length, 13);
  assert.equal(count(p, 'temporal_shift'), 1);
  const shift = ops(p).find((o) => o.type === 'temporal_shift')!;
  assert.equal(attr(shift, 'seg_num'), 16);
  assert.equal(attr(shift, 'shift_ratio'), Math.fround(1 / 16));
  assert.deepEqual(shapeOf(p, shift.inputs.X![0]!), [-1, 256, 28, 28]); // stage 3's input
  // SE modules: 6 (stage 3), each a sigmoid gate multiplied in; GlobalAttention adds one more sigmoid and multiply.
  assert.equal(count(p, 'sigmoid'), 7);
  assert.equal(count(p, 'elementwise_mul'), 7);
  assert.equal(count(p, 'squeeze2'), 1);
  // Stage 4's second block is the only one with a shortcut (x + input_x → tmp_<n>).
  const shortcut = ops(p).filter((o) => o.type === 'elementwise_add' && attr(o, 'axis') === -1);
  assert.deepEqual(shortcut.map((o) => o.outputs.Out![0]!.replace(/_\d+$/, '')), ['tmp']);
  const drop = ops(p).find((o) => o.type === 'dropout')!;
  assert.equal(attr(drop, 'dropout_implementation'), 'downgrade_in_infer');
  assert.equal(attr(drop, 'dropout_prob'), Math.fround(0.2));
  const tail = ops(p).slice(-11).map((o) => o.type);
  assert.deepEqual(tail, ['pool2d', 'conv2d', 'relu', 'dropout', 'reshape2', 'reduce_mean', 'reshape2', 'matmul', 'elementwise_add', 'scale', 'fetch']);
  const reshapes = ops(p).filter((o) => o.type === 'reshape2').map((o) => attr(o, 'shape'));
  assert.deepEqual(reshapes.at(-2), [-1, 16, 1280]);
  // Parameters named as PPTSM_v2_LCNet.__init__ builds its layers: the fc (linear_0) before the attention's (linear_1).
  const names = persistableVars(p).map((v) => v.name);
  assert.ok(names.includes('linear_0.w_0') && names.includes('linear_1.w_0'));
  assert.deepEqual(persistableVars(p).find((v) => v.name === 'linear_0.w_0')!.shape, [1280, 400]);
  assert.deepEqual(persistableVars(p).find((v) => v.name === 'linear_1.w_0')!.shape, [16, 16]);
  // Without attention (the plain config): no squeeze, one sigmoid per SE.
  const plain = buildModel('pptsmv2', { numSeg: 8, temporalAttention: false });
  assert.equal(count(plain, 'sigmoid'), 6);
  assert.equal(count(plain, 'squeeze2'), 0);
  assert.deepEqual(shapeOf(plain, FEED), [-1, 8, 3, 224, 224]);
  // Convolution multiply-adds per frame: PP-LCNetV2 (scale 1.0) is published at ~0.6 G.
  let macs = 0;
  for (const o of ops(p)) {
    if (o.type !== 'conv2d' && o.type !== 'depthwise_conv2d') continue;
    const w = shapeOf(p, o.inputs.Filter![0]!)!;
    const y = shapeOf(p, o.outputs.Output![0]!)!;
    macs += y[1]! * y[2]! * y[3]! * w[1]! * w[2]! * w[3]!;
  }
  assert.ok(macs > 0.58e9 && macs < 0.61e9, `conv MACs per frame ${macs}`);
  const params = persistableVars(p).reduce((n, v) => n + v.shape!.reduce((a, b) => a * b, 1), 0);
  assert.ok(params > 5e6 && params < 7e6, `PP-TSMv2 has ~5.9M weights, got ${params}`);
});

test('tsm: ResNet-50 with a shift before each of the 16 bottlenecks, 7×7 stem, TSMHead with the shape-driven reshape', () => {
  const p = buildModel('tsm');
  assert.deepEqual(shapeOf(p, FEED), [-1, 8, 3, 224, 224]);
  assert.equal(count(p, 'temporal_shift'), 16);
  assert.equal(count(p, 'conv2d'), 53);
  assert.deepEqual(persistableVars(p).find((v) => v.name === 'conv1_weights')!.shape, [64, 3, 7, 7]);
  // Plain ResNet shortcuts: a strided 1×1 conv, no average pool.
  assert.equal(count(p, 'pool2d'), 2);
  const tail = ops(p).slice(-13).map((o) => o.type);
  assert.deepEqual(tail, ['relu', 'pool2d', 'dropout', 'shape', 'slice', 'reshape2', 'matmul', 'elementwise_add', 'reshape2', 'reduce_mean', 'reshape2', 'scale', 'fetch']);
  const byShape = ops(p).find((o) => o.type === 'reshape2' && (o.inputs.Shape?.length ?? 0) > 0)!;
  assert.ok(byShape, 'reshape2 takes its shape from the slice of shape(x)');
  assert.equal(attr(ops(p).find((o) => o.type === 'dropout')!, 'dropout_implementation'), 'upscale_in_train');
  assert.deepEqual(persistableVars(p).find((v) => v.name === 'fc_0.w_0')!.shape, [2048, 400]);
});

test('tsn: ResNet-50 without shift over 25 × 10 crops; TSNHead averages, then dropout(0.4) and fc', () => {
  const p = buildModel('tsn');
  assert.deepEqual(shapeOf(p, FEED), [-1, 250, 3, 224, 224]);
  assert.equal(count(p, 'temporal_shift'), 0);
  const tail = ops(p).slice(-8).map((o) => o.type);
  assert.deepEqual(tail, ['pool2d', 'reshape2', 'reduce_mean', 'dropout', 'matmul', 'elementwise_add', 'scale', 'fetch']);
  assert.equal(attr(ops(p).find((o) => o.type === 'dropout')!, 'dropout_prob'), Math.fround(0.4));
  assert.deepEqual(shapeOf(buildModel('tsn', { numSeg: 3 }), FEED), [-1, 30, 3, 224, 224]);
});

test('pptsm with 2 classes at 320² (FightRecognition\'s ppTSM_fight export)', () => {
  const p = buildModel('pptsm', { numClasses: 2, imageSize: 320 });
  assert.deepEqual(shapeOf(p, FEED), [-1, 8, 3, 320, 320]);
  assert.deepEqual(shapeOf(p, FETCH), [-1, 2]);
});

const refCases: { name: string; build: () => ProgramDesc; frames: number; size: number; classes: number }[] = [
  { name: 'pptsmv2, 8 segments, temporal attention', build: () => buildModel('pptsmv2', { numSeg: 8, imageSize: 32, numClasses: 6 }), frames: 8, size: 32, classes: 6 },
  { name: 'pptsmv2, 16 segments, plain', build: () => buildModel('pptsmv2', { numSeg: 16, imageSize: 32, numClasses: 6, temporalAttention: false } satisfies ModelOptions), frames: 16, size: 32, classes: 6 },
  { name: 'tsm, 2 segments', build: () => buildModel('tsm', { numSeg: 2, imageSize: 32, numClasses: 6 }), frames: 2, size: 32, classes: 6 },
  // TSN's head over 2 views (the export feeds num_seg × 10; the network is the same for any count).
  { name: 'tsn head over 2 views', build: () => buildResNet({ head: 'tsn', frames: 2, numClasses: 6, imageSize: 32 }), frames: 2, size: 32, classes: 6 },
];

for (const c of refCases) {
  test(`${c.name}: onnxruntime equals the reference executor on a batch of 2`, async () => {
    await checkAgainstReference(c.build(), c.frames, c.size, c.classes);
  });
}
