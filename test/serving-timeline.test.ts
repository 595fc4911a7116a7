// Timelines through the real server: a long clip made of different test patterns, answered window by window
// over HTTP and gRPC; every window equals the single-clip prediction of the same frames cut out with ffmpeg.
// Inputs by reference (video_path, video_url) only where the config's allow-list says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { RunningServer } from '../src/serving/server.ts';
import { segmentWindows, type Timeline, type TimelineWindow } from '../src/protocol/timeline.ts';
import type { PipelineResponse } from '../src/protocol/types.ts';
import { grpcClient, postJson, startTestServer, tempDir } from './serving-fixtures.ts';
import { contentModel } from './support/content-model.ts';
import { cutFrames, PATTERNS, renderLongClip } from './support/long-clip.ts';
import { vidserve } from './support/run.ts';
import { VideoClient } from '../src/index.ts';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { V2_PROTO_PATH } from '../src/protocol/v2.ts';

let dir = '';
let allowed = '';
let long = '';
let server: RunningServer;
let files: Server;
let filesPort = 0;

before(async () => {
  dir = tempDir('timeline');
  allowed = path.join(dir, 'allowed');
  await mkdir(allowed);
  long = path.join(allowed, 'long.avi');
  // 6 patterns x 2 s at 10 fps: 120 frames; window 2 s / stride 1 s gives windows at 0, 1, ..., 11 s.
  await renderLongClip(long, { patterns: PATTERNS, seconds: 2, rate: 10, size: '96x64' });
  // A local HTTP server for video_url: /long.avi, a redirect to an allowed path, and one to a host not allowed.
  files = createServer((req, res) => {
    if (req.url === '/videos/long.avi') createReadStream(long).pipe(res);
    else if (req.url === '/videos/again') res.writeHead(302, { location: '/videos/long.avi' }).end();
    else if (req.url === '/videos/away') res.writeHead(302, { location: 'http://localhost:9/secret' }).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesPort = (files.address() as { port: number }).port;
  const model = await contentModel();
  server = await startTestServer(model.servingDir, {
    op: { batch_size: 1 },
    top: { sources: { paths: [allowed], urls: [`http://127.0.0.1:${filesPort}/videos/`] }, timeline: { batch: 4 } },
  });
});

after(async () => {
  await server?.close();
  files?.close();
  await rm(dir, { recursive: true, force: true });
});

const http = (keys: string[], values: string[]) => postJson(server.httpPort!, JSON.stringify({ key: keys, value: values }));

function timelineOf(r: PipelineResponse): Timeline {
  assert.equal(r.err_no, 0, r.err_msg);
  assert.deepEqual(r.key, ['timeline']);
  return JSON.parse(r.value[0]!) as Timeline;
}

let httpTimeline: Timeline | undefined;
async function longTimeline(): Promise<Timeline> {
  if (!httpTimeline) {
    const video = (await readFile(long)).toString('base64');
    httpTimeline = timelineOf((await http(['video', 'window', 'stride', 'topk'], [video, '2', '1', '5'])).json);
  }
  return httpTimeline;
}

test('a timeline over HTTP: windows on the grid, each equal to the single-clip prediction of its frames cut out', async () => {
  const t = await longTimeline();
  assert.equal(t.frames, 120);
  assert.equal(t.duration, 12);
  assert.deepEqual(t.windows.map((w) => [w.start, w.end]), [...Array(11).keys()].map((k) => [k, k + 2]).concat([[11, 12]]));
  for (const [k, w] of t.windows.entries()) {
    const cut = path.join(dir, `cut_${k}.avi`);
    // Window k holds frames [10k, 10k + 20) (the last one 10 frames).
    await cutFrames(long, 10 * k, Math.min(20, 120 - 10 * k), cut);
    const single = (await http(['video', 'topk'], [(await readFile(cut)).toString('base64'), '5'])).json;
    assert.equal(single.err_no, 0, single.err_msg);
    const labels = JSON.parse(single.value[0]!.replace(/'/g, '"')) as string[];
    const probs = JSON.parse(single.value[1]!) as number[];
    assert.deepEqual(w.topk.map((e) => e.label), labels, `window ${k}`);
    // The same input tensor through the same model (batched with 3 other windows here, alone there): same floats.
    w.topk.forEach((e, i) => assert.equal(e.prob, probs[i], `window ${k} ${e.label}`));
    assert.equal(w.label, labels[0]);
  }
  // The patterns are told apart: segments carry several labels, and merge the windows as segmentWindows says.
  assert.ok(new Set(t.segments.map((s) => s.label)).size >= 3, JSON.stringify(t.segments));
  assert.deepEqual(t.segments, segmentWindows(t.windows, 1, 0));
});

test('the same timeline over gRPC, and from a video_path; without the keys the answer is as before', async () => {
  const t = await longTimeline();
  const c = grpcClient(server.rpcPort!);
  try {
    const video = (await readFile(long)).toString('base64');
    const g = timelineOf(await c.call({ key: ['video', 'window', 'stride', 'topk'], value: [video, '2', '1', '5'] }));
    assert.deepEqual(g.windows.map((w) => [w.start, w.label]), t.windows.map((w) => [w.start, w.label]));
  } finally {
    c.close();
  }
  const p = timelineOf((await http(['video_path', 'window', 'stride', 'topk'], [long, '2', '1', '5'])).json);
  assert.deepEqual(p.windows.map((w) => [w.start, w.label]), t.windows.map((w) => [w.start, w.label]));
  const plain = (await http(['video_path'], [long])).json;
  assert.equal(plain.err_no, 0, plain.err_msg);
  assert.deepEqual(plain.key, ['label', 'prob']);
});

test('video_url: fetched when allowed (also through an allowed redirect); other hosts, paths and schemes are 5000', async () => {
  const t = await longTimeline();
  const base = `http://127.0.0.1:${filesPort}/videos`;
  for (const url of [`${base}/long.avi`, `${base}/again`]) {
    const u = timelineOf((await http(['video_url', 'window', 'stride'], [url, '2', '1'])).json);
    assert.deepEqual(u.windows.map((w) => w.label), t.windows.map((w) => w.label));
  }
  for (const [url, why] of [
    [`${base}/away`, /redirect .* not allowed/],
    [`http://127.0.0.1:${filesPort}/secret`, /not allowed/],
    [`http://localhost:${filesPort}/videos/long.avi`, /not allowed/],
    [`file://${long}`, /scheme file: is not accepted/],
    ['not a url', /not a URL/],
  ] as const) {
    const r = (await http(['video_url', 'window'], [url, '2'])).json;
    assert.equal(r.err_no, 5000, url);
    assert.match(r.err_msg, why);
  }
});

test('video_path outside the allowed directories (directly, by .., by symlink) is refused with 5000', async () => {
  const link = path.join(allowed, 'escape.avi');
  await symlink('/etc/hostname', link).catch(() => {});
  for (const p of ['/etc/hostname', `${allowed}/../allowed/../../etc/hostname`, link, 'relative.avi', path.join(allowed, 'missing.avi')]) {
    const r = (await http(['video_path', 'window'], [p, '2'])).json;
    assert.equal(r.err_no, 5000, p);
    assert.match(r.err_msg, /video_path/);
  }
});

test('timeline request errors: bad grid, raw frames, the request\'s own deadline (timeout_ms; op.timeout between batches: serving-deadline.test.ts)', async () => {
  const bad = [
    [['video_path', 'window'], [long, '0']],
    [['video_path', 'window', 'stride'], [long, '2', '-1']],
    [['video_path', 'stride'], [long, '1']],
    [['video_path', 'window', 'threshold'], [long, '2', '1.5']],
    [['frames', 'frames_shape', 'window'], ['AAAA', '(1, 1, 1, 3)', '2']],
  ] as const;
  for (const [k, v] of bad) {
    const r = (await http([...k], [...v])).json;
    assert.equal(r.err_no, 5000, `${k.join(',')}: ${r.err_msg}`);
  }
  const late = (await http(['video_path', 'window', 'stride', 'timeout_ms'], [long, '2', '0.1', '1'])).json;
  assert.equal(late.err_no, 6000, late.err_msg);
  assert.match(late.err_msg, /timeout_ms 1/);
});

test('the Node client and `vidserve client --windows` print the same timeline', async () => {
  const t = await longTimeline();
  const c = new VideoClient({ transport: 'grpc', port: server.rpcPort! });
  try {
    const viaLib = await c.timeline(long, { window: 2, stride: 1, topk: 5 });
    assert.deepEqual(viaLib.windows, t.windows);
    assert.deepEqual(viaLib.segments, t.segments);
    const byPath = await c.timeline(long, { mode: 'path', window: 4, threshold: 0.3 });
    assert.deepEqual(byPath.windows.map((w) => w.start), [0, 4, 8]);
    assert.equal(byPath.threshold, 0.3);
  } finally {
    c.close();
  }
  const text = await vidserve(['client', 'http', '-i', long, '-ptn', String(server.httpPort), '--windows', '2:1', '--topk', '2']);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /long\.avi: 12 windows of 2 s every 1 s over 12\.0 s \(120 frames\); \d+ segments?:/);
  // One line per segment ("0.0 - 2.5   archery  0.338  (2 windows)"), then one per window with its runner-up.
  for (const [i, s] of t.segments.entries()) assert.match(lines[1 + i]!, new RegExp(`^  ${s.start.toFixed(1)} - ${s.end.toFixed(1)} +${s.label} +${s.prob.toFixed(3)}  \\(${s.windows} windows?\\)$`));
  assert.equal(lines[1 + t.segments.length], 'windows:');
  assert.match(lines[2 + t.segments.length]!, new RegExp(`^  0\\.0 - 2\\.0 +${t.windows[0]!.label} ${t.windows[0]!.prob.toFixed(3)}  \\(${t.windows[0]!.topk[1]!.label} `));
  const json = await vidserve(['client', 'rpc', '-i', long, '-ptn', String(server.rpcPort), '--windows', '2:1', '--topk', '5', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual((JSON.parse(json.stdout) as { timeline: Timeline }).timeline.windows, t.windows);
  const refused = await vidserve(['client', 'http', '-i', '/etc/hostname', '--mode', 'path', '-ptn', String(server.httpPort), '--windows', '2']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /err_no 5000|5000/);
});

test('Open Inference Protocol v2: the same timeline from parameters, as a BYTES output "timeline"', async () => {
  const t = await longTimeline();
  const video = (await readFile(long)).toString('base64');
  const infer = (body: unknown) => fetch(`http://127.0.0.1:${server.httpPort}/v2/models/video/infer`, { method: 'POST', body: JSON.stringify(body) });
  const input = { name: 'video', shape: [1], datatype: 'BYTES', data: [video] };
  const r = await infer({ id: 't1', inputs: [input], parameters: { window: 2, stride: 1, topk: 5 } });
  assert.equal(r.status, 200);
  const body = (await r.json()) as { id: string; outputs: Array<{ name: string; datatype: string; shape: number[]; data: string[] }> };
  assert.equal(body.id, 't1');
  assert.deepEqual(body.outputs.map((o) => [o.name, o.datatype, o.shape]), [['timeline', 'BYTES', [1]]]);
  const v2 = JSON.parse(body.outputs[0]!.data[0]!) as Timeline;
  assert.deepEqual(v2.windows, t.windows);
  assert.deepEqual(v2.segments, t.segments);
  // label/prob are not the answer of a timeline request; a bad window is a 400 as any bad input.
  assert.equal((await infer({ inputs: [input], parameters: { window: 2 }, outputs: [{ name: 'label' }] })).status, 400);
  assert.equal((await infer({ inputs: [input], parameters: { window: -2 } })).status, 400);
});

test('Open Inference Protocol v2 over gRPC: ModelInfer with the timeline parameters answers one BYTES output "timeline"', async () => {
  const t = await longTimeline();
  const def = protoLoader.loadSync(V2_PROTO_PATH, { keepCase: true, longs: Number, defaults: true, arrays: true, oneofs: true });
  type Infer = (req: object, cb: (e: grpc.ServiceError | null, r: any) => void) => void;
  const pkg = grpc.loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { ModelInfer: Infer } } };
  const c = new pkg.inference.GRPCInferenceService(`127.0.0.1:${server.rpcPort}`, grpc.credentials.createInsecure());
  const infer = (parameters: object) =>
    new Promise<any>((resolve, reject) =>
      c.ModelInfer({ model_name: 'video', id: 'g1', parameters, inputs: [{ name: 'video', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [video] } }] }, (e, r) => (e ? reject(e) : resolve(r))),
    );
  const video = await readFile(long);
  try {
    const r = await infer({ window: { double_param: 2 }, stride: { int64_param: 1 }, topk: { int64_param: 5 } });
    assert.equal(r.id, 'g1');
    assert.deepEqual(r.outputs.map((o: any) => [o.name, o.datatype, o.shape]), [['timeline', 'BYTES', [1]]]);
    const json = r.raw_output_contents.length ? (r.raw_output_contents[0] as Buffer).subarray(4).toString() : (r.outputs[0].contents.bytes_contents[0] as Buffer).toString();
    const g = JSON.parse(json) as Timeline;
    assert.deepEqual(g.windows, t.windows);
    assert.deepEqual(g.segments, t.segments);
    await assert.rejects(infer({ window: { double_param: -2 } }), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  } finally {
    c.close();
  }
});

test('streams are off unless the config turns them on', async () => {
  for (const [method, url] of [['GET', '/streams'], ['POST', '/streams'], ['GET', '/streams/s1/events']] as const) {
    const r = await fetch(`http://127.0.0.1:${server.httpPort}${url}`, { method, body: method === 'POST' ? '{}' : undefined });
    assert.equal(r.status, 404);
    assert.match(((await r.json()) as { err_msg: string }).err_msg, /streams are disabled/);
  }
});

test('segments: same-label runs merged, windows below the threshold split them, no overlap with overlapping windows', () => {
  const w = (start: number, label: string, prob: number): TimelineWindow => ({ start, end: start + 2, label, prob, topk: [{ label, prob }] });
  const ws = [w(0, 'a', 0.9), w(1, 'a', 0.7), w(2, 'b', 0.8), w(3, 'b', 0.2), w(4, 'b', 0.9), w(5, 'b', 0.5)];
  assert.deepEqual(segmentWindows(ws, 1, 0.4), [
    { start: 0, end: 2.5, label: 'a', prob: 0.8, windows: 2 },
    { start: 2.5, end: 3.5, label: 'b', prob: 0.8, windows: 1 },
    { start: 4.5, end: 7, label: 'b', prob: 0.7, windows: 2 },
  ]);
  assert.deepEqual(segmentWindows(ws, 1, 0).map((s) => [s.start, s.end, s.label, s.windows]), [[0, 2.5, 'a', 2], [2.5, 7, 'b', 4]]);
  assert.deepEqual(segmentWindows([], 1, 0), []);
});
