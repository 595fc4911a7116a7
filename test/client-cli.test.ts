// `vidserve client http|rpc` and the VideoClient library against a real `vidserve serve` child process
// (synthetic-weight PP-TSM, the demo's cached model), over both transports and both input modes.
// Kept to about ten PP-TSM inferences (~0.8 s each on 2 cores).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDemoModel, freePort, renderTestClip, startServer, REPO_ROOT, DEMO_DIRS, type ServerProcess } from '../src/cli/demo.ts';
import { VideoClient, PredictionError, TransportError, InputError } from '../src/index.ts';
import { run, vidserve, type Run } from './support/run.ts';

let server: ServerProcess;
let tmp: string;
let clip: string; // a rendered 1 s mp4 test pattern (cheap to decode and send)

/** Runs the CLI; a proxy in the environment must not matter for localhost (the seed's FAQ Q1). */
function cli(args: string[]): Promise<Run> {
  const proxy = 'http://127.0.0.1:9'; // nothing listens there: a client that used it would fail
  const env = { ...process.env, http_proxy: proxy, HTTP_PROXY: proxy, https_proxy: proxy, grpc_proxy: proxy, no_proxy: '', NO_PROXY: '' };
  return vidserve(args, { cwd: tmp, env });
}

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-client-test-'));
  await ensureDemoModel(() => {});
  clip = path.join(tmp, 'clip.mp4');
  await renderTestClip(clip, 1);
  server = await startServer({ name: 'PPTSM', config: path.join(REPO_ROOT, 'configs', 'PP-TSM.yaml'), cwd: DEMO_DIRS.root });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'the server exits 0 on SIGTERM');
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const SEED_HTTP_LINE = /^\{'err_no': 0, 'err_msg': '', 'key': \['label', 'prob'\], 'value': \["\['[^']+'\]", '\[[0-9.e-]+\]'\], 'tensors': \[\]\}$/;

test('client http, frames mode (the seed protocol), prints the dict as the seed does', async () => {
  const r = await cli(['client', 'http', '-i', clip, '-ptn', String(server.httpPort)]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.match(r.stdout.trimEnd(), SEED_HTTP_LINE);
});

test('client rpc, frames mode, prints the protobuf text as the seed does', async () => {
  const r = await cli(['client', 'rpc', '-i', clip, '-ptn', String(server.rpcPort)]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^key: "label"\nkey: "prob"\nvalue: "\[\\'[^"]+\\'\]"\nvalue: "\[[0-9.e-]+\]"\n\n$/);
});

test('client http and rpc, video mode, --json: same answer for the same file', async () => {
  const h = await cli(['client', 'http', '-i', clip, '--port_number', String(server.httpPort), '--mode', 'video', '--json']);
  const g = await cli(['client', 'rpc', '-i', clip, '-ptn', String(server.rpcPort), '--mode', 'video', '--json', '--topk', '3']);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(g.code, 0, g.stderr);
  const hj = JSON.parse(h.stdout);
  const gj = JSON.parse(g.stdout);
  assert.equal(hj.file, clip);
  assert.equal(hj.transport, 'http');
  assert.equal(gj.transport, 'grpc');
  assert.equal(typeof hj.latency_ms, 'number');
  assert.equal(hj.response.err_no, 0);
  assert.equal(gj.label, hj.label);
  assert.ok(Math.abs(gj.prob - hj.prob) < 1e-6);
  assert.equal(gj.topk.length, 3);
  assert.equal(gj.topk[0].label, gj.label);
  assert.ok(gj.topk[0].prob >= gj.topk[1].prob && gj.topk[1].prob >= gj.topk[2].prob);
});

test('-c takes the port from a serving config when -ptn is not given; a bad config is one clear line', async () => {
  const yaml = path.join(tmp, 'serving.yaml');
  await writeFile(yaml, `http_port: ${server.httpPort}\nrpc_port: ${server.rpcPort}\nop:\n  video:\n    concurrency: 1\n`);
  const r = await cli(['client', 'rpc', '-i', clip, '-c', yaml, '--mode', 'video', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).response.err_no, 0);
  const bad = await cli(['client', 'http', '-i', clip, '-c', path.join(tmp, 'missing.yaml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^vidserve client http: .*missing\.yaml: cannot read the serving config/);
});

test('a directory: every .avi/.mp4 is sent; a broken one fails alone and the exit code says so', async () => {
  const dir = path.join(tmp, 'videos');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  await symlink(clip, path.join(dir, 'a.mp4'));
  await writeFile(path.join(dir, 'b.avi'), 'this is not a video');
  await symlink(clip, path.join(dir, 'c.mp4'));
  await writeFile(path.join(dir, 'notes.txt'), 'not sent: wrong extension');
  const r = await cli(['client', 'http', '-i', dir, '-ptn', String(server.httpPort), '--mode', 'video']);
  assert.equal(r.code, 1);
  const answers = r.stdout.trimEnd().split('\n');
  // a.mp4 and c.mp4 answered; b.avi got the server's INPUT_PARAMS_ERROR dict, printed as the seed would.
  assert.equal(answers.length, 3, r.stdout);
  assert.match(answers[0]!, SEED_HTTP_LINE);
  assert.match(answers[1]!, /^\{'err_no': 5000, 'err_msg': '.+', 'key': \[\], 'value': \[\], 'tensors': \[\]\}$/);
  assert.match(answers[2]!, SEED_HTTP_LINE);
  const errLines = r.stderr.trimEnd().split('\n');
  assert.equal(errLines.length, 1, r.stderr);
  assert.match(errLines[0]!, /^vidserve client http: .*b\.avi: server error 5000 \(INPUT_PARAMS_ERROR\): /);
});

test('frames mode: a non-video file fails on the client with one clear line', async () => {
  const bad = path.join(tmp, 'bad.mp4');
  await writeFile(bad, 'not a video at all');
  const r = await cli(['client', 'rpc', '-i', bad, '-ptn', String(server.rpcPort)]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^vidserve client rpc: .*bad\.mp4.* not a (readable )?video\b.*\n$/);
});

test('missing path and refused connection: one line on stderr, exit 1', async () => {
  const missing = await cli(['client', 'http', '-i', path.join(tmp, 'nope.avi')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /^vidserve client http: .*nope\.avi: no such file or directory\n$/);

  const port = await freePort(); // nothing listens there
  const j = await cli(['client', 'rpc', '-i', clip, '-ptn', String(port), '--json']);
  assert.equal(j.code, 1);
  assert.deepEqual(JSON.parse(j.stdout).error.code, 'ECONNREFUSED');
  for (const kind of ['http', 'rpc']) {
    const r = await cli(['client', kind, '-i', clip, '-ptn', String(port), '--mode', 'video']);
    assert.equal(r.code, 1, kind);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^vidserve client ${kind}: .*clip\\.mp4: cannot reach .*:${port}.*: connection refused — is vidserve serve .* running on that port\\?\\n$`));
  }
});

test("the README's curl request works as written (port and file substituted)", async () => {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('curl '));
  assert.ok(block, 'README has a sh block with curl');
  const script = block.replaceAll('example.avi', clip).replaceAll('18080', String(server.httpPort));
  const r = await run('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: tmp,
    env: { ...process.env, http_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', no_proxy: '', NO_PROXY: '' },
  });
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout);
  assert.equal(body.err_no, 0);
  assert.deepEqual(body.key, ['label', 'prob']);
  assert.match(body.value[0], /^\[.+\]$/);
});

test('library: predict over both transports and modes', async () => {
  const http = new VideoClient({ transport: 'http', host: '127.0.0.1', port: server.httpPort });
  const grpc = new VideoClient({ transport: 'grpc', host: 'localhost', port: server.rpcPort, timeoutMs: 60_000 });
  try {
    const a = await http.predict(clip, { mode: 'frames' });
    const b = await grpc.predict(await readFile(clip), { mode: 'video', topk: 2 });
    for (const r of [a, b]) {
      assert.equal(typeof r.label, 'string');
      assert.ok(r.prob > 0 && r.prob <= 1);
      assert.equal(r.raw.err_no, 0);
      assert.deepEqual(r.raw.key, ['label', 'prob']);
    }
    assert.equal(b.topk?.length, 2);
    // Same video, the two input paths: the seed's frames and the compressed file give the same top-1.
    assert.equal(a.label, b.label);
  } finally {
    http.close();
    grpc.close();
  }
});

test("library from plain JavaScript: import { VideoClient } from 'vidserve' (plain node, the built dist/)", async () => {
  // An app next to an installed vidserve (node_modules/vidserve -> this checkout, built by npm ci's prepare step).
  const app = path.join(tmp, 'app');
  await mkdir(path.join(app, 'node_modules'), { recursive: true });
  await symlink(REPO_ROOT, path.join(app, 'node_modules', 'vidserve'));
  await writeFile(
    path.join(app, 'app.mjs'),
    `import { VideoClient } from 'vidserve';
const client = new VideoClient({ transport: 'grpc', host: '127.0.0.1', port: ${server.rpcPort} });
const { label, prob } = await client.predict(${JSON.stringify(clip)}, { mode: 'video' });
client.close();
console.log(JSON.stringify({ label, prob }));
`,
  );
  const r = await run(process.execPath, ['app.mjs'], { cwd: app });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(typeof out.label, 'string');
  assert.ok(out.prob > 0 && out.prob <= 1);
});

test('library: typed errors carry err_no or the transport failure', async () => {
  const http = new VideoClient({ transport: 'http', port: server.httpPort });
  const grpc = new VideoClient({ transport: 'grpc', port: server.rpcPort });
  const notVideo = Buffer.from('definitely not a video container');
  try {
    for (const c of [http, grpc]) {
      await assert.rejects(c.predict(notVideo, { mode: 'video' }), (e: unknown) => e instanceof PredictionError && e.errNo === 5000 && e.response.err_no === 5000);
      // A malformed frames request straight through infer(): the error comes back as a value.
      const { response } = await c.infer({ key: ['frames', 'frames_shape'], value: ['AAAA', '(1, 2, 2, 3)'] });
      assert.equal(response.err_no, 5000);
      assert.match(response.err_msg, /frames|shape|bytes/i);
      await assert.rejects(c.predict(path.join(tmp, 'missing.mp4')), (e: unknown) => e instanceof InputError && e.code === 'ENOENT');
    }
  } finally {
    http.close();
    grpc.close();
  }
  // A deadline far shorter than one PP-TSM inference: TIMEOUT, with the endpoint and the limit in the message.
  for (const transport of ['http', 'grpc'] as const) {
    const c = new VideoClient({ transport, port: transport === 'http' ? server.httpPort : server.rpcPort, timeoutMs: 1 });
    await assert.rejects(c.predict(clip, { mode: 'video' }), (e: unknown) => e instanceof TransportError && e.code === 'TIMEOUT' && /within 1 ms/.test(e.message));
    c.close();
  }
  const port = await freePort();
  for (const transport of ['http', 'grpc'] as const) {
    const c = new VideoClient({ transport, port });
    await assert.rejects(c.predict(notVideo, { mode: 'video' }), (e: unknown) => e instanceof TransportError && e.code === 'ECONNREFUSED');
    c.close();
  }
});

test('a body over the server limit: HTTP gets the 5000 answer sent before the server closed; gRPC says too large', async () => {
  const yaml = path.join(tmp, 'small-body.yaml');
  const seed = await readFile(path.join(REPO_ROOT, 'configs', 'PP-TSM.yaml'), 'utf8');
  await writeFile(yaml, seed.replace(/^# max_body_size_mb: .*$/m, 'max_body_size_mb: 1'));
  assert.match(await readFile(yaml, 'utf8'), /^max_body_size_mb: 1$/m);
  const small = await startServer({ name: 'PPTSM', config: yaml, cwd: DEMO_DIRS.root });
  try {
    const http = new VideoClient({ transport: 'http', port: small.httpPort });
    const grpc = new VideoClient({ transport: 'grpc', port: small.rpcPort });
    // clip.mp4's raw frames are 25 x 240 x 320 x 3 = 5.8 MB: over 1 MB.
    await assert.rejects(http.predict(clip, { mode: 'frames' }), (e: unknown) => e instanceof PredictionError && e.errNo === 5000 && /larger than/.test(e.errMsg));
    await assert.rejects(grpc.predict(clip, { mode: 'frames' }), (e: unknown) => e instanceof TransportError && e.code === 'TOO_LARGE' && /--mode video/.test(e.message));
    http.close();
    grpc.close();
  } finally {
    assert.equal(await small.stop(), 0);
  }
});
