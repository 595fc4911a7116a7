// The combined params file (.pdiparams): Paddle's order and stream layout, round trips, broken files, and
// `make-params` on the PP-TSM graph (make-model pptsm: the real export op for op; one ~98 MB write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseProgram, serializeProgram } from '../src/paddle/program.ts';
import { buildModel } from '../src/paddle/models/index.ts';
import { loadProgramParams, paramFloat32, persistableVars, readParams, writeParams } from '../src/paddle/params.ts';
import { buildTiny } from '../src/paddle/models/resnet_vd.ts';
import { makeParams, makeParamsFile } from '../src/paddle/models/synthetic_params.ts';
import { ModelFormatError } from '../src/errors.ts';
import type { ParamTensor, VarDesc } from '../src/paddle/types.ts';
import { vidserve } from './support/run.ts';

test('persistableVars: the PP-TSM graph stores 277 tensors, sorted by name, without feed/fetch', () => {
  const vars = persistableVars(buildModel('pptsm'));
  assert.equal(vars.length, 277);
  const names = vars.map((v) => v.name);
  assert.ok(!names.includes('feed') && !names.includes('fetch'));
  assert.deepEqual(names, [...names].sort());
  assert.equal(names[0], 'batch_norm2d_0.w_0');
  assert.equal(names.at(-1), 'res5c_branch2c_weights');
  assert.ok(names.indexOf('bn2a_branch1_offset') < names.indexOf('bn2a_branch1_scale'));
  assert.ok(names.indexOf('fc_0.b_0') < names.indexOf('fc_0.w_0'));
});

test('the stream layout of one tensor, byte by byte', () => {
  const t: ParamTensor = { name: 'w', dtype: 'float32', dims: [2, 1], data: new Uint8Array(new Float32Array([1.5, -2]).buffer) };
  const b = Buffer.from(writeParams([t]));
  // uint32 LoDTensor version, uint64 LoD levels, uint32 Tensor version, int32 desc size, TensorDesc, data.
  assert.equal(b.readUInt32LE(0), 0);
  assert.equal(b.readBigUInt64LE(4), 0n);
  assert.equal(b.readUInt32LE(12), 0);
  const descSize = b.readInt32LE(16);
  // TensorDesc { data_type: FP32 (5), dims: [2, 1] } as proto2 unpacked int64s.
  assert.deepEqual([...b.subarray(20, 20 + descSize)], [0x08, 0x05, 0x10, 0x02, 0x10, 0x01]);
  assert.equal(b.readFloatLE(20 + descSize), 1.5);
  assert.equal(b.readFloatLE(24 + descSize), -2);
  assert.equal(b.length, 28 + descSize);
});

test('round trip with LoD and several dtypes', () => {
  const vars: VarDesc[] = [
    { name: 'a', type: 7, dtype: 'int64', shape: [3], persistable: true },
    { name: 'b', type: 7, dtype: 'float64', shape: [-1, 2], persistable: true },
    { name: 'c', type: 7, dtype: 'uint8', shape: [0], persistable: true },
  ];
  const tensors: ParamTensor[] = [
    { name: 'a', dtype: 'int64', dims: [3], data: new Uint8Array(new BigInt64Array([1n, -2n, 3n]).buffer), lod: [[0, 1, 3]] },
    { name: 'b', dtype: 'float64', dims: [2, 2], data: new Uint8Array(new Float64Array([0.1, 0.2, 0.3, 0.4]).buffer) },
    { name: 'c', dtype: 'uint8', dims: [0], data: new Uint8Array(0) },
  ];
  const back = readParams(writeParams(tensors), vars, 'x.pdiparams');
  assert.deepEqual([...back.keys()], ['a', 'b', 'c']);
  for (const t of tensors) {
    const r = back.get(t.name)!;
    assert.deepEqual([r.dtype, r.dims, Buffer.from(r.data)], [t.dtype, t.dims, Buffer.from(t.data)]);
    assert.deepEqual(r.lod, t.lod);
  }
});

test('makeParams is deterministic per seed and gives He-normal convs, unit-ish BN, small fc', () => {
  const p = buildTiny();
  const a = makeParamsFile(p, 3);
  assert.deepEqual(Buffer.from(makeParamsFile(p, 3)), Buffer.from(a));
  assert.notDeepEqual(Buffer.from(makeParamsFile(p, 4)), Buffer.from(a));
  const params = loadProgramParams(p, a, 'tiny.pdiparams');
  assert.equal(params.size, persistableVars(p).length);
  const std = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  const conv = paramFloat32(params.get('res3a_branch2b_weights')!); // [4, 4, 3, 3]: fan_in 36
  assert.ok(Math.abs(std(conv) - Math.sqrt(2 / 36)) < 0.1);
  const variance = paramFloat32(params.get('batch_norm2d_0.w_1')!);
  assert.ok(variance.every((v) => v >= 0.9 && v <= 1.1));
  // The residual branch's last BN is damped against the identity-free projection (both sides conv+BN: 1/√2).
  const scale2c = paramFloat32(params.get('bn3a_branch2c_scale')!);
  assert.ok(scale2c.every((v) => Math.abs(v - Math.SQRT1_2) < 0.2));
  const fc = paramFloat32(params.get('fc_0.w_0')!);
  assert.ok(std(fc) < 0.02 && std(fc) > 0.005);
});

function expectParamsError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, String(e));
    assert.equal(e.file, 'tiny.pdiparams');
    assert.match(e.message, re);
    return true;
  });
}

test('truncated, corrupt and mismatched params files name the file, the variable and the problem', () => {
  const p = buildTiny();
  const vars = persistableVars(p);
  const good = Buffer.from(makeParamsFile(p, 1));
  // Cut inside the data of some tensor in the middle.
  expectParamsError(() => readParams(good.subarray(0, good.length - 700), vars, 'tiny.pdiparams'), /truncated: variable \S+ \(#\d+ of 57/);
  expectParamsError(() => readParams(good.subarray(0, good.length - 1), vars, 'tiny.pdiparams'), /truncated: variable res3a_branch2c_weights \(#57 of 57.*data/);
  // More tensors than the program has.
  expectParamsError(() => readParams(Buffer.concat([good, good.subarray(0, 64)]), vars, 'tiny.pdiparams'), /64 bytes left after the last variable res3a_branch2c_weights/);
  // A wrong version word in the first tensor.
  const badVersion = Buffer.from(good);
  badVersion.writeUInt32LE(7, 0);
  expectParamsError(() => readParams(badVersion, vars, 'tiny.pdiparams'), /variable batch_norm2d_0\.w_0 .*LoDTensor version 7/);
  // Garbage LoD count.
  const badLod = Buffer.from(good);
  badLod.writeBigUInt64LE(1n << 40n, 4);
  expectParamsError(() => readParams(badLod, vars, 'tiny.pdiparams'), /batch_norm2d_0\.w_0.*LoD level/);
  // Program and file disagree on dtype or shape.
  const asF64 = vars.map((v, i) => (i === 2 ? { ...v, dtype: 'float64' as const } : v));
  expectParamsError(() => readParams(good, asF64, 'tiny.pdiparams'), new RegExp(`variable ${vars[2]!.name.replace('.', '\\.')} .*dtype float32 in the params file, but the program declares float64`));
  const reshaped = vars.map((v) => (v.name === 'conv1_1_weights' ? { ...v, shape: [4, 3, 3, 2] } : v));
  expectParamsError(() => readParams(good, reshaped, 'tiny.pdiparams'), /variable conv1_1_weights .*shape \[4, 3, 3, 3\] in the params file, but the program declares \[4, 3, 3, 2\]/);
  // A params file of another model: wrong count shows up as a shape mismatch or leftover/missing bytes.
  expectParamsError(() => readParams(good, vars.slice(1), 'tiny.pdiparams'), /tiny.pdiparams: variable/);
});

test('make-params on the PP-TSM graph writes a genuine .pdiparams that readParams accepts', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vidserve-params-'));
  try {
    const model = path.join(dir, 'ppTSM.pdmodel');
    await writeFile(model, serializeProgram(buildModel('pptsm')));
    const out = path.join(dir, 'ppTSM.pdiparams');
    const { code, stderr } = await vidserve(['make-params', '--model_file', model, '--params_file', out, '--seed', '5']);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /277 parameters/);
    const bytes = await readFile(out);
    const program = parseProgram(await readFile(model), model);
    const params = loadProgramParams(program, bytes, out);
    assert.equal(params.size, 277);
    assert.deepEqual(params.get('fc_0.w_0')!.dims, [2048, 400]);
    assert.deepEqual(params.get('res5c_branch2b_weights')!.dims, [512, 512, 3, 3]);
    let total = 0;
    for (const t of params.values()) total += t.data.byteLength;
    assert.equal(total, 24_400_112 * 4); // PP-TSM has 24.4 M float32 parameters (backbone + 2048×400 fc)
    // Same values as the library produces for this seed (the CLI adds nothing of its own).
    const lib = makeParams(program, 5);
    assert.deepEqual(Buffer.from(params.get('conv1_1_weights')!.data), Buffer.from(lib.find((t) => t.name === 'conv1_1_weights')!.data));
    assert.ok(paramFloat32(params.get('res4f_branch2c_weights')!).every(Number.isFinite));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
