// A lost inference worker (concurrency 1, no op timeout): requests that queue meanwhile are answered once the
// replacement is ready; a replacement that cannot start is logged and retried with backoff, /health says 503
// "degraded" (and the Open Inference Protocol's readiness says not ready, so Kubernetes routes elsewhere), and
// requests are answered at once instead of waiting for an unknown time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, renameSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { V2_PROTO_PATH } from '../src/protocol/v2.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { framesBody, postJson, readLogLines, removeDir, servingDir, startTestServer, syntheticFrames, tempDir } from './serving-fixtures.ts';

let dir: string;
let modelDir: string;
let logDir: string;
let server: RunningServer;
const body = framesBody(syntheticFrames(4, 20, 24, 5), [4, 20, 24, 3]);

before(async () => {
  dir = tempDir('worker-loss');
  // A private copy: the test takes its model.onnx away.
  modelDir = path.join(dir, 'serving_server');
  cpSync(await servingDir('tiny'), modelDir, { recursive: true });
  logDir = path.join(dir, 'logs');
  server = await startTestServer(modelDir, { logDir });
});

after(async () => {
  await server?.close();
  if (dir) removeDir(dir);
});

/** `p`, or a failure after `ms` (a request that waits forever must fail the test, not hang it; generous: 2 busy cores). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function health(): Promise<{ code: number; body: { status: string; infer_workers: number } }> {
  const r = await fetch(`http://127.0.0.1:${server.httpPort}/health`);
  return { code: r.status, body: (await r.json()) as { status: string; infer_workers: number } };
}

/** Readiness as the v2 protocol tells it: REST server and model routes, and gRPC ServerReady. */
async function v2Readiness(): Promise<{ live: number; ready: number; model: number; body: unknown; grpcReady: boolean }> {
  const get = (route: string) => fetch(`http://127.0.0.1:${server.httpPort}${route}`);
  const ready = await get('/v2/health/ready');
  const def = protoLoader.loadSync(V2_PROTO_PATH, { keepCase: true, defaults: true });
  type Client = grpc.Client & { ServerReady(r: object, cb: (e: grpc.ServiceError | null, r: { ready: boolean }) => void): void };
  const Service = (grpc.loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: new (a: string, c: grpc.ChannelCredentials) => Client } }).inference.GRPCInferenceService;
  const c = new Service(`127.0.0.1:${server.rpcPort}`, grpc.credentials.createInsecure());
  try {
    const g = await new Promise<{ ready: boolean }>((resolve, reject) => c.ServerReady({}, (e, r) => (e ? reject(e) : resolve(r))));
    return { live: (await get('/v2/health/live')).status, ready: ready.status, body: await ready.json(), model: (await get('/v2/models/video/ready')).status, grpcReady: g.ready };
  } finally {
    c.close();
  }
}

test('a request that queues while the only inference worker is replaced is answered when the replacement is ready', async () => {
  const before = await postJson(server.httpPort!, body);
  assert.equal(before.json.err_no, 0, before.json.err_msg);
  await server.op.infer.crashOneForTest();
  await until(() => server.op.infer.size === 0, 5000, 'the worker gone');
  // Queued in the op while no worker is up (starting one takes longer than preparing this input).
  const r = await within(postJson(server.httpPort!, body), 120_000, 'request queued during the restart');
  assert.equal(r.json.err_no, 0, r.json.err_msg);
  assert.deepEqual(r.json.value, before.json.value);
  assert.equal(server.op.infer.size, 1);
  assert.ok(readLogLines(logDir, 'pipeline.log.wf').some((l) => /infer worker lost/.test(String(l.msg))));
});

test('a replacement that cannot start: logged, retried with backoff, /health 503 degraded, requests answered at once', async () => {
  const onnx = path.join(modelDir, 'model.onnx');
  renameSync(onnx, `${onnx}.away`);
  try {
    await server.op.infer.crashOneForTest();
    await until(() => server.op.infer.unavailable !== null, 60_000, 'the failed restart');
    const h = await health();
    assert.equal(h.code, 503);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.infer_workers, 0);
    // Live (restarting the process would not help) but not ready, on every v2 readiness route.
    assert.deepEqual(await v2Readiness(), { live: 200, ready: 503, body: { ready: false }, model: 503, grpcReady: false });
    const r = await within(postJson(server.httpPort!, body), 30_000, 'request while no worker can start');
    assert.equal(r.status, 503);
    assert.equal(r.json.err_no, 3002);
    assert.match(r.json.err_msg, /no infer worker is running: restarting it failed .*model\.onnx/);
    const failures = () => readLogLines(logDir, 'pipeline.log.wf').filter((l) => /infer worker could not be restarted \(attempt \d+\)/.test(String(l.msg)));
    await until(() => failures().length >= 2, 60_000, 'a second attempt');
    assert.match(String(failures()[0]!.msg), /retrying in 500 ms/);
    assert.match(String(failures()[1]!.msg), /attempt 2\).*retrying in 1000 ms/);
  } finally {
    renameSync(`${onnx}.away`, onnx);
  }
  // Back with the model file: the next attempt starts a worker, and requests are served again.
  await until(async () => (await health()).code === 200, 120_000, '/health ok again');
  assert.deepEqual(await v2Readiness(), { live: 200, ready: 200, body: { ready: true }, model: 200, grpcReady: true });
  const r = await within(postJson(server.httpPort!, body), 120_000, 'request after recovery');
  assert.equal(r.json.err_no, 0, r.json.err_msg);
  assert.ok(readLogLines(logDir, 'pipeline.log').some((l) => /infer worker replaced after \d+ attempts/.test(String(l.msg))));
});
