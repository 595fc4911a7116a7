// The real server (tiny converted model) over real HTTP and gRPC: answers, formats, every bad-input class.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { pipelineServiceDefinition } from '../src/protocol/proto.ts';
import { writeNpy } from '../src/video/npy.ts';
import { createSession } from '../src/runtime/session.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { preprocessFrames, preprocessVideo } from '../src/video/pipelines.ts';
import { LabelMap, formatPrediction, parseLabelList, predict } from '../src/serving/postprocess.ts';
import type { RunningServer } from '../src/serving/server.ts';
import {
  TINY_LABELS, TINY_PIPELINE, framesBody, grpcClient, postJson, readLogLines, servingDir, startTestServer,
  syntheticFrames, testClip, tinyLabelFile,
} from './serving-fixtures.ts';

let server: RunningServer;
let small: RunningServer;
let modelDir: string;
let labelFile: string;
const frames = syntheticFrames(5, 20, 24, 7);
const shape = [5, 20, 24, 3];

/** The answer computed without the server: same preprocessing, a session of our own, same postprocess. */
async function expectedAnswer(input: { frames: Uint8Array; shape: number[] } | { video: Uint8Array }, k = 1) {
  const model = await loadServingModel(modelDir);
  const session = await createSession(model.onnx);
  const t = 'video' in input
    ? await preprocessVideo(TINY_PIPELINE, input.video)
    : preprocessFrames(TINY_PIPELINE, { data: input.frames, T: input.shape[0]!, H: input.shape[1]!, W: input.shape[2]! });
  const out = await session.run({ [model.feeds[0]!.name]: { data: t.data, dims: [1, ...t.dims] } });
  await session.release();
  const scores = out[model.fetches[0]!.name]!;
  const labels = new LabelMap(parseLabelList(readFileSync(labelFile, 'utf8'), labelFile), labelFile);
  return formatPrediction(predict(scores.data as Float32Array, scores.dims, labels, k));
}

before(async () => {
  modelDir = await servingDir('tiny');
  labelFile = tinyLabelFile();
  server = await startTestServer(modelDir, { labelList: labelFile });
  small = await startTestServer(modelDir, { labelList: labelFile, maxBodyMb: 1 });
});

after(async () => {
  await server?.close();
  await small?.close();
});

test('HTTP frames (the seed protocol) answers label/prob as Python str(list), equal to a direct run', async () => {
  const { status, json } = await postJson(server.httpPort!, framesBody(frames, shape));
  assert.equal(status, 200);
  const want = await expectedAnswer({ frames, shape });
  assert.deepEqual(json, { err_no: 0, err_msg: '', key: ['label', 'prob'], value: want.value, tensors: [] });
  assert.match(json.value[0]!, new RegExp(`^\\['(${TINY_LABELS.join('|')})'\\]$`));
  assert.match(json.value[1]!, /^\[(0\.\d+|1\.0|\d\.\d+e-\d\d)\]$/);
  // key order on the wire is exactly Paddle Serving's
  const raw = await fetch(`http://127.0.0.1:${server.httpPort}/video/prediction`, { method: 'POST', body: framesBody(frames, shape) });
  assert.match(await raw.text(), /^\{"err_no":0,"err_msg":"","key":\["label","prob"\],"value":\["\['[a-z_]+'\]","\[[0-9.e-]+\]"\],"tensors":\[\]\}$/);
});

test('gRPC PipelineService/inference gives the same answer; logid is carried to the log', async () => {
  const c = grpcClient(server.rpcPort!);
  try {
    const r = await c.call({ key: ['frames', 'frames_shape'], value: [Buffer.from(frames).toString('base64'), `(${shape.join(', ')})`], logid: 4242, clientip: '10.0.0.9' });
    const want = await expectedAnswer({ frames, shape });
    assert.equal(r.err_no, 0);
    assert.equal(r.err_msg, '');
    assert.deepEqual(r.key, ['label', 'prob']);
    assert.deepEqual(r.value, want.value);
  } finally {
    c.close();
  }
  const lines = readLogLines(server.logDir, 'pipeline.log');
  const line = lines.find((l) => l.logid === '4242');
  assert.ok(line, 'request line with logid 4242 in pipeline.log');
  assert.equal(line.protocol, 'grpc');
  const timings = line.timings as Record<string, number>;
  for (const k of ['parse', 'base64', 'preprocess', 'queue', 'infer', 'postprocess', 'total']) assert.equal(typeof timings[k], 'number', k);
});

test('compressed video input over HTTP and gRPC (server decodes only sampled frames)', async () => {
  const video = readFileSync(await testClip());
  const want = await expectedAnswer({ video });
  const { json } = await postJson(server.httpPort!, JSON.stringify({ key: ['video'], value: [video.toString('base64')] }));
  assert.equal(json.err_no, 0, json.err_msg);
  assert.deepEqual(json.value, want.value);
  const c = grpcClient(server.rpcPort!);
  try {
    const r = await c.call({ key: ['video'], value: [video.toString('base64')] });
    assert.deepEqual(r.value, want.value);
    // the Python client's tensor form: bytes tensor named video
    const r2 = await c.call({ key: [], value: [], tensors: [{ name: 'video', elem_type: 13, byte_data: video }] });
    assert.equal(r2.err_no, 0, r2.err_msg);
    assert.deepEqual(r2.value, want.value);
  } finally {
    c.close();
  }
});

test('a PP-TSN-style sampler (select_left) on compressed video: decoded once with sampling, same answer as direct', async () => {
  const tsnLike = {
    name: 'tiny-tsn',
    ops: [
      { op: 'Sampler', args: { num_seg: 2, seg_len: 1, valid_mode: true, select_left: true } },
      { op: 'Scale', args: { short_size: 16, fixed_ratio: true, do_round: true, backend: 'cv2' } },
      { op: 'CenterCrop', args: { target_size: 16 } },
      { op: 'Image2Array' },
      { op: 'Normalization', args: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
    ],
  } as const;
  const s = await startTestServer(modelDir, { labelList: labelFile, pipeline: tsnLike as unknown as typeof TINY_PIPELINE });
  try {
    const video = readFileSync(await testClip());
    const model = await loadServingModel(modelDir);
    const session = await createSession(model.onnx);
    const t = await preprocessVideo(tsnLike as unknown as typeof TINY_PIPELINE, video);
    const out = await session.run({ [model.feeds[0]!.name]: { data: t.data, dims: [1, ...t.dims] } });
    await session.release();
    const scores = out[model.fetches[0]!.name]!;
    const labels = new LabelMap(parseLabelList(readFileSync(labelFile, 'utf8'), labelFile), labelFile);
    const want = formatPrediction(predict(scores.data as Float32Array, scores.dims, labels, 1));
    const { json } = await postJson(s.httpPort!, JSON.stringify({ key: ['video'], value: [video.toString('base64')] }));
    assert.equal(json.err_no, 0, json.err_msg);
    assert.deepEqual(json.value, want.value);
  } finally {
    await s.close();
  }
});

test('topk, logid, name/method and any Content-Type are accepted', async () => {
  const body = JSON.stringify({
    key: ['frames', 'frames_shape', 'topk'],
    value: [Buffer.from(frames).toString('base64'), `(${shape.join(', ')})`, '3'],
    name: 'video', method: 'prediction', logid: 17, clientip: '1.2.3.4', tensors: [],
  });
  for (const ct of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
    const { json } = await postJson(server.httpPort!, body, 'video', { 'content-type': ct });
    assert.equal(json.err_no, 0, `${ct}: ${json.err_msg}`);
    const want = await expectedAnswer({ frames, shape }, 3);
    assert.deepEqual(json.value, want.value);
    assert.equal((json.value[0]!.match(/'/g) ?? []).length, 6, 'three labels');
  }
  // no Content-Type at all, as the seed's `requests.post(url, data=json.dumps(...))` sends
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.httpPort!, method: 'POST', path: '/video/prediction', headers: { 'content-length': Buffer.byteLength(body) } }, (r) => {
      let d = '';
      r.on('data', (c) => (d += c));
      r.on('end', () => resolve(d));
    });
    req.on('error', reject);
    req.end(body);
  });
  assert.equal((JSON.parse(text) as { err_no: number }).err_no, 0, text);
});

test('every bad-input class answers err_no 5000 with a message that says what is wrong', async () => {
  const b64 = Buffer.from(frames).toString('base64');
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['not JSON', 'this is not json', /not valid JSON/],
    ['JSON but not an object', '[1,2]', /must be a JSON object/],
    ['empty body', '', /empty request body/],
    ['no input keys', '{"key":[],"value":[]}', /no video input/],
    ['key/value length mismatch', JSON.stringify({ key: ['frames', 'frames_shape'], value: [b64] }), /must pair up/],
    ['unexpected key', JSON.stringify({ key: ['image'], value: ['x'] }), /unexpected key received: "image"/],
    ['value not a string', JSON.stringify({ key: ['frames'], value: [5] }), /must be a string/],
    ['missing frames_shape', JSON.stringify({ key: ['frames'], value: [b64] }), /needs "frames_shape"/],
    ['bad base64', JSON.stringify({ key: ['frames', 'frames_shape'], value: ['@@@' + b64.slice(3), `(${shape.join(', ')})`] }), /not valid base64/],
    ['shape does not match bytes', JSON.stringify({ key: ['frames', 'frames_shape'], value: [b64, '(6, 20, 24, 3)'] }), /needs 8640 bytes/],
    ['frames_shape is code', JSON.stringify({ key: ['frames', 'frames_shape'], value: [b64, "__import__('os').getcwd()"] }), /bad "frames_shape"/],
    ['frames_shape not RGB', JSON.stringify({ key: ['frames', 'frames_shape'], value: [b64, '(5, 20, 72, 1)'] }), /RGB/],
    ['non-video bytes', JSON.stringify({ key: ['video'], value: [Buffer.from('hello, this is not a video file at all').toString('base64')] }), /video|decode|ffmpeg/i],
    ['empty video', JSON.stringify({ key: ['video'], value: [''] }), /"video" is empty/],
    ['both video and frames', JSON.stringify({ key: ['video', 'frames'], value: ['AAAA', b64] }), /either "video" or "frames"/],
    ['bad topk', JSON.stringify({ key: ['frames', 'frames_shape', 'topk'], value: [b64, `(${shape.join(', ')})`, 'all'] }), /"topk" must be a positive integer/],
  ];
  for (const [what, body, msg] of cases) {
    const { status, json } = await postJson(server.httpPort!, body);
    assert.equal(status, 200, what);
    assert.equal(json.err_no, 5000, `${what}: ${json.err_msg}`);
    assert.match(json.err_msg, msg, what);
    // Messages name what the client sent, never the server's temporary files.
    assert.doesNotMatch(json.err_msg, /vidserve-\w+|\/tmp\//, what);
    assert.deepEqual(json.key, [], what);
  }
  // the server is still healthy after all of that
  const { json } = await postJson(server.httpPort!, framesBody(frames, shape));
  assert.equal(json.err_no, 0);
  const wf = readLogLines(server.logDir, 'pipeline.log.wf');
  assert.ok(wf.filter((l) => l.err_no === 5000).length >= cases.length, 'each bad request is logged in pipeline.log.wf');
});

test('bad input over gRPC also answers err_no 5000 in the Response', async () => {
  const c = grpcClient(server.rpcPort!);
  try {
    const r = await c.call({ key: ['frames', 'frames_shape'], value: ['AAAA', '(1, 2, 2, 3)'] });
    assert.equal(r.err_no, 5000);
    assert.match(r.err_msg, /needs 12 bytes/);
    const r2 = await c.call({ key: ['frames_shape'], value: ['(1, 2, 2, 3)'] });
    assert.equal(r2.err_no, 5000);
  } finally {
    c.close();
  }
});

test("the Python PipelineClient's tensor forms: STRING, UINT8 and np.save'd BYTES tensors", async () => {
  const want = await expectedAnswer({ frames, shape });
  const c = grpcClient(server.rpcPort!);
  try {
    // pack_tensor_format=True with str values
    const r1 = await c.call({
      key: [], value: [],
      tensors: [
        { name: 'frames', elem_type: 12, str_data: [Buffer.from(frames).toString('base64')] },
        { name: 'frames_shape', elem_type: 12, str_data: [`(${shape.join(', ')})`] },
      ],
    });
    assert.equal(r1.err_no, 0, r1.err_msg);
    assert.deepEqual(r1.value, want.value);
    // a uint8 ndarray: uint32_data + shape
    const r2 = await c.call({ key: [], value: [], tensors: [{ name: 'frames', elem_type: 7, shape, uint32_data: [...frames] }] });
    assert.equal(r2.err_no, 0, r2.err_msg);
    assert.deepEqual(r2.value, want.value);
    // use_tensor_bytes=True: np.save bytes
    const npy = writeNpy({ data: frames, dims: shape });
    const r3 = await c.call({ key: [], value: [], tensors: [{ name: 'frames', elem_type: 13, byte_data: Buffer.from(npy) }] });
    assert.equal(r3.err_no, 0, r3.err_msg);
    assert.deepEqual(r3.value, want.value);
    // wrong tensor type
    const r4 = await c.call({ key: [], value: [], tensors: [{ name: 'frames', elem_type: 1, shape, float_data: [1, 2] }] });
    assert.equal(r4.err_no, 5000);
    assert.match(r4.err_msg, /must be UINT8 \(elem_type 7\) or BYTES/);
  } finally {
    c.close();
  }
});

test('bytes that are not a Request message over gRPC: err_no 5000, the server keeps serving', async () => {
  const def = pipelineServiceDefinition().inference!;
  const Raw = grpc.makeGenericClientConstructor({ inference: { ...def, requestSerialize: (b: Buffer) => b } }, 'Raw');
  const c = new Raw(`127.0.0.1:${server.rpcPort}`, grpc.credentials.createInsecure());
  try {
    for (const junk of [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x0f, 0x01])]) {
      const r = await new Promise<{ err_no: number; err_msg: string }>((resolve, reject) =>
        (c as unknown as { inference(b: Buffer, cb: (e: Error | null, r: { err_no: number; err_msg: string }) => void): void }).inference(junk, (e, r) => (e ? reject(e) : resolve(r))),
      );
      assert.equal(r.err_no, 5000, r.err_msg);
      // protobufjs reads some junk as fields; either way the answer says what is wrong
      assert.match(r.err_msg, /not a valid pipeline_serving\.Request message|must pair up/);
    }
  } finally {
    c.close();
  }
  const { json } = await postJson(server.httpPort!, framesBody(frames, shape));
  assert.equal(json.err_no, 0);
});

test('oversize body: HTTP 413 with err_no 5000; the limit is configurable', async () => {
  const big = syntheticFrames(20, 120, 160, 3); // ~1.1 MB raw, ~1.5 MB base64 > 1 MB limit
  const { status, json } = await postJson(small.httpPort!, framesBody(big, [20, 120, 160, 3]));
  assert.equal(status, 413);
  assert.equal(json.err_no, 5000);
  assert.match(json.err_msg, /larger than the server's limit of 1 MB/);
  // the same body is fine on the server with the default limit
  const ok = await postJson(server.httpPort!, framesBody(big, [20, 120, 160, 3]));
  assert.equal(ok.json.err_no, 0, ok.json.err_msg);
});

test('health, metrics and unknown routes', async () => {
  const h = (await (await fetch(`http://127.0.0.1:${server.httpPort}/health`)).json()) as Record<string, unknown>;
  assert.equal(h.status, 'ok');
  assert.equal(h.provider, 'cpu');
  assert.equal(h.op, 'video');
  const m = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
  assert.match(m, /vidserve_requests_total\{protocol="http",op="video",err_no="0"\} \d+/);
  assert.match(m, /vidserve_stage_seconds_bucket\{le="[^"]+",stage="infer",protocol="http"\}/);
  const r = await fetch(`http://127.0.0.1:${server.httpPort}/other/prediction`, { method: 'POST', body: '{}' });
  assert.equal(r.status, 404);
  const j = (await r.json()) as { err_no: number; err_msg: string };
  assert.match(j.err_msg, /POST \/video\/prediction/);
});

test('startup log lines name model, provider, ports and warm-up', () => {
  const msgs = readLogLines(server.logDir, 'pipeline.log').map((l) => String(l.msg));
  assert.ok(msgs.some((m) => m.includes(modelDir) && m.startsWith('model ')), 'model line');
  assert.ok(msgs.some((m) => m.startsWith('provider cpu')), 'provider line');
  assert.ok(msgs.some((m) => m.includes(`http_port ${server.httpPort}`) && m.includes(`rpc_port ${server.rpcPort}`)), 'ports line');
  assert.ok(msgs.some((m) => /^warm-up inference .* took \d+ ms$/.test(m)), 'warm-up line');
});
