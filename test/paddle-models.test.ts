// Our model builders against the real PP-TSM export (op for op), and the shapes of PP-TSN and the tiny graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseProgram, serializeProgram } from '../src/paddle/program.ts';
import { loadProgramParams, persistableVars } from '../src/paddle/params.ts';
import { buildModel, writeModel } from '../src/paddle/models/index.ts';
import type { OpDesc, ProgramDesc } from '../src/paddle/types.ts';
import { needsShared, SHARED } from './support/shared.ts';

const REAL = SHARED.ppTSMModel;

/** Attributes without op_callstack (Python stack traces of the export run). */
function attrsOf(op: OpDesc): string {
  const entries = Object.entries(op.attrs).filter(([k]) => k !== 'op_callstack');
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(entries, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

// What lets every other test use make-model pptsm in place of the real export.
test('make-model pptsm matches the real ppTSM.pdmodel op for op: types, order, attributes, var names and shapes', needsShared(REAL), () => {
  const real = parseProgram(readFileSync(REAL), REAL).blocks[0]!;
  // Through the serializer, so what is compared is what make-model writes.
  const ours = parseProgram(serializeProgram(buildModel('pptsm')), 'ours.pdmodel').blocks[0]!;
  assert.equal(ours.ops.length, real.ops.length);
  for (let i = 0; i < real.ops.length; i++) {
    const r = real.ops[i]!;
    const o = ours.ops[i]!;
    assert.equal(o.type, r.type, `op ${i}`);
    assert.equal(attrsOf(o), attrsOf(r), `op ${i} (${r.type}) attributes`);
    assert.deepEqual(o.inputs, r.inputs, `op ${i} (${r.type}) inputs`);
    assert.deepEqual(o.outputs, r.outputs, `op ${i} (${r.type}) outputs`);
  }
  // Every variable: same name, type, dtype, shape, lod level, persistable (block order differs: Paddle's is a hash order).
  const byName = new Map(ours.vars.map((v) => [v.name, v]));
  assert.equal(ours.vars.length, real.vars.length);
  for (const v of real.vars) assert.deepEqual(byName.get(v.name), v, `var ${v.name}`);
});

test('pptsn: ResNet50-vd without temporal shift, 25 segments × 10 crops averaged', () => {
  const p = buildModel('pptsn');
  const b = p.blocks[0]!;
  const types = new Set(b.ops.map((o) => o.type));
  assert.ok(!types.has('temporal_shift'));
  assert.equal(types.size, 12);
  assert.deepEqual(b.vars.find((v) => v.name === 'data_batch_0')!.shape, [-1, 250, 3, 224, 224]);
  const reshapes = b.ops.filter((o) => o.type === 'reshape2').map((o) => (o.attrs.shape as { value: number[] }).value);
  assert.deepEqual(reshapes, [[-1, 3, 224, 224], [-1, 250, 2048], [-1, 2048]]);
  // ppTSNHead: pool → reshape → mean over all 250 frames → dropout(0.4) → reshape → fc.
  const tail = b.ops.slice(-9).map((o) => o.type);
  assert.deepEqual(tail, ['pool2d', 'reshape2', 'reduce_mean', 'dropout', 'reshape2', 'matmul', 'elementwise_add', 'scale', 'fetch']);
  assert.deepEqual(b.ops.find((o) => o.type === 'dropout')!.attrs.dropout_prob, { kind: 'float', value: Math.fround(0.4) });
  assert.equal(b.ops.filter((o) => o.type === 'conv2d').length, 55); // 3 stem + 16 blocks × 3 + 4 shortcuts
  // ResNetTweaksTSN names the moving statistics after the BN (bnv1_1_mean) and names BatchNorm's relu after it.
  const vars = persistableVars(p).map((v) => v.name);
  assert.equal(vars.length, 277);
  assert.ok(vars.includes('bnv1_1_mean') && vars.includes('bn5c_branch2c_variance'));
  assert.ok(b.vars.some((v) => v.name === 'batch_norm_0.tmp_3'));
  // Parameter shapes are PP-TSM's (same backbone and fc).
  const tsm = new Map(persistableVars(buildModel('pptsm')).map((v) => [v.name, v.shape]));
  for (const v of persistableVars(p)) if (tsm.has(v.name)) assert.deepEqual(v.shape, tsm.get(v.name), v.name);
  assert.deepEqual(b.vars.find((v) => v.name === 'save_infer_model/scale_0.tmp_1')!.shape, [-1, 400]);
});

test('tiny: the same 13 op types as PP-TSM at 2×3×16×16', () => {
  const tiny = buildModel('tiny').blocks[0]!;
  const pptsm = buildModel('pptsm').blocks[0]!;
  const types = new Set(pptsm.ops.map((o) => o.type));
  assert.equal(types.size, 13);
  assert.deepEqual(new Set(tiny.ops.map((o) => o.type)), types);
  assert.deepEqual(tiny.vars.find((v) => v.name === 'data_batch_0')!.shape, [-1, 2, 3, 16, 16]);
  assert.deepEqual(tiny.vars.find((v) => v.name === 'save_infer_model/scale_0.tmp_1')!.shape, [-1, 5]);
  // Shapes inferred through the graph stay consistent: the global pool sees 16 channels at 1×1.
  const pool = tiny.ops.filter((o) => o.type === 'pool2d').at(-1)!;
  assert.deepEqual(tiny.vars.find((v) => v.name === pool.outputs.Out![0])!.shape, [-1, 16, 1, 1]);
  assert.ok(tiny.ops.length < 60);
});

test('writeModel writes <Stem>.pdmodel + .pdiparams that read back', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vidserve-models-'));
  try {
    const { modelFile, paramsFile } = await writeModel('tiny', dir, 9);
    assert.equal(path.basename(modelFile), 'tiny.pdmodel');
    assert.equal(path.basename(paramsFile), 'tiny.pdiparams');
    const program: ProgramDesc = parseProgram(await readFile(modelFile), modelFile);
    const params = loadProgramParams(program, await readFile(paramsFile), paramsFile);
    assert.equal(params.size, persistableVars(program).length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
