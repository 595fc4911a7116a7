// Python's own reprs (CPython 3 `repr(float)` / `str(list)`) are the expected values here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pyFloatRepr, pyFloatList, pyStrList, pyStrRepr, pyIntList } from '../src/protocol/pyformat.ts';
import { parseFramesShape, parseShapeString, ShapeSyntaxError } from '../src/protocol/shape.ts';

const f32 = (x: number) => Math.fround(x);

test('repr(float) matches CPython', () => {
  const cases: Array<[number, string]> = [
    [0.9907388687133789, '0.9907388687133789'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.000123, '0.000123'],
    [0.00025, '0.00025'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [9999999999999998.0, '9999999999999998.0'],
    // eslint-disable-next-line no-loss-of-precision -- the literal Python would read: 17 digits round to the nearest double
    [12345678901234567.0, '1.2345678901234568e+16'],
    [1e22, '1e+22'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [123.456, '123.456'],
    [1.5e-7, '1.5e-07'],
    [-2.5e-5, '-2.5e-05'],
    [2.5e100, '2.5e+100'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [100, '100.0'],
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    // float32 values widened to double, as numpy.float32.tolist() does
    [f32(0.1), '0.10000000149011612'],
    [f32(0.0025), '0.0024999999441206455'],
    [f32(1e-5), '9.999999747378752e-06'],
  ];
  for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, `repr(${x})`);
});

test('str(list) of floats, strings and ints matches CPython', () => {
  assert.equal(pyFloatList([0.9907388687133789]), '[0.9907388687133789]');
  assert.equal(pyFloatList([0.5, 1e-5]), '[0.5, 1e-05]');
  assert.equal(pyFloatList([]), '[]');
  assert.equal(pyStrList(['archery']), "['archery']");
  assert.equal(pyStrList(['archery', "it's", 'a\\b', 'tab\t', 'café', '\x7f', '\xa0', 'both\'"']),
    `['archery', "it's", 'a\\\\b', 'tab\\t', 'café', '\\x7f', '\\xa0', 'both\\'"']`);
  assert.equal(pyStrRepr('line\nbreak'), "'line\\nbreak'");
  assert.equal(pyStrRepr('\u200b'), "'\\u200b'");
  assert.equal(pyStrRepr('\u{1F600}'), "'\u{1F600}'");
  assert.equal(pyIntList([3, 17]), '[3, 17]');
});

test('frames_shape parser accepts Python tuple text and nothing else', () => {
  assert.deepEqual(parseFramesShape('(131, 240, 320, 3)'), [131, 240, 320, 3]);
  assert.deepEqual(parseFramesShape(' (2,16,16,3) '), [2, 16, 16, 3]);
  assert.deepEqual(parseFramesShape('[2, 16, 16, 3]'), [2, 16, 16, 3]);
  assert.deepEqual(parseShapeString('(5,)'), [5]);
  assert.deepEqual(parseShapeString('()'), []);
  const bad = [
    '', '131, 240, 320, 3', '(131, 240, 320, 3', '(131 240 320 3)', '(131, -240, 320, 3)', '(1.5, 2, 2, 3)',
    "__import__('os').system('x')", '(131,, 240, 320, 3)', '(0x10, 2, 2, 3)', '(131, 240, 320, 3]', '(1e3, 2, 2, 3)',
  ];
  for (const s of bad) assert.throws(() => parseFramesShape(s), ShapeSyntaxError, JSON.stringify(s));
  assert.throws(() => parseFramesShape('(2, 16, 16)'), /4 dimensions/);
  assert.throws(() => parseFramesShape('(2, 16, 16, 4)'), /RGB/);
  assert.throws(() => parseFramesShape('(0, 16, 16, 3)'), /empty dimension/);
  assert.throws(() => parseFramesShape('(99999999999, 16, 16, 3)'), ShapeSyntaxError);
});
