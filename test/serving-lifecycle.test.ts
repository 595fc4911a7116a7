// Concurrency, admission, timeouts, dynamic batching and shutdown of the real server (tiny model).
// Requests are held in flight deterministically with dynamic batching's wait (auto_batching_timeout), never by
// timing assumptions about how fast something runs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer as startCliServer } from '../src/cli/demo.ts';
import { framesBody, grpcClient, postJson, readLogLines, servingDir, startTestServer, syntheticFrames, tempDir } from './serving-fixtures.ts';

let modelDir: string;
const frames = syntheticFrames(4, 16, 20, 11);
const shape = [4, 16, 20, 3];

before(async () => {
  modelDir = await servingDir('tiny');
});

async function health(port: number): Promise<Record<string, unknown>> {
  return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;
}

async function waitFor(port: number, pred: (h: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let i = 0; i < 500; i++) {
    const h = await health(port);
    if (pred(h)) return h;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition never seen in /health');
}

test('health answers while a request is in flight; a full op refuses with err_no 3002 on both protocols', async () => {
  const s = await startTestServer(modelDir, { op: { concurrency: 1, queue_size: 0, batch_size: 2, auto_batching_timeout: 1500 } });
  try {
    const first = postJson(s.httpPort!, framesBody(frames, shape));
    const h = await waitFor(s.httpPort!, (x) => x.in_flight === 1);
    assert.equal(h.status, 'ok');
    const busy = await postJson(s.httpPort!, framesBody(frames, shape));
    assert.equal(busy.status, 503);
    assert.equal(busy.json.err_no, 3002);
    assert.match(busy.json.err_msg, /server busy: 1 requests in progress/);
    const c = grpcClient(s.rpcPort!);
    try {
      const r = await c.call({ key: ['frames', 'frames_shape'], value: [Buffer.from(frames).toString('base64'), `(${shape.join(', ')})`] });
      assert.equal(r.err_no, 3002);
    } finally {
      c.close();
    }
    const ok = await first;
    assert.equal(ok.json.err_no, 0, ok.json.err_msg);
    // capacity is back
    const again = await postJson(s.httpPort!, framesBody(frames, shape));
    assert.equal(again.json.err_no, 0);
  } finally {
    await s.close();
  }
});

test('HTTP takes its place before reading the body, and gives it back when the body is refused', async () => {
  const s = await startTestServer(modelDir, { maxBodyMb: 1, op: { concurrency: 1, queue_size: 0 } });
  try {
    const big = syntheticFrames(20, 120, 160, 3);
    for (let i = 0; i < 3; i++) {
      const r = await postJson(s.httpPort!, framesBody(big, [20, 120, 160, 3]));
      assert.equal(r.status, 413);
    }
    assert.equal((await health(s.httpPort!)).in_flight, 0);
    const ok = await postJson(s.httpPort!, framesBody(frames, shape));
    assert.equal(ok.json.err_no, 0, ok.json.err_msg);
    assert.equal((await health(s.httpPort!)).in_flight, 0);
  } finally {
    await s.close();
  }
});

test('op timeout answers err_no 6000', async () => {
  const s = await startTestServer(modelDir, { op: { timeout: 50, batch_size: 2, auto_batching_timeout: 1500 } });
  try {
    const r = await postJson(s.httpPort!, framesBody(frames, shape));
    assert.equal(r.json.err_no, 6000);
    assert.match(r.json.err_msg, /did not finish within timeout 50 ms/);
  } finally {
    await s.close();
  }
});

test('dynamic batching: requests gathered into one run get the answers they get alone', async () => {
  const inputs = [1, 2, 3].map((seed) => syntheticFrames(4, 16, 20, seed * 101));
  const plain = await startTestServer(modelDir);
  const alone: string[][] = [];
  try {
    for (const f of inputs) alone.push((await postJson(plain.httpPort!, framesBody(f, shape))).json.value);
  } finally {
    await plain.close();
  }
  assert.notDeepEqual(alone[0], alone[1], 'inputs give different answers');
  const batched = await startTestServer(modelDir, { op: { batch_size: 3, auto_batching_timeout: 5000, preprocess_workers: 2 } });
  try {
    const answers = await Promise.all(inputs.map((f) => postJson(batched.httpPort!, framesBody(f, shape))));
    answers.forEach((a, i) => {
      assert.equal(a.json.err_no, 0, a.json.err_msg);
      assert.deepEqual(a.json.value, alone[i], `request ${i}`);
    });
    const lines = readLogLines(batched.logDir, 'pipeline.log').filter((l) => l.err_no === 0 && l.batch !== undefined);
    assert.deepEqual(lines.map((l) => l.batch), [3, 3, 3], 'all three ran as one batch');
  } finally {
    await batched.close();
  }
});

test('graceful shutdown: in-flight requests finish, new ones are refused, close resolves', async () => {
  const s = await startTestServer(modelDir, { op: { batch_size: 2, auto_batching_timeout: 1000 } });
  const inflight = postJson(s.httpPort!, framesBody(frames, shape));
  await waitFor(s.httpPort!, (x) => x.in_flight === 1);
  const closing = s.close();
  // a request arriving now is refused (503) or finds the listener gone
  const late = await postJson(s.httpPort!, framesBody(frames, shape)).then(
    (r) => r.status,
    () => 'connection refused',
  );
  assert.ok(late === 503 || late === 'connection refused', `late request: ${late}`);
  const r = await inflight;
  assert.equal(r.json.err_no, 0, r.json.err_msg);
  await closing;
  await assert.rejects(fetch(`http://127.0.0.1:${s.httpPort}/health`));
});

test('vidserve serve: the seed-style config runs from its cwd, SIGTERM exits 0; a pipeline that does not fit the model or a taken port fails fast', async () => {
  const cwd = tempDir('cli');
  // model_config relative to the working directory, as the seed's ./ppTSM_serving_server
  const { cpSync } = await import('node:fs');
  cpSync(modelDir, path.join(cwd, 'ppTSM_serving_server'), { recursive: true });
  const yaml = path.join(cwd, 'PP-TSM.yaml');
  writeFileSync(
    yaml,
    ['worker_num: 1', 'http_port: 18080', 'rpc_port: 9993', 'dag:', '    is_thread_op: True', 'op:', '    video:', '        concurrency: 1',
      '        local_service_conf:', '            model_config: ./ppTSM_serving_server', '            device_type: 0', '            devices: ""',
      '            client_type: local_predictor', '            fetch_list: ["outputs"]', ''].join('\n'),
  );
  // PPTSM preprocessing (8 segments, 224 crop) does not fit the tiny model: one clear line at startup, not a crash later
  await assert.rejects(
    startCliServer({ name: 'PPTSM', config: yaml, cwd }),
    /exited \(code 1\) before serving:[\s\S]*vidserve: the PPTSM preprocessing makes \[8, 3, 224, 224\] per video, but the model's feed is/,
  );
  rmSync(path.join(cwd, 'ppTSM_serving_server'), { recursive: true });
  cpSync(await servingDir('pptsm'), path.join(cwd, 'ppTSM_serving_server'), { recursive: true });
  const run = await startCliServer({ name: 'PPTSM', config: yaml, cwd });
  const port = run.httpPort;
  assert.ok(port > 0, run.output());
  assert.ok(existsSync(path.join(cwd, 'PipelineServingLogs', 'pipeline.log')), 'logs under the working directory');
  // frames whose bytes do not match their shape: a clear input error, and the server keeps serving
  const { json } = await postJson(port, framesBody(syntheticFrames(8, 32, 32, 5), [8, 32, 33, 3]));
  assert.equal(json.err_no, 5000, json.err_msg);
  assert.equal((await health(port)).status, 'ok');

  // a second server on the same port fails at once with one clear line
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
  const taken = (blocker.address() as net.AddressInfo).port;
  await assert.rejects(
    startCliServer({ name: 'PPTSM', config: yaml, cwd, extraArgs: ['--http_port', String(taken)] }),
    new RegExp(`exited \\(code 1\\) before serving:[\\s\\S]*vidserve: http_port ${taken} is already in use`),
  );
  blocker.close();

  assert.equal(await run.stop(), 0, run.output());
  assert.match(run.output(), /SIGTERM received; finishing in-flight requests[\s\S]*vidserve: stopped/);
});
