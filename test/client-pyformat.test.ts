// Pure formatting/parsing used by the client CLI: Python repr of response dicts (as the seed's HTTP client prints
// them), the protobuf text the seed's RPC client prints, strict parsing of Python list literals, -ptn rewriting.
// Expected strings were produced with CPython 3 (print(json.loads(...)), repr(...)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePyJson, pyRepr } from '../src/client/pyrepr.ts';
import { parsePyLiteral, PyLiteralError } from '../src/client/pyliteral.ts';
import { responseToText } from '../src/client/prototext.ts';
import { cEscape } from '../src/protocol/pyformat.ts';
import { readPrediction } from '../src/client/answer.ts';
import { PredictionError, ResponseFormatError } from '../src/client/errors.ts';
import { rewritePtnFlag } from '../src/cli/client.ts';

const py = (json: string): string => pyRepr(parsePyJson(json));

test('the seed README answer prints exactly as Python prints r.json()', () => {
  assert.equal(
    py('{"err_no":0,"err_msg":"","key":["label","prob"],"value":["[\'archery\']","[0.9907388687133789]"],"tensors":[]}'),
    `{'err_no': 0, 'err_msg': '', 'key': ['label', 'prob'], 'value': ["['archery']", '[0.9907388687133789]'], 'tensors': []}`,
  );
});

test('repr of str picks quotes as CPython does and escapes the other quote', () => {
  // Kinetics-400 has "massaging_person's_head": the server's value is ["massaging_person's_head"] (both quotes).
  assert.equal(py('["[\\"massaging_person\'s_head\\"]"]'), `['["massaging_person\\'s_head"]']`);
  assert.equal(py('["it\'s"]'), `["it's"]`);
  assert.equal(py('["say \\"hi\\""]'), `['say "hi"']`);
  assert.equal(
    py('{"err_no": 5000, "err_msg": "frames_shape \\"(1, 2)\\" has 2 dims; it\'s wrong"}'),
    `{'err_no': 5000, 'err_msg': 'frames_shape "(1, 2)" has 2 dims; it\\'s wrong'}`,
  );
  // Backslash, control characters, non-printable and printable non-ASCII code points.
  assert.equal(py('["a\\\\b\\t\\n\\r\\u0007\\u007f\\u0085\\u00a0\\u2028\\u00e9\\ud83d\\ude00"]'), `['a\\\\b\\t\\n\\r\\x07\\x7f\\x85\\xa0\\u2028é😀']`);
});

test('ints stay ints, floats print as Python repr, literals as True/False/None', () => {
  assert.equal(py('[0, -0, 1.0, 100.0, 12345678901234567890123]'), '[0, 0, 1.0, 100.0, 12345678901234567890123]');
  assert.equal(
    py('[1e-05, 0.0001, 1e16, 1234567890123456.0, 0.30000000000000004, 5e-324, 1.7976931348623157e308, -2.5e-7, 123456789.123]'),
    '[1e-05, 0.0001, 1e+16, 1234567890123456.0, 0.30000000000000004, 5e-324, 1.7976931348623157e+308, -2.5e-07, 123456789.123]',
  );
  assert.equal(py('{"a": [true, false, null], "b": {}, "c": [], "d": 1e400, "e": NaN}'), "{'a': [True, False, None], 'b': {}, 'c': [], 'd': inf, 'e': nan}");
});

test('parsePyJson rejects what json.loads rejects', () => {
  for (const bad of ['', '{', '{"a":1,}', '[1 2]', "{'a': 1}", '"\\x41"', '01', '1.', '{"a":1} x']) {
    assert.throws(() => parsePyJson(bad), SyntaxError, bad);
  }
  // Duplicate keys: the last value wins, at the first key's position (as a Python dict built in order).
  assert.equal(py('{"a": 1, "b": 2, "a": 3}'), "{'a': 3, 'b': 2}");
});

test('Python list literals are parsed strictly, never evaluated', () => {
  assert.deepEqual(parsePyLiteral("['archery']"), ['archery']);
  assert.deepEqual(parsePyLiteral('[0.9907388687133789]'), [0.9907388687133789]);
  assert.deepEqual(parsePyLiteral(`['a', "b's", 'c\\'d', '\\xe9\\u20ac\\U0001f600', 'o\\101']`), ['a', "b's", "c'd", 'é€😀', 'oA']);
  assert.deepEqual(parsePyLiteral('[1e-05, -2.5e-07, 3, inf, -inf]'), [1e-5, -2.5e-7, 3, Infinity, -Infinity]);
  assert.ok(Number.isNaN((parsePyLiteral('[nan]') as number[])[0]));
  assert.deepEqual(parsePyLiteral('(8, 3, 224, 224)'), [8, 3, 224, 224]);
  assert.deepEqual(parsePyLiteral('(5,)'), [5]);
  assert.deepEqual(parsePyLiteral('[[1, 2], [], True, None]'), [[1, 2], [], true, null]);
  for (const bad of ["__import__('os')", "['a'", "['a' 'b']", '[1,,2]', "'unterminated", 'infinity', '[1] 2', '', "['a\\x4']"]) {
    assert.throws(() => parsePyLiteral(bad), PyLiteralError, bad);
  }
});

test('RPC output is the protobuf text format Python prints (proto3 defaults left out, C escapes)', () => {
  assert.equal(
    responseToText({ err_no: 0, err_msg: '', key: ['label', 'prob'], value: ["['archery']", '[0.9907388687133789]'], tensors: [] }),
    'key: "label"\nkey: "prob"\nvalue: "[\\\'archery\\\']"\nvalue: "[0.9907388687133789]"\n',
  );
  assert.equal(
    responseToText({ err_no: 5000, err_msg: 'bad "x"\né', key: [], value: [], tensors: [{ name: 't', elem_type: 1, shape: [2], float_data: [0.1, 1e-8] }] }),
    'err_no: 5000\nerr_msg: "bad \\"x\\"\\n\\303\\251"\ntensors {\n  float_data: 0.1\n  float_data: 1e-08\n  elem_type: 1\n  shape: 2\n  name: "t"\n}\n',
  );
  assert.equal(cEscape("a'b\\c\t\u0001\u007f"), "a\\'b\\\\c\\t\\001\\177");
});

test('readPrediction reads label/prob, topk lists, and typed errors', () => {
  const ok = readPrediction({ err_no: 0, err_msg: '', key: ['label', 'prob'], value: ["['archery']", '[0.99]'], tensors: [] });
  assert.deepEqual(ok, { label: 'archery', prob: 0.99 });
  const top = readPrediction({ err_no: 0, err_msg: '', key: ['label', 'prob'], value: ["['a', 'b']", '[0.6, 0.3]'], tensors: [] }, true);
  assert.deepEqual(top, { label: 'a', prob: 0.6, topk: [{ label: 'a', prob: 0.6 }, { label: 'b', prob: 0.3 }] });
  // Without a label list the server may answer class indices.
  assert.equal(readPrediction({ err_no: 0, err_msg: '', key: ['label', 'prob'], value: ['[17]', '[0.5]'], tensors: [] }).label, '17');
  const err = { err_no: 5000, err_msg: 'missing key frames_shape', key: [], value: [], tensors: [] };
  assert.throws(() => readPrediction(err), (e: unknown) => e instanceof PredictionError && e.errNo === 5000 && /5000 \(INPUT_PARAMS_ERROR\): missing key frames_shape/.test(e.message));
  assert.throws(() => readPrediction({ err_no: 0, err_msg: '', key: ['label'], value: ["['a']"], tensors: [] }), ResponseFormatError);
  assert.throws(() => readPrediction({ err_no: 0, err_msg: '', key: ['label', 'prob'], value: ["['a']", 'eval(1)'], tensors: [] }), ResponseFormatError);
  assert.throws(() => readPrediction({ err_no: 0, err_msg: '', key: ['label', 'prob'], value: ["['a', 'b']", '[0.5]'], tensors: [] }), ResponseFormatError);
});

test('-ptn is rewritten for the client command only', () => {
  const argv = ['node', 'vidserve', 'client', 'rpc', '-i', 'x.avi', '-ptn', '9993'];
  rewritePtnFlag(argv);
  assert.deepEqual(argv.slice(6), ['--port_number', '9993']);
  const eq = ['node', 'vidserve', 'client', 'http', '-ptn=18081'];
  rewritePtnFlag(eq);
  assert.equal(eq[4], '--port_number=18081');
  const other = ['node', 'vidserve', 'serve', '-ptn', '1'];
  rewritePtnFlag(other);
  assert.equal(other[3], '-ptn');
});
