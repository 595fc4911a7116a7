// ProgramDesc (.pdmodel) reading and writing: the real PP-TSM export, every attribute type, broken files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseProgram, serializeProgram } from '../src/paddle/program.ts';
import { buildModel } from '../src/paddle/models/index.ts';
import { ModelFormatError } from '../src/errors.ts';
import { VarTypeCode, type AttrValue, type ProgramDesc } from '../src/paddle/types.ts';
import { needsShared, SHARED } from './support/shared.ts';

const REAL = SHARED.ppTSMModel;

describe('the real PP-TSM export', needsShared(REAL), () => {
  const realBytes = (): Buffer => readFileSync(REAL);

  test('the real ppTSM.pdmodel: 1 block, 208 ops of 13 types, 279 persistables, feed and fetch', () => {
    const p = parseProgram(realBytes(), REAL);
    assert.equal(p.blocks.length, 1);
    const b = p.blocks[0]!;
    assert.equal(b.ops.length, 208);
    const counts = new Map<string, number>();
    for (const op of b.ops) counts.set(op.type, (counts.get(op.type) ?? 0) + 1);
    assert.deepEqual(
      Object.fromEntries([...counts].sort()),
      {
        batch_norm: 55,
        conv2d: 55,
        dropout: 1,
        elementwise_add: 17,
        feed: 1,
        fetch: 1,
        matmul: 1,
        pool2d: 5,
        reduce_mean: 1,
        relu: 51,
        reshape2: 3,
        scale: 1,
        temporal_shift: 16,
      },
    );
    assert.equal(b.vars.filter((v) => v.persistable).length, 279);
    assert.equal(p.version, 2000000n);
    assert.equal(p.opVersions?.conv2d, 1);
    const feed = b.vars.find((v) => v.name === 'data_batch_0')!;
    assert.deepEqual([feed.type, feed.dtype, feed.shape], [VarTypeCode.LOD_TENSOR, 'float32', [-1, 8, 3, 224, 224]]);
    const out = b.vars.find((v) => v.name === 'save_infer_model/scale_0.tmp_1')!;
    assert.deepEqual([out.dtype, out.shape, out.lodLevel], ['float32', [-1, 400], 0]);
    assert.equal(b.vars.find((v) => v.name === 'feed')!.type, VarTypeCode.FEED_MINIBATCH);
    const ts = b.ops.find((o) => o.type === 'temporal_shift')!;
    assert.deepEqual(ts.attrs.seg_num, { kind: 'int', value: 8 });
    assert.deepEqual(ts.attrs.shift_ratio, { kind: 'float', value: 0.125 });
    const conv = b.ops.find((o) => o.type === 'conv2d')!;
    assert.deepEqual(conv.inputs, { Bias: [], Filter: ['conv1_1_weights'], Input: ['reshape2_0.tmp_0'], ResidualData: [] });
    assert.deepEqual(conv.attrs.strides, { kind: 'ints', value: [2, 2] });
    assert.equal(b.vars.find((v) => v.name === 'conv1_1_weights')!.shape!.join(','), '32,3,3,3');
  });

  test('real graph round trip: parse → serialize → parse is equal, and re-serializing is stable', () => {
    const real = realBytes();
    const p = parseProgram(real, REAL);
    const bytes = serializeProgram(p);
    const again = parseProgram(bytes, 'roundtrip.pdmodel');
    assert.deepEqual(again, p);
    assert.deepEqual(Buffer.from(serializeProgram(again)), Buffer.from(bytes));
    // Paddle's encoding differs only where it omits `persistable` on the feed var (we always write the field).
    assert.equal(bytes.length - real.length, 2);
  });
});

test('our PP-TSM graph (make-model): serialize → parse → serialize gives the same bytes', () => {
  const bytes = serializeProgram(buildModel('pptsm'));
  const p = parseProgram(bytes, 'ppTSM.pdmodel');
  assert.equal(p.blocks[0]!.ops.length, 208);
  assert.deepEqual(Buffer.from(serializeProgram(p)), Buffer.from(bytes));
});

test('every attribute type survives a round trip', () => {
  const attrs: Record<string, AttrValue> = {
    i: { kind: 'int', value: -7 },
    f: { kind: 'float', value: Math.fround(0.1) },
    s: { kind: 'string', value: 'NCHW ü' },
    is: { kind: 'ints', value: [1, -1, 0, 2147483647] },
    fs: { kind: 'floats', value: [1.5, -2.25] },
    ss: { kind: 'strings', value: ['a', '', 'c'] },
    b: { kind: 'boolean', value: true },
    bs: { kind: 'booleans', value: [true, false, true] },
    blk: { kind: 'block', value: 1 },
    l: { kind: 'long', value: -(2n ** 62n) },
    blks: { kind: 'blocks', value: [1, 2] },
    ls: { kind: 'longs', value: [0n, 2n ** 40n, -1n] },
    f64s: { kind: 'float64s', value: [0.1, 1e-300] },
    v: { kind: 'var', value: 'x' },
    vs: { kind: 'vars', value: ['x', 'y'] },
    f64: { kind: 'float64', value: 0.1 },
    sc_b: { kind: 'scalar', value: true },
    sc_l: { kind: 'scalar', value: 123n },
    sc_d: { kind: 'scalar', value: 2.5 },
    sc_c: { kind: 'scalar', value: { re: 1, im: -2 } },
    scs: { kind: 'scalars', value: [false, 5n, 0.5] },
  };
  const p: ProgramDesc = {
    blocks: [
      {
        idx: 0,
        parentIdx: -1,
        vars: [
          { name: 'x', type: VarTypeCode.LOD_TENSOR, dtype: 'int64', shape: [-1, 3], lodLevel: 1, persistable: false, needCheckFeed: true },
          { name: 'w', type: VarTypeCode.LOD_TENSOR, dtype: 'float16', shape: [3], persistable: true, isParameter: true, stopGradient: true },
          { name: 'c', type: VarTypeCode.LOD_TENSOR, dtypeCode: 23, shape: [2], persistable: false },
          { name: 'arr', type: VarTypeCode.LOD_TENSOR_ARRAY, dtype: 'float32', shape: [4], lodLevel: 0, persistable: false },
          { name: 'sr', type: VarTypeCode.SELECTED_ROWS, dtype: 'bfloat16', shape: [4, 4], persistable: false },
          { name: 'r', type: VarTypeCode.RAW, persistable: false, attrs: { a: { kind: 'int', value: 1 }, b: { kind: 'ints', value: [1] } } },
        ],
        ops: [{ type: 'anything', inputs: { X: ['x'], Empty: [] }, outputs: { Out: ['y', 'z'] }, attrs, isTarget: true }],
      },
      { idx: 1, parentIdx: 0, vars: [], ops: [], forwardBlockIdx: 0 },
    ],
    version: 2005000n,
    opVersions: { conv2d: 1, matmul: 2 },
  };
  assert.deepEqual(parseProgram(serializeProgram(p), 't.pdmodel'), p);
});

function expectFormatError(fn: () => unknown, file: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, re);
    assert.ok(e.message.startsWith(file));
    return true;
  });
}

test('broken .pdmodel files give a ModelFormatError naming the file', () => {
  expectFormatError(() => parseProgram(new Uint8Array(0), 'empty.pdmodel'), 'empty.pdmodel', /empty file/);
  const pptsm = serializeProgram(buildModel('pptsm'));
  expectFormatError(() => parseProgram(pptsm.subarray(0, 100_000), 'cut.pdmodel'), 'cut.pdmodel', /not a valid Paddle ProgramDesc/);
  expectFormatError(() => parseProgram(Buffer.from('{"not": "protobuf"}'), 'json.pdmodel'), 'json.pdmodel', /ProgramDesc/);
  // A valid protobuf that is not a program (no blocks).
  expectFormatError(() => parseProgram(Uint8Array.of(0x22, 0x02, 0x08, 0x01), 'noblocks.pdmodel'), 'noblocks.pdmodel', /no blocks/);
});
