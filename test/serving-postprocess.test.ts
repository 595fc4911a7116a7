// The seed's postprocess (numpy float32 softmax, max, str(list)) reproduced digit for digit.
// Expected values are what numpy 2.x (x86 SIMD exp) and CPython print for the same float32 logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LabelMap, diagnoseScores, fmaF32, formatPrediction, numpyExpF32, pairwiseSumF32, parseLabelList, predict, softmaxF32, topK,
} from '../src/serving/postprocess.ts';
import { pyFloatRepr } from '../src/protocol/pyformat.ts';
import { ByteSpan, parseJsonBytes, JsonBodyError } from '../src/serving/jsonbody.ts';
import { decodeBase64 } from '../src/serving/request.ts';

/** logits[i] = float32(((i * mul) % mod) / div - off): exact decimals, the same in Python and here. */
function logits(n: number, mul: number, mod: number, div: number, off: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * mul) % mod) / div - off);
}

const bitsToF32 = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0]!;

test('numpy float32 exp, including where it differs from a correctly rounded exp', () => {
  // [input bits, numpy's np.exp result bits] — each differs by 1 ulp from float32(math.exp(x)).
  const cases: Array<[number, number]> = [
    [0xc1924bcf, 0x32445e18],
    [0xc174387c, 0x347c4d36],
    [0xc07e5e62, 0x3c99ea54],
    [0xc190f07e, 0x3268a8d9],
    [0xc126b41e, 0x37fa7cf0],
    [0xc1867118, 0x33580b99],
  ];
  for (const [x, y] of cases) assert.equal(numpyExpF32(bitsToF32(x)), bitsToF32(y), `exp(${bitsToF32(x)})`);
  assert.equal(numpyExpF32(0), 1);
  assert.equal(numpyExpF32(-200), 0);
  assert.equal(numpyExpF32(100), Infinity);
  assert.ok(Number.isNaN(numpyExpF32(NaN)));
});

test('fused multiply-add in float32 rounds once', () => {
  // 1 + 2^-24 is a float32 tie; with the tiny product the exact sum is just above it, so it rounds up.
  const a = 2 ** -30;
  const b = 2 ** -30;
  assert.equal(fmaF32(a, b, 1 + 2 ** -24), Math.fround(1 + 2 ** -23));
  assert.equal(fmaF32(2, 3, 4), 10);
});

test('softmax matches numpy: all probabilities of small rows, top-3 of 400-class rows', () => {
  const five = softmaxF32(logits(5, 37, 100, 10, 5));
  assert.deepEqual([...five].map(pyFloatRepr), ['0.000554955389816314', '0.022446447983384132', '0.907898485660553', '0.0016671780031174421', '0.06743285804986954']);
  const twelve = softmaxF32(logits(12, 7919, 1000, 100, 5));
  assert.deepEqual([...twelve].map(pyFloatRepr), [
    '5.665934440912679e-05', '0.5551854372024536', '0.2469787448644638', '0.10987046360969543', '0.04887676611542702',
    '0.021743224933743477', '0.009672646410763264', '0.004302955232560635', '0.0019142045639455318',
    '0.0008515493827871978', '0.00037881862954236567', '0.00016852046246640384',
  ]);
  const a = topK(softmaxF32(logits(400, 7919, 1000, 100, 5)), 3);
  assert.deepEqual(a.indices, [321, 284, 247]);
  assert.deepEqual(a.probs.map(pyFloatRepr), ['0.024873895570635796', '0.024138767272233963', '0.023425353690981865']);
  const b = topK(softmaxF32(logits(400, 104729, 997, 50, 10)), 3);
  assert.deepEqual(b.indices, [385, 317, 249]);
  assert.deepEqual(b.probs.map(pyFloatRepr), ['0.04652220755815506', '0.04560098424553871', '0.04469804838299751']);
});

test('pairwise float32 sum follows numpy blocking', () => {
  const x = Float32Array.from({ length: 300 }, (_, i) => 0.1 * (i % 7));
  // np.sum(x) prints 89.69999694824219; a naive float32 loop gives 89.69996643066406
  assert.equal(pyFloatRepr(pairwiseSumF32(x)), '89.69999694824219');
  let naive = 0;
  for (const v of x) naive = Math.fround(naive + v);
  assert.equal(pyFloatRepr(naive), '89.69996643066406');
});

test("answers are the seed's str(list) of labels and float32 probabilities; ties go to the lower index", () => {
  const labels = new LabelMap(parseLabelList('0 abseiling\n1 air_drumming\n2 archery\n', 'l.txt'), 'l.txt');
  const scores = new Float32Array([1, 3, 3, 0, 2, 5]);
  const preds = predict(scores, [2, 3], labels, 1);
  assert.deepEqual(formatPrediction(preds), { key: ['label', 'prob'], value: ["['air_drumming', 'archery']", '[0.46831050515174866, 0.9464991688728333]'] });
  assert.deepEqual(formatPrediction(predict(scores.subarray(0, 3), [1, 3], new LabelMap(null, null), 2)).value, ["['1', '2']", '[0.46831050515174866, 0.46831050515174866]']);
  assert.throws(() => parseLabelList('0 a\n0 b\n', 'dup.txt'), /dup\.txt:2: index 0 appears twice/);
  assert.throws(() => parseLabelList('\n', 'empty.txt'), /empty/);
});

test('untrained-weights diagnosis', () => {
  assert.match(diagnoseScores(new Float32Array(400), 400) ?? '', /uniform \(every class ≈ 1\/400 = 0\.00250/);
  assert.match(diagnoseScores(new Float32Array([1, NaN, 0]), 3) ?? '', /NaN or Infinity/);
  assert.equal(diagnoseScores(logits(400, 7919, 1000, 100, 5), 400), null);
});

test('body JSON parser keeps the big string as bytes and reports errors with offsets', () => {
  const big = 'A'.repeat(10000);
  const v = parseJsonBytes(Buffer.from(`{"key":["frames","frames_shape"],"value":["${big}","(1, 2, 3, 3)"],"logid":12,"x":[true,null,-1.5e3]}`)) as Record<string, unknown>;
  const value = v.value as unknown[];
  assert.ok(value[0] instanceof ByteSpan);
  assert.equal((value[0] as ByteSpan).length, 10000);
  assert.equal(value[1], '(1, 2, 3, 3)');
  assert.equal(v.logid, 12);
  assert.deepEqual(v.x, [true, null, -1500]);
  assert.deepEqual(parseJsonBytes(Buffer.from('{"a":"q\\"uote\\u00e9"}')), Object.assign(Object.create(null), { a: 'q"uoteé' }));
  for (const bad of ['{"a":1,}', '{"a" 1}', '[1 2]', '{"a":"x}', 'nul', '{"a":1} x', '{"a":01}']) {
    assert.throws(() => parseJsonBytes(Buffer.from(bad)), JsonBodyError, bad);
  }
  assert.throws(() => parseJsonBytes(Buffer.from('{"a":[1,2,}')), /at byte 10/);
});

test('strict base64: characters outside the alphabet are an error, not silently skipped', () => {
  assert.deepEqual([...decodeBase64('AAEC', 'frames')], [0, 1, 2]);
  assert.deepEqual([...decodeBase64('AAE=', 'frames')], [0, 1]);
  for (const bad of ['AA!C', 'AAE', 'A===', 'AAEC\n', '@@@@']) assert.throws(() => decodeBase64(bad, 'frames'), /"frames" is not valid base64/, bad);
});
