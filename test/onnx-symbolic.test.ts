// Symbolic dims written as value_info: derived through reshape/flatten/transpose/matmul/concat/reduce, static
// VarDesc dims always kept, and nothing claimed where the algebra cannot tell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferSymbolicShapes, onnxDim, type SymDim } from '../src/paddle/onnx/symbolic.ts';
import { VarTypeCode, type AttrValue, type BlockDesc, type OpDesc } from '../src/paddle/types.ts';

const IS = (value: number[]): AttrValue => ({ kind: 'ints', value });
const I = (value: number): AttrValue => ({ kind: 'int', value });
const B = (value: boolean): AttrValue => ({ kind: 'boolean', value });

function block(vars: Record<string, number[]>, ops: OpDesc[], params: Record<string, number[]> = {}): BlockDesc {
  return {
    idx: 0,
    parentIdx: -1,
    vars: [
      ...Object.entries(vars).map(([name, shape]) => ({ name, type: VarTypeCode.LOD_TENSOR, dtype: 'float32' as const, shape, persistable: false })),
      ...Object.entries(params).map(([name, shape]) => ({ name, type: VarTypeCode.LOD_TENSOR, dtype: 'float32' as const, shape, persistable: true })),
    ],
    ops,
  };
}
const op = (type: string, inputs: Record<string, string[]>, outputs: Record<string, string[]>, attrs: Record<string, AttrValue> = {}): OpDesc => ({ type, inputs, outputs, attrs });
const batch: SymDim = { coef: 1, sym: 'batch' };
const show = (m: Map<string, SymDim[]>, name: string): (number | string | null)[] | undefined => m.get(name)?.map(onnxDim);

test('the clip batch becomes batch*T through reshape2 and comes back through the head reshape', () => {
  const b = block(
    { x: [-1, 8, 3, 4, 4], a: [-1, 3, 4, 4], c: [-1, 6, 2, 2], p: [-1, 6, 1, 1], h: [-1, 8, 6], m: [-1, 6], o: [-1, 5] },
    [
      op('reshape2', { X: ['x'] }, { Out: ['a'] }, { shape: IS([-1, 3, 4, 4]) }),
      op('conv2d', { Input: ['a'], Filter: ['w'] }, { Output: ['c'] }),
      op('pool2d', { X: ['c'] }, { Out: ['p'] }),
      op('reshape2', { X: ['p'] }, { Out: ['h'] }, { shape: IS([-1, 8, 6]) }),
      op('reduce_mean', { X: ['h'] }, { Out: ['m'] }, { dim: IS([1]), keep_dim: B(false) }),
      op('matmul_v2', { X: ['m'], Y: ['fc'] }, { Out: ['o'] }),
    ],
    { w: [6, 3, 3, 3], fc: [6, 5] },
  );
  const s = inferSymbolicShapes(b, new Map([['x', [batch, 8, 3, 4, 4]]]));
  assert.deepEqual(show(s, 'a'), ['batch*8', 3, 4, 4]);
  assert.deepEqual(show(s, 'c'), ['batch*8', 6, 2, 2]);
  assert.deepEqual(show(s, 'h'), ['batch', 8, 6]);
  assert.deepEqual(show(s, 'm'), ['batch', 6]);
  assert.deepEqual(show(s, 'o'), ['batch', 5]);
});

test('elementwise broadcasting, flatten, transpose, unsqueeze and concat keep symbols; unknowns stay unknown', () => {
  const b = block(
    { x: [-1, 4, 3], y: [-1, 4, 3], s: [-1, 4, 3], f: [-1, 12], t: [12, -1], u: [1, -1, 12], k: [-1, 24], sl: [-1, 2], two: [-1, -1] },
    [
      op('elementwise_add', { X: ['x'], Y: ['y'] }, { Out: ['s'] }, { axis: I(-1) }),
      op('flatten_contiguous_range', { X: ['s'] }, { Out: ['f'] }, { start_axis: I(1), stop_axis: I(2) }),
      op('transpose2', { X: ['f'] }, { Out: ['t'] }, { axis: IS([1, 0]) }),
      op('unsqueeze2', { X: ['f'] }, { Out: ['u'] }, { axes: IS([0]) }),
      op('concat', { X: ['f', 'f'] }, { Out: ['k'] }, { axis: I(1) }),
      op('slice', { Input: ['f'] }, { Out: ['sl'] }, { axes: IS([1]), starts: IS([0]), ends: IS([2]) }),
      op('reshape2', { X: ['f'], Shape: ['f'] }, { Out: ['two'] }, { shape: IS([]) }),
    ],
  );
  const s = inferSymbolicShapes(b, new Map([['x', [batch, 4, 3]], ['y', [batch, 4, 3]]]));
  assert.deepEqual(show(s, 's'), ['batch', 4, 3]);
  assert.deepEqual(show(s, 'f'), ['batch', 12]);
  assert.deepEqual(show(s, 't'), [12, 'batch']);
  assert.deepEqual(show(s, 'u'), [1, 'batch', 12]);
  assert.deepEqual(show(s, 'k'), ['batch', 24]);
  assert.deepEqual(show(s, 'sl'), [null, 2], 'slice: static dims from the VarDesc, the rest unknown');
  assert.deepEqual(show(s, 'two'), [null, null], 'a reshape to a runtime shape claims nothing');
});

test('a derived rank that disagrees with the VarDesc claims nothing for that var', () => {
  const b = block({ x: [-1, 6], r: [-1, 2, 3, 1] }, [op('reshape2', { X: ['x'] }, { Out: ['r'] }, { shape: IS([-1, 2, 3]) })]);
  const s = inferSymbolicShapes(b, new Map([['x', [batch, 6]]]));
  assert.equal(s.get('r'), undefined);
});
