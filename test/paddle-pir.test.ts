// Paddle 3 PIR programs: the reader on the docs' worked example (field by field), the writer's output read back,
// both formats of the same network translating to the same ONNX model, and malformed files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelFormatError } from '../src/errors.ts';
import { parseModelFile, programFormat } from '../src/paddle/model_file.ts';
import { buildTiny, makeParams, makeParamsFile, writeModel } from '../src/paddle/models/index.ts';
import { translateProgram, UnsupportedOpsError } from '../src/paddle/onnx/index.ts';
import { persistableVars, readParams, writeParams } from '../src/paddle/params.ts';
import { lowerPir } from '../src/paddle/pir/lower.ts';
import { dumpJson, formatDouble, JsonFloat } from '../src/paddle/pir/json.ts';
import { readPirProgram, type PirAttr } from '../src/paddle/pir/reader.ts';
import { writePirProgram } from '../src/paddle/pir/writer.ts';
import { serializeProgram } from '../src/paddle/program.ts';
import type { ParamTensor } from '../src/paddle/types.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { createSession } from '../src/runtime/session.ts';
import { vidserve } from './support/run.ts';

// The worked example of PaddlePaddle/docs docs/guides/paddle_v3_features/pir_save_load.md ("示例": a program with
// two parameters, matmul, add, relu, full, scale and fetch, serialized with trainable=true), copied from the docs.
const DOCS_EXAMPLE = `{"base_code":{"magic":"pir","trainable":true,"version":1},
"program":{"regions":[{"#":"region_0","blocks":[{"#":"block_0","args":[],"ops":[
{"#":"p","A":[0,1,1,"fc_0.b_0"],"O":{"%":1,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[30],"NCHW",[],0]}},"OA":[1,0,1]},
{"#":"p","A":[0,1,1,"fc_0.w_0"],"O":{"%":2,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[30,30],"NCHW",[],0]}},"OA":[1,0,1]},
{"#":"1.data","A":[{"AT":{"#":"0.a_str","D":"A"},"N":"name"},{"AT":{"#":"1.a_intarray","D":[-1,30]},"N":"shape"},{"AT":{"#":"1.a_dtype","D":"float32"},"N":"dtype"},{"AT":{"#":"1.a_place","D":[0,0,""]},"N":"place"}],"I":[],"O":[{"%":3,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,30],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":true}]},"N":"stop_gradient"}]},
{"#":"1.matmul","A":[{"AT":{"#":"0.a_bool","D":false},"N":"transpose_x"},{"AT":{"#":"0.a_bool","D":false},"N":"transpose_y"}],"I":[{"%":3},{"%":2}],"O":[{"%":4,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,30],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":false}]},"N":"stop_gradient"}]},
{"#":"1.add","A":[],"I":[{"%":4},{"%":1}],"O":[{"%":5,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,30],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":false}]},"N":"stop_gradient"}]},
{"#":"1.relu","A":[],"I":[{"%":5}],"O":[{"%":6,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,30],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":false}]},"N":"stop_gradient"}]},
{"#":"1.full","A":[{"AT":{"#":"1.a_intarray","D":[1]},"N":"shape"},{"AT":{"#":"0.a_f32","D":1.0},"N":"value"},{"AT":{"#":"1.a_dtype","D":"float32"},"N":"dtype"},{"AT":{"#":"1.a_place","D":[1,0,""]},"N":"place"}],"I":[],"O":[{"%":7,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[1],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":true}]},"N":"stop_gradient"}]},
{"#":"1.scale","A":[{"AT":{"#":"0.a_f32","D":0.0},"N":"bias"},{"AT":{"#":"0.a_bool","D":true},"N":"bias_after_scale"}],"I":[{"%":6},{"%":7}],"O":[{"%":8,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,30],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":false}]},"N":"stop_gradient"}]},
{"#":"1.fetch","A":[{"AT":{"#":"0.a_str","D":"fetch_name_0"},"N":"name"},{"AT":{"#":"0.a_i32","D":0},"N":"col"}],"I":[{"%":8}],"O":[{"%":9,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[-1,30],"NCHW",[],0]}}],"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":true}]},"N":"persistable"},{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":false}]},"N":"stop_gradient"}]}]}]}]}}`;

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const f32Type = (dims: number[]) => ({ kind: 'dtensor', name: 't_dtensor', dtype: 'float32', elem: { kind: 'scalar', name: 't_f32', dtype: 'float32' }, dims, layout: 'NCHW', lod: [], offset: 0 });
const bools = (...b: boolean[]): PirAttr => ({ kind: 'array', value: b.map((value) => ({ kind: 'bool', value })) });

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-pir-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The docs example's fc layer: seeded parameters (fc_0.b_0 [30], fc_0.w_0 [30, 30]) and a batch-2 input. */
const FC = (() => {
  const b = Float32Array.from({ length: 30 }, (_, i) => (i - 15) / 10);
  const w = Float32Array.from({ length: 900 }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const tensors: ParamTensor[] = [
    { name: 'fc_0.b_0', dtype: 'float32', dims: [30], data: new Uint8Array(b.buffer) },
    { name: 'fc_0.w_0', dtype: 'float32', dims: [30, 30], data: new Uint8Array(w.buffer) },
  ];
  return { b, w, tensors, x: Float32Array.from({ length: 60 }, (_, i) => Math.sin(i)) };
})();

/** Runs the translated docs example on FC.x and checks y = act(x·W + b) element by element. */
async function assertRunsFc(onnx: Uint8Array, act: (acc: number) => number, what: string): Promise<void> {
  const { b, w, x } = FC;
  const s = await createSession(onnx);
  try {
    const y = (await s.run({ A: { data: x, dims: [2, 30] } })).fetch_name_0.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 30; c++) {
        let acc = b[c];
        for (let k = 0; k < 30; k++) acc += x[r * 30 + k] * w[k * 30 + c];
        assert.ok(Math.abs(y[r * 30 + c] - act(acc)) < 1e-5, `${what}: y[${r},${c}]`);
      }
    }
  } finally {
    await s.release();
  }
}

test('docs worked example: base code, values, types and attributes, field by field', () => {
  const p = readPirProgram(bytes(DOCS_EXAMPLE), 'example.json');
  assert.equal(p.version, 1);
  assert.equal(p.trainable, true);
  assert.equal(p.regions.length, 1);
  assert.equal(p.regions[0].id, 'region_0');
  const block = p.regions[0].blocks[0];
  assert.equal(block.id, 'block_0');
  assert.deepEqual(block.args, []);
  assert.deepEqual(
    block.ops.map((o) => o.name),
    ['builtin.parameter', 'builtin.parameter', 'pd_op.data', 'pd_op.matmul', 'pd_op.add', 'pd_op.relu', 'pd_op.full', 'pd_op.scale', 'pd_op.fetch'],
  );
  const [b, w, data, matmul, add, relu, full, scale, fetch] = block.ops;
  // Compact parameter ops: [is_distributed, is_parameter, need_clip, parameter_name] and OA [persistable, stop_gradient, trainable].
  assert.deepEqual(b.results, [{ id: 1, type: f32Type([30]) }]);
  assert.deepEqual([...b.attrs], [
    ['is_distributed', bools(false)],
    ['is_parameter', bools(true)],
    ['need_clip', bools(true)],
    ['parameter_name', { kind: 'str', value: 'fc_0.b_0' }],
  ]);
  assert.deepEqual([...b.resultAttrs], [['persistable', bools(true)], ['stop_gradient', bools(false)], ['trainable', bools(true)]]);
  assert.deepEqual(w.results, [{ id: 2, type: f32Type([30, 30]) }]);
  assert.deepEqual(w.attrs.get('parameter_name'), { kind: 'str', value: 'fc_0.w_0' });
  // pd_op.data: name, shape (IntArray), dtype (DataType), place (Place [type, id, device]).
  assert.deepEqual([...data.attrs], [
    ['name', { kind: 'str', value: 'A' }],
    ['shape', { kind: 'intarray', value: [-1, 30] }],
    ['dtype', { kind: 'dtype', value: 'float32' }],
    ['place', { kind: 'place', value: [0, 0, ''] }],
  ]);
  assert.deepEqual(data.operands, []);
  assert.deepEqual(data.results, [{ id: 3, type: f32Type([-1, 30]) }]);
  assert.deepEqual([...data.resultAttrs], [['stop_gradient', bools(true)]]);
  assert.deepEqual(matmul.operands, [3, 2]);
  assert.deepEqual([...matmul.attrs], [['transpose_x', { kind: 'bool', value: false }], ['transpose_y', { kind: 'bool', value: false }]]);
  assert.deepEqual(matmul.results, [{ id: 4, type: f32Type([-1, 30]) }]);
  assert.deepEqual([add.operands, add.attrs.size, add.results[0].id], [[4, 1], 0, 5]);
  assert.deepEqual([relu.operands, relu.attrs.size, relu.results[0].id], [[5], 0, 6]);
  assert.deepEqual([...full.attrs], [
    ['shape', { kind: 'intarray', value: [1] }],
    ['value', { kind: 'f32', value: 1 }],
    ['dtype', { kind: 'dtype', value: 'float32' }],
    ['place', { kind: 'place', value: [1, 0, ''] }],
  ]);
  assert.deepEqual(full.results, [{ id: 7, type: f32Type([1]) }]);
  assert.deepEqual(scale.operands, [6, 7]);
  assert.deepEqual([...scale.attrs], [['bias', { kind: 'f32', value: 0 }], ['bias_after_scale', { kind: 'bool', value: true }]]);
  assert.deepEqual(fetch.operands, [8]);
  assert.deepEqual([...fetch.attrs], [['name', { kind: 'str', value: 'fetch_name_0' }], ['col', { kind: 'i32', value: 0 }]]);
  assert.deepEqual([...fetch.resultAttrs], [['persistable', bools(true)], ['stop_gradient', bools(false)]]);
  assert.equal(fetch.where, 'program.regions[0].blocks[0].ops[8] (1.fetch)');
});

test('docs worked example: the internal program the translators take, its parameters in sorted-name order, and ONNX', async () => {
  const { program, format } = parseModelFile(bytes(DOCS_EXAMPLE), 'example.json');
  assert.equal(format, 'pir');
  const block = program.blocks[0];
  assert.deepEqual(
    block.ops.map((o) => o.type),
    ['feed', 'matmul_v2', 'elementwise_add', 'relu', 'scale', 'fetch'],
    'full folds into scale as its scale attribute, as in a ProgramDesc',
  );
  const scale = block.ops[4];
  assert.deepEqual(scale.attrs.scale, { kind: 'float', value: 1 });
  assert.deepEqual(scale.inputs, { X: ['%6'] });
  assert.deepEqual(block.ops[1].inputs, { X: ['A'], Y: ['fc_0.w_0'] });
  assert.deepEqual(block.ops[1].attrs, { trans_x: { kind: 'boolean', value: false }, trans_y: { kind: 'boolean', value: false } });
  assert.deepEqual(block.ops[5].inputs, { X: ['fetch_name_0'] }, 'the fetched value takes the fetch name');
  assert.deepEqual(persistableVars(program).map((v) => [v.name, v.shape]), [['fc_0.b_0', [30]], ['fc_0.w_0', [30, 30]]]);

  // Parameters in sorted-name order (pir_io.py save_vars_pir), then run: y = relu(x·W + b).
  const params = readParams(writeParams(FC.tensors), persistableVars(program), 'example.pdiparams');
  const { bytes: onnx, inputs, outputs } = translateProgram(program, params);
  assert.deepEqual(inputs, [{ name: 'A', dims: ['batch', 30] }]);
  assert.deepEqual(outputs, [{ name: 'fetch_name_0', dims: ['batch', 30] }]);
  await assertRunsFc(onnx, (acc) => Math.max(0, acc), 'relu');
});


test('leaky_relu: negative_slope (a float; a double from version 4 on, patch/4.yaml) becomes alpha and runs as LeakyRelu', async () => {
  for (const [version, slope] of [[1, '{"#":"0.a_f32","D":0.25}'], [4, '{"#":"0.a_f64","D":0.25}']] as const) {
    const text = DOCS_EXAMPLE.replace('"version":1', `"version":${version}`).replace('{"#":"1.relu","A":[]', `{"#":"1.leaky_relu","A":[{"AT":${slope},"N":"negative_slope"}]`);
    const { program } = parseModelFile(bytes(text), 'leaky.json');
    const op = program.blocks[0].ops[3];
    assert.equal(op.type, 'leaky_relu');
    assert.deepEqual(op.attrs.alpha, { kind: version === 1 ? 'float' : 'float64', value: 0.25 });
    const params = readParams(writeParams(FC.tensors), persistableVars(program), 'leaky.pdiparams');
    await assertRunsFc(translateProgram(program, params).bytes, (acc) => (acc > 0 ? acc : 0.25 * acc), `version ${version}`);
  }
});

test('NaN and ±Inf float attributes under "VD" are read as such', () => {
  const withVoid = DOCS_EXAMPLE.replace('{"AT":{"#":"0.a_f32","D":0.0},"N":"bias"}', '{"AT":{"#":"0.a_f32","VD":"NaN"},"N":"bias"}').replace(
    '{"AT":{"#":"0.a_f32","D":1.0},"N":"value"}',
    '{"AT":{"#":"0.a_f64","VD":"-INF"},"N":"value"}',
  );
  const ops = readPirProgram(bytes(withVoid), 'void.json').regions[0].blocks[0].ops;
  const bias = ops[7].attrs.get('bias');
  assert.ok(bias?.kind === 'f32' && Number.isNaN(bias.value));
  assert.deepEqual(ops[6].attrs.get('value'), { kind: 'f64', value: -Infinity });
  const inf = withVoid.replace('"VD":"-INF"', '"VD":"INF"');
  assert.deepEqual(readPirProgram(bytes(inf), 'void.json').regions[0].blocks[0].ops[6].attrs.get('value'), { kind: 'f64', value: Infinity });
});

test('nlohmann number notation and sorted keys, as Paddle dumps JSON', () => {
  assert.deepEqual(
    [1, 0, -0, 0.5, 1e-5, Math.fround(1e-5), Math.fround(0.9), 123456789012345, 1e15, 1e16, 1.5e-4, 2.5e21, -3].map(formatDouble),
    ['1.0', '0.0', '-0.0', '0.5', '1e-05', '9.999999747378752e-06', '0.8999999761581421', '123456789012345.0', '1e+15', '1e+16', '0.00015', '2.5e+21', '-3.0'],
  );
  assert.equal(dumpJson({ b: [1, new JsonFloat(2)], a: 'x', '#': null, '%': true }), '{"#":null,"%":true,"a":"x","b":[1,2.0]}');
});

test('writer: the tiny model as a PIR program reads back to the same network; same .pdiparams; same ONNX outputs', async () => {
  const program = buildTiny();
  const text = writePirProgram(program);
  assert.ok(text.startsWith('{"base_code":{"magic":"pir","trainable":true,"version":1},"program":{"regions":[{"#":"region_0","blocks":[{"#":"block_0","args":[],"ops":[{"#":"p","A":[0,1,1,"'));
  const pir = readPirProgram(bytes(text), 'tiny.json');
  const names = pir.regions[0].blocks[0].ops.map((o) => o.name);
  assert.deepEqual([...new Set(names)].sort(), [
    'builtin.parameter', 'pd_op.add', 'pd_op.batch_norm_', 'pd_op.conv2d', 'pd_op.data', 'pd_op.dropout', 'pd_op.fetch', 'pd_op.full',
    'pd_op.full_int_array', 'pd_op.matmul', 'pd_op.mean', 'pd_op.pool2d', 'pd_op.relu', 'pd_op.reshape', 'pd_op.scale', 'pd_op.temporal_shift',
  ]);
  // Ids count from 1 in op order, every operand is defined earlier.
  const ids = pir.regions[0].blocks[0].ops.flatMap((o) => o.results.map((r) => r.id));
  assert.deepEqual(ids, ids.map((_, i) => i + 1));

  const lowered = lowerPir(pir, 'tiny.json');
  const types = (p: typeof program) => p.blocks[0].ops.map((o) => o.type).map((t) => (t === 'matmul' ? 'matmul_v2' : t));
  assert.deepEqual(types(lowered), types(program));
  assert.deepEqual(persistableVars(lowered).map((v) => [v.name, v.shape]), persistableVars(program).map((v) => [v.name, v.shape]));
  // Every attribute the translators read survives (matmul's transpose_X is matmul_v2's trans_x; the elementwise ops'
  // trailing axis is PIR's numpy broadcast, axis -1).
  const renamed: Record<string, string> = { trans_x: 'transpose_X', trans_y: 'transpose_Y' };
  const plain = (v: { value: unknown }): unknown => (typeof v.value === 'bigint' ? Number(v.value) : v.value);
  program.blocks[0].ops.forEach((op, i) => {
    const back = lowered.blocks[0].ops[i];
    for (const [k, v] of Object.entries(back.attrs)) {
      const orig = op.attrs[renamed[k] ?? k];
      if (orig === undefined || (k === 'axis' && op.type.startsWith('elementwise_'))) continue;
      assert.deepEqual(plain(v), plain(orig), `op ${i} ${op.type}.${k}`);
    }
    assert.deepEqual(Object.keys(back.inputs).filter((k) => back.inputs[k].length).sort(), Object.keys(op.inputs).filter((k) => op.inputs[k].length).sort(), `op ${i} ${op.type} inputs`);
  });

  const paramsFile = makeParamsFile(program, 5);
  assert.deepEqual(makeParamsFile(lowered, 5), paramsFile, 'the same seeded parameters for both formats');
  const feed = 'data_batch_0';
  const x = { data: Float32Array.from({ length: 2 * 2 * 3 * 16 * 16 }, (_, i) => Math.cos(i * 0.37) * 2), dims: [2, 2, 3, 16, 16] };
  const run = async (p: typeof program, fetch: string): Promise<Float32Array> => {
    const s = await createSession(translateProgram(p, readParams(paramsFile, persistableVars(p))).bytes);
    try {
      return (await s.run({ [feed]: x }))[fetch].data as Float32Array;
    } finally {
      await s.release();
    }
  };
  const a = await run(program, 'save_infer_model/scale_0.tmp_1');
  const b = await run(lowered, 'fetch_name_0');
  assert.deepEqual(Array.from(b), Array.from(a));
});

test('format is told by content, not by name', async () => {
  const program = buildTiny();
  const pdmodel = serializeProgram(program);
  assert.equal(programFormat(pdmodel), 'pdmodel');
  assert.equal(programFormat(bytes(writePirProgram(program))), 'pir');
  assert.equal(programFormat(bytes('  \n {"program":1}')), 'pir');
  // A PIR program named .pdmodel and a ProgramDesc named .json both read.
  assert.equal(parseModelFile(bytes(writePirProgram(program)), 'model.pdmodel').format, 'pir');
  assert.equal(parseModelFile(pdmodel, 'model.json').format, 'pdmodel');
  assert.ok(makeParams(parseModelFile(pdmodel, 'x').program).length > 0);
});

const errorLine = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ModelFormatError, `ModelFormatError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail('no error');
};

test('malformed PIR: one line naming the file and the place', () => {
  const parse = (s: string) => () => parseModelFile(bytes(s), 'ppTSM.json');
  assert.match(errorLine(parse(DOCS_EXAMPLE.slice(0, 700))), /^ppTSM\.json: not valid JSON: the text ends at byte 700 in the middle of the program — the file is truncated/);
  assert.match(errorLine(parse(DOCS_EXAMPLE.replace('"A":[0,1,1,"fc_0.b_0"]', '"A":[0,1,1,"fc_0.b_0"]]'))), /^ppTSM\.json: not valid JSON at byte \d+ \(line 3, column \d+\): /);
  assert.match(errorLine(parse(DOCS_EXAMPLE.replace('"magic":"pir"', '"magic":"PIX"'))), /^ppTSM\.json: base_code\.magic: is "PIX", expected "pir"/);
  assert.match(
    errorLine(parse(DOCS_EXAMPLE.replace('"version":1', '"version":7'))),
    /^ppTSM\.json: base_code\.version: PIR version 7 is not one vidserve reads \(Paddle's compatibility patches cover versions 0, 1, 2, 3, 4\)/,
  );
  assert.match(
    errorLine(parse(DOCS_EXAMPLE.replace('"I":[{"%":5}]', '"I":[{"%":55}]'))),
    /^ppTSM\.json: program\.regions\[0\]\.blocks\[0\]\.ops\[5\] \(1\.relu\)\.I\[0\]: operand refers to value %55, which no earlier op or block argument defines$/,
  );
  assert.match(
    errorLine(parse(DOCS_EXAMPLE.replace('"O":[{"%":6,', '"O":[{"%":5,'))),
    /^ppTSM\.json: program\.regions\[0\]\.blocks\[0\]\.ops\[5\] \(1\.relu\)\.O\[0\]: value %5 is defined a second time$/,
  );
  assert.match(
    errorLine(parse(DOCS_EXAMPLE.replace('{"#":"0.t_f32"},[30,30]', '{"#":"0.t_f32"},"30x30"'))),
    /^ppTSM\.json: program\.regions\[0\]\.blocks\[0\]\.ops\[1\] \(p\)\.O\.TT\.D\[1\]: expected a JSON array, found "30x30"$/,
  );
  assert.match(errorLine(parse(DOCS_EXAMPLE.replace('"#":"1.relu"', '"#":"9.relu"'))), /ops\[5\]\["#"\]: op "9\.relu": unknown dialect id 9/);
  assert.match(errorLine(parse(DOCS_EXAMPLE.replace('"#":"0.a_bool","D":false},"N":"transpose_x"', '"#":"0.a_blob","D":false},"N":"transpose_x"'))), /ops\[3\] \(1\.matmul\)\.A\[0\] \(transpose_x\): unknown attribute type "0\.a_blob"/);
});

test('parameter count not matching the .pdiparams: one line naming the params file and the variable', () => {
  const { program } = parseModelFile(bytes(DOCS_EXAMPLE), 'example.json');
  const vars = persistableVars(program);
  const one: ParamTensor = { name: 'fc_0.b_0', dtype: 'float32', dims: [30], data: new Uint8Array(120) };
  const tooFew = errorLine(() => readParams(writeParams([one]), vars, 'example.pdiparams'));
  assert.match(tooFew, /^example\.pdiparams: truncated: variable fc_0\.w_0 \(#2 of 2, at byte \d+\)/);
  const three = [one, { ...one, name: 'fc_0.w_0', dims: [30, 30], data: new Uint8Array(3600) }, one];
  assert.match(errorLine(() => readParams(writeParams(three), vars, 'example.pdiparams')), /^example\.pdiparams: \d+ bytes left after the last variable fc_0\.w_0: the file holds more than the program's 2 persistable variables/);
});

test('an op without a translation fails before translation, listed with its type and place in the file', () => {
  const text = DOCS_EXAMPLE.replace('"#":"1.relu"', '"#":"1.gelu"');
  const { program } = parseModelFile(bytes(text), 'ppTSM.json');
  assert.throws(
    () => translateProgram(program, new Map()),
    (e: unknown) =>
      e instanceof UnsupportedOpsError &&
      /cannot translate 1 op\(s\) of 1 unsupported type\(s\) to ONNX:\n {2}pd_op\.gelu \(1×\): ppTSM\.json program\.regions\[0\]\.blocks\[0\]\.ops\[5\] \(1\.gelu\) → %6/.test(e.message),
  );
});

test('make-model --format pir writes <Stem>.json + the same .pdiparams as the .pdmodel export', async () => {
  const a = await writeModel('tiny', path.join(tmp, 'pd'), 3);
  const b = await writeModel('tiny', path.join(tmp, 'pir'), 3, { format: 'pir' });
  assert.equal(path.basename(b.modelFile), 'tiny.json');
  assert.deepEqual(await readFile(b.paramsFile), await readFile(a.paramsFile));
  const head = (await readFile(b.modelFile)).subarray(0, 40).toString();
  assert.equal(head, '{"base_code":{"magic":"pir","trainable":');
  await writeFile(path.join(tmp, 'junk.json'), '{"base_code":{"magic":"pir","trainable":true,"version":1},"program":{"regions":[]}}');
  assert.match(errorLine(() => parseModelFile(bytes('{"base_code":{"magic":"pir","trainable":true,"version":1},"program":{"regions":[]}}'), 'junk.json')), /program\.regions: a program has exactly one top-level region, found 0/);
});

test('CLI: make-model --format pir, convert --model_filename tiny.json, make-params on the .json; an untranslatable op writes nothing', async () => {
  const run = (args: string[]) => vidserve(args, { cwd: tmp });
  const mk = await run(['make-model', 'tiny', '--out', 'cli', '--format', 'pir', '--seed', '3']);
  assert.equal(mk.code, 0, mk.stderr);
  assert.match(mk.stderr, /wrote cli\/tiny\.json/);
  const cv = await run(['convert', '--dirname', 'cli', '--model_filename', 'tiny.json', '--params_filename', 'tiny.pdiparams', '--fetch_alias', 'outputs', '--serving_server', 'srv', '--serving_client', 'cli_client']);
  assert.equal(cv.code, 0, cv.stderr);
  assert.match(cv.stderr, /reading 57 parameters/);
  assert.match(cv.stderr, /feed {2}data_batch_0 \(alias data_batch_0\) type 1 shape \[2, 3, 16, 16\]/);
  assert.match(cv.stderr, /fetch fetch_name_0 \(alias outputs\) type 1 shape \[5\]/);
  assert.deepEqual((await readdir(path.join(tmp, 'srv'))).sort(), ['model.onnx', 'serving_server_conf.prototxt', 'serving_server_conf.stream.prototxt', 'tiny.json', 'tiny.pdiparams']);
  const m = await loadServingModel(path.join(tmp, 'srv'));
  assert.deepEqual(m.fetches.map((f) => f.alias), ['outputs']);

  const mp = await run(['make-params', '--model_file', 'cli/tiny.json', '--params_file', 'again.pdiparams', '--seed', '3']);
  assert.equal(mp.code, 0, mp.stderr);
  assert.deepEqual(await readFile(path.join(tmp, 'again.pdiparams')), await readFile(path.join(tmp, 'cli', 'tiny.pdiparams')));

  // An op vidserve has no translation for: convert fails before writing anything, naming the op and its place.
  const text = (await readFile(path.join(tmp, 'cli', 'tiny.json'), 'utf8')).replaceAll('"#":"1.temporal_shift"', '"#":"1.gelu"');
  await writeFile(path.join(tmp, 'cli', 'bad.json'), text);
  const bad = await run(['convert', '--dirname', 'cli', '--model_filename', 'bad.json', '--params_filename', 'tiny.pdiparams', '--serving_server', 'bad_srv', '--serving_client', 'bad_client']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /cannot translate 2 op\(s\) of 1 unsupported type\(s\) to ONNX:\n\s+pd_op\.gelu \(2×\): cli\/bad\.json program\.regions\[0\]\.blocks\[0\]\.ops\[\d+\] \(1\.gelu\) → %\d+, cli\/bad\.json program\.regions\[0\]\.blocks\[0\]\.ops\[\d+\]/);
  assert.equal(existsSync(path.join(tmp, 'bad_srv')), false);
  assert.equal(existsSync(path.join(tmp, 'bad_client')), false);

  // A truncated program: one line naming the file.
  await writeFile(path.join(tmp, 'cli', 'cut.json'), text.slice(0, 5000));
  const cut = await run(['convert', '--dirname', 'cli', '--model_filename', 'cut.json', '--params_filename', 'tiny.pdiparams']);
  assert.notEqual(cut.code, 0);
  assert.match(cut.stderr, /vidserve: cli\/cut\.json: not valid JSON: the text ends at byte 5000 in the middle of the program — the file is truncated/);
});

test('builtin.combine feeds a list operand (concat), builtin.split gives the list back, full folds into concat axis', async () => {
  const t = (dims: number[]) => `{"#":"0.t_dtensor","D":[{"#":"0.t_f32"},[${dims}],"NCHW",[],0]}`;
  const sg = '"OA":[{"AT":{"#":"0.a_array","D":[{"#":"0.a_bool","D":false}]},"N":"stop_gradient"}]';
  const data = (id: number, name: string) =>
    `{"#":"1.data","A":[{"AT":{"#":"0.a_str","D":"${name}"},"N":"name"},{"AT":{"#":"1.a_intarray","D":[-1,3]},"N":"shape"},{"AT":{"#":"1.a_dtype","D":"float32"},"N":"dtype"},{"AT":{"#":"1.a_place","D":[0,0,""]},"N":"place"}],"I":[],"O":[{"%":${id},"TT":${t([-1, 3])}}],${sg}}`;
  const fetch = (id: number, of: number, name: string, col: number) =>
    `{"#":"1.fetch","A":[{"AT":{"#":"0.a_str","D":"${name}"},"N":"name"},{"AT":{"#":"0.a_i32","D":${col}},"N":"col"}],"I":[{"%":${of}}],"O":[{"%":${id},"TT":${t([-1, 6])}}],${sg}}`;
  const text = `{"base_code":{"magic":"pir","trainable":true,"version":2},"program":{"regions":[{"#":"region_0","blocks":[{"#":"block_0","args":[],"ops":[
${data(1, 'a')},${data(2, 'b')},
{"#":"0.combine","A":[],"I":[{"%":1},{"%":2}],"O":[{"%":3,"TT":{"#":"0.t_vec","D":[${t([-1, 3])},${t([-1, 3])}]}}]},
{"#":"1.full","A":[{"AT":{"#":"1.a_intarray","D":[1]},"N":"shape"},{"AT":{"#":"0.a_f64","D":1.0},"N":"value"},{"AT":{"#":"1.a_dtype","D":"int32"},"N":"dtype"},{"AT":{"#":"1.a_place","D":[1,0,""]},"N":"place"}],"I":[],"O":[{"%":4,"TT":{"#":"0.t_dtensor","D":[{"#":"0.t_i32"},[1],"NCHW",[],0]}}],${sg}},
{"#":"1.concat","A":[],"I":[{"%":3},{"%":4}],"O":[{"%":5,"TT":${t([-1, 6])}}],${sg}},
{"#":"0.split","A":[],"I":[{"%":3}],"O":[{"%":6,"TT":${t([-1, 3])}},{"%":7,"TT":${t([-1, 3])}}]},
{"#":"1.multiply","A":[],"I":[{"%":6},{"%":7}],"O":[{"%":8,"TT":${t([-1, 3])}}],${sg}},
${fetch(9, 5, 'joined', 0)},${fetch(10, 8, 'product', 1)}]}]}]}}`;
  const { program } = parseModelFile(bytes(text), 'combine.json');
  const ops = program.blocks[0].ops;
  assert.deepEqual(ops.map((o) => o.type), ['feed', 'feed', 'concat', 'elementwise_mul', 'fetch', 'fetch']);
  assert.deepEqual(ops[2].inputs, { X: ['a', 'b'] });
  assert.deepEqual(ops[2].attrs.axis, { kind: 'int', value: 1 });
  assert.deepEqual(ops[3].inputs, { X: ['a'], Y: ['b'] }, 'split hands back the combined values');
  const { bytes: onnx } = translateProgram(program, new Map());
  const s = await createSession(onnx);
  try {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([10, 20, 30, 40, 50, 60]);
    const out = await s.run({ a: { data: a, dims: [2, 3] }, b: { data: b, dims: [2, 3] } });
    assert.deepEqual(Array.from(out.joined.data as Float32Array), [1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60]);
    assert.deepEqual(Array.from(out.product.data as Float32Array), [10, 40, 90, 160, 250, 360]);
  } finally {
    await s.release();
  }
});
