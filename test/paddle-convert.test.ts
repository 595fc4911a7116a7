// `vidserve convert` output checked against what paddle_serving_client.convert writes for PP-TSM, and
// loadServingModel on every kind of model dir.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { convertModel } from '../src/paddle/convert.ts';
import { loadServingModel, readOnnxIo } from '../src/paddle/serving_model.ts';
import { decodeConfig, formatConfigText, parseConfigText } from '../src/paddle/serving_conf.ts';
import { serializeProgram } from '../src/paddle/program.ts';
import { buildTiny } from '../src/paddle/models/resnet_vd.ts';
import { makeParamsFile } from '../src/paddle/models/synthetic_params.ts';
import { writeModel } from '../src/paddle/models/index.ts';
import { ModelFormatError } from '../src/errors.ts';

let tmp: string;
let modelDir: string;
let labels: string;
let pptsmServer: string;
let pptsmClient: string;

// The exact text Paddle Serving's save_model writes for the PP-TSM export with --fetch_alias_names outputs.
const PPTSM_PROTOTXT = `feed_var {
  name: "data_batch_0"
  alias_name: "data_batch_0"
  is_lod_tensor: false
  feed_type: 1
  shape: 8
  shape: 3
  shape: 224
  shape: 224
}
fetch_var {
  name: "save_infer_model/scale_0.tmp_1"
  alias_name: "outputs"
  is_lod_tensor: false
  fetch_type: 1
  shape: 400
}
`;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-convert-'));
  // The PP-TSM graph (make-model: the real export op for op) with synthetic weights, in a model dir as PaddleVideo's
  // export leaves it, and a 400-class label list.
  modelDir = path.join(tmp, 'ppTSM');
  await writeModel('pptsm', modelDir, 1);
  labels = path.join(tmp, 'labels.txt');
  await writeFile(labels, Array.from({ length: 400 }, (_, i) => `${i} class_${i}`).join('\n') + '\n');
  pptsmServer = path.join(tmp, 'serving_server');
  pptsmClient = path.join(tmp, 'serving_client');
  const progress: string[] = [];
  await convertModel({
    dirname: modelDir,
    modelFilename: 'ppTSM.pdmodel',
    paramsFilename: 'ppTSM.pdiparams',
    servingServer: pptsmServer,
    servingClient: pptsmClient,
    fetchAlias: ['outputs'],
    labelList: labels,
    onProgress: (m) => progress.push(m),
  });
  assert.ok(progress.some((m) => /reading 277 parameters/.test(m)));
  assert.ok(progress.some((m) => /writing model\.onnx/.test(m)));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test('convert writes Paddle Serving\'s layout: model files, both confs in server and client dirs, model.onnx, label list', async () => {
  assert.deepEqual((await readdir(pptsmServer)).sort(), [
    'label_list.txt',
    'model.onnx',
    'ppTSM.pdiparams',
    'ppTSM.pdmodel',
    'serving_server_conf.prototxt',
    'serving_server_conf.stream.prototxt',
  ]);
  assert.deepEqual((await readdir(pptsmClient)).sort(), ['serving_client_conf.prototxt', 'serving_client_conf.stream.prototxt']);
  assert.deepEqual(await readFile(path.join(pptsmServer, 'ppTSM.pdmodel')), await readFile(path.join(modelDir, 'ppTSM.pdmodel')));
  assert.deepEqual(await readFile(path.join(pptsmServer, 'label_list.txt')), await readFile(labels));
});

test('serving_*_conf.prototxt: text format exactly as Python prints it', async () => {
  assert.equal(await readFile(path.join(pptsmServer, 'serving_server_conf.prototxt'), 'utf8'), PPTSM_PROTOTXT);
  assert.equal(await readFile(path.join(pptsmClient, 'serving_client_conf.prototxt'), 'utf8'), PPTSM_PROTOTXT);
  const c = parseConfigText(PPTSM_PROTOTXT, 'x.prototxt');
  assert.deepEqual(c, {
    feeds: [{ name: 'data_batch_0', alias: 'data_batch_0', isLodTensor: false, feedType: 1, shape: [8, 3, 224, 224] }],
    fetches: [{ name: 'save_infer_model/scale_0.tmp_1', alias: 'outputs', isLodTensor: false, feedType: 1, shape: [400] }],
  });
  assert.equal(formatConfigText(c), PPTSM_PROTOTXT);
});

/** Minimal independent wire reader: [field number, wire type, value] triples of one message. */
function fields(b: Uint8Array): [number, number, number | Uint8Array][] {
  const out: [number, number, number | Uint8Array][] = [];
  let p = 0;
  const varint = (): number => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      const c = b[p++]!;
      r |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (!(c & 0x80)) return Number(BigInt.asIntN(32, r));
    }
  };
  while (p < b.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 0) out.push([key >>> 3, 0, varint()]);
    else if (wire === 2) {
      const n = varint();
      out.push([key >>> 3, 2, b.subarray(p, p + n)]);
      p += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}
const text = (x: number | Uint8Array): string => Buffer.from(x as Uint8Array).toString('utf8');

test('serving_*_conf.stream.prototxt: binary GeneralModelConfig, field by field', async () => {
  const server = await readFile(path.join(pptsmServer, 'serving_server_conf.stream.prototxt'));
  assert.deepEqual(await readFile(path.join(pptsmClient, 'serving_client_conf.stream.prototxt')), server);
  const top = fields(server);
  assert.deepEqual(top.map(([n, w]) => [n, w]), [[1, 2], [2, 2]]); // feed_var = 1, fetch_var = 2 (Paddle Serving v0.9.0)
  const feed = fields(top[0]![2] as Uint8Array);
  assert.equal(text(feed[0]![2]), 'data_batch_0'); // name = 1
  assert.equal(text(feed[1]![2]), 'data_batch_0'); // alias_name = 2
  assert.deepEqual(feed.slice(2), [[3, 0, 0], [4, 0, 1], [5, 0, 8], [5, 0, 3], [5, 0, 224], [5, 0, 224]]); // is_lod_tensor, feed_type, unpacked shape
  assert.deepEqual(feed.slice(0, 2).map(([n]) => n), [1, 2]);
  const fetch = fields(top[1]![2] as Uint8Array);
  assert.deepEqual(fetch.map(([n]) => n), [1, 2, 3, 4, 5]);
  assert.equal(text(fetch[0]![2]), 'save_infer_model/scale_0.tmp_1');
  assert.equal(text(fetch[1]![2]), 'outputs');
  assert.deepEqual(fetch.slice(2), [[3, 0, 0], [4, 0, 1], [5, 0, 400]]);
  assert.deepEqual(decodeConfig(server, 'x'), parseConfigText(PPTSM_PROTOTXT, 'x'));
});

test('model.onnx: graph input data_batch_0 [batch,8,3,224,224] float, output save_infer_model/scale_0.tmp_1 [batch,400]', async () => {
  const io = readOnnxIo(await readFile(path.join(pptsmServer, 'model.onnx')), 'model.onnx');
  assert.deepEqual(io.inputs, [{ name: 'data_batch_0', elemType: 1, dims: ['batch', 8, 3, 224, 224] }]);
  assert.deepEqual(io.outputs, [{ name: 'save_infer_model/scale_0.tmp_1', elemType: 1, dims: ['batch', 400] }]);
});

test('loadServingModel: a converted dir, a Paddle Serving dir (translated on load), a plain .onnx, a stream-only conf', async () => {
  const converted = await loadServingModel(pptsmServer);
  assert.equal(converted.source, 'onnx');
  assert.equal(converted.fetches[0]!.alias, 'outputs');
  assert.equal(converted.labelListPath, path.join(pptsmServer, 'label_list.txt'));

  // Tiny model, converted, then stripped to what Paddle Serving's converter leaves (no model.onnx, no text conf).
  const tinyDir = path.join(tmp, 'tiny');
  await writeModel('tiny', tinyDir, 2);
  const server = path.join(tmp, 'tiny_server');
  await convertModel({ dirname: tinyDir, modelFilename: 'tiny.pdmodel', paramsFilename: 'tiny.pdiparams', servingServer: server, servingClient: path.join(tmp, 'tiny_client'), fetchAlias: ['outputs'] });
  const onnxBytes = await readFile(path.join(server, 'model.onnx'));
  await rm(path.join(server, 'model.onnx'));
  await rm(path.join(server, 'serving_server_conf.prototxt'));
  const paddleDir = await loadServingModel(server);
  assert.equal(paddleDir.source, 'paddle');
  assert.deepEqual(paddleDir.feeds[0]!.shape, [2, 3, 16, 16]);
  assert.equal(paddleDir.fetches[0]!.alias, 'outputs');
  assert.deepEqual(readOnnxIo(paddleDir.onnx), readOnnxIo(onnxBytes));
  assert.equal(paddleDir.labelListPath, undefined);

  const onnxFile = path.join(tmp, 'plain.onnx');
  await writeFile(onnxFile, onnxBytes);
  const plain = await loadServingModel(onnxFile);
  assert.equal(plain.source, 'onnx');
  assert.deepEqual(plain.feeds, [{ name: 'data_batch_0', alias: 'data_batch_0', isLodTensor: false, feedType: 1, shape: [2, 3, 16, 16] }]);
  assert.deepEqual(plain.fetches.map((f) => [f.name, f.shape]), [['save_infer_model/scale_0.tmp_1', [5]]]);
  const onlyOnnxDir = path.join(tmp, 'only_onnx');
  await mkdir(onlyOnnxDir);
  await writeFile(path.join(onlyOnnxDir, 'whatever.onnx'), onnxBytes);
  assert.deepEqual((await loadServingModel(onlyOnnxDir)).feeds, plain.feeds);
});

test('unsupported ops fail convert before anything is written, listing every type and where', async () => {
  const p = buildTiny();
  const ops = p.blocks[0]!.ops;
  ops[4] = { ...ops[4]!, type: 'my_custom_op' };
  ops[7] = { ...ops[7]!, type: 'my_custom_op' };
  ops[10] = { ...ops[10]!, type: 'another_op' };
  const dir = path.join(tmp, 'unsupported');
  await mkdir(dir);
  await writeFile(path.join(dir, 'm.pdmodel'), serializeProgram(p));
  await writeFile(path.join(dir, 'm.pdiparams'), makeParamsFile(p, 0));
  const server = path.join(tmp, 'unsupported_server');
  await assert.rejects(
    convertModel({ dirname: dir, modelFilename: 'm.pdmodel', paramsFilename: 'm.pdiparams', servingServer: server, servingClient: path.join(tmp, 'unsupported_client') }),
    (e: Error) => {
      assert.equal(e.name, 'UnsupportedOpsError');
      assert.match(e.message, /my_custom_op \(2×\): block 0 op #4.*, block 0 op #7/);
      assert.match(e.message, /another_op \(1×\): block 0 op #10/);
      return true;
    },
  );
  assert.ok(!existsSync(server));
});

test('convert errors: missing files, alias count, broken params name the file', async () => {
  const dir = path.join(tmp, 'tiny');
  const opts = { dirname: dir, modelFilename: 'tiny.pdmodel', paramsFilename: 'tiny.pdiparams', servingServer: path.join(tmp, 'e_s'), servingClient: path.join(tmp, 'e_c') };
  await assert.rejects(convertModel({ ...opts, modelFilename: 'nope.pdmodel' }), (e: unknown) => e instanceof ModelFormatError && /nope\.pdmodel: model file not found/.test(e.message));
  await assert.rejects(convertModel({ ...opts, fetchAlias: ['a', 'b'] }), /--fetch_alias has 2 name\(s\) but the model has 1 fetch var\(s\): save_infer_model\/scale_0\.tmp_1/);
  await assert.rejects(convertModel({ ...opts, labelList: path.join(tmp, 'no_labels.txt') }), /no_labels\.txt: label list not found/);
  const cut = path.join(tmp, 'cut');
  await mkdir(cut);
  await copyFile(path.join(dir, 'tiny.pdmodel'), path.join(cut, 'tiny.pdmodel'));
  const params = await readFile(path.join(dir, 'tiny.pdiparams'));
  await writeFile(path.join(cut, 'tiny.pdiparams'), params.subarray(0, params.length - 10));
  await assert.rejects(convertModel({ ...opts, dirname: cut }), (e: unknown) => e instanceof ModelFormatError && /tiny\.pdiparams: truncated: variable res3a_branch2c_weights/.test(e.message));
  // Without --params_filename, parameters are one file per variable (Paddle's separate-files layout).
  await assert.rejects(convertModel({ ...opts, dirname: cut, paramsFilename: undefined }), (e: unknown) => e instanceof ModelFormatError && /batch_norm2d_0\.w_0: parameter file of variable batch_norm2d_0\.w_0 not found/.test(e.message));
});

test('loadServingModel errors are one clear line naming the path', async () => {
  await assert.rejects(loadServingModel(path.join(tmp, 'absent')), /absent: model path not found/);
  const empty = path.join(tmp, 'empty');
  await mkdir(empty);
  await assert.rejects(loadServingModel(empty), /empty: no model found/);
  const badConf = path.join(tmp, 'bad_conf');
  await mkdir(badConf);
  await copyFile(path.join(pptsmServer, 'model.onnx'), path.join(badConf, 'model.onnx'));
  await writeFile(path.join(badConf, 'serving_server_conf.prototxt'), 'feed_var {\n  name: "x"\n  colour: 3\n}\n');
  await assert.rejects(loadServingModel(badConf), /serving_server_conf\.prototxt: line 3: unknown field feed_var\.colour/);
  await writeFile(path.join(badConf, 'serving_server_conf.prototxt'), PPTSM_PROTOTXT.replace('data_batch_0"\n  alias', 'images"\n  alias'));
  await assert.rejects(loadServingModel(badConf), /feed_var images is not an input of .*model\.onnx \(inputs: data_batch_0\)/);
  await writeFile(path.join(tmp, 'garbage.onnx'), Buffer.from('hello world, not onnx'));
  await assert.rejects(loadServingModel(path.join(tmp, 'garbage.onnx')), (e: unknown) => e instanceof ModelFormatError && /garbage\.onnx/.test(e.message));
});
