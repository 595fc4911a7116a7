// The web page's server side: the page and its assets on GET / and /ui, the status route, `web_ui: false`, and the
// two request keys the page uses (timings, frames_seen) — off by default, exact when on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { REPO_ROOT, renderTestClip } from '../src/cli/demo.ts';
import { run } from './support/run.ts';
import { preprocessVideo } from '../src/video/pipelines.ts';
import { STAGE_NAMES } from '../src/serving/op.ts';
import type { RunningServer } from '../src/serving/server.ts';
import { ElemType } from '../src/protocol/types.ts';
import { TINY_LABELS, TINY_PIPELINE, grpcClient, postJson, removeDir, servingDir, startTestServer, tempDir, tinyLabelFile } from './serving-fixtures.ts';

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

let server: RunningServer;
let dir: string;
let clip: Buffer;
const base = () => `http://127.0.0.1:${server.httpPort}`;

before(async () => {
  dir = tempDir('web-routes');
  const file = path.join(dir, 'clip.mp4');
  await renderTestClip(file, 1);
  clip = readFileSync(file);
  server = await startTestServer(await servingDir('tiny'), { labelList: tinyLabelFile(), op: { topk: 1 } });
});

after(async () => {
  await server?.close();
  removeDir(dir);
});

/** A PNG's pixels: any filter type, 8-bit RGB only (what the server writes). */
function decodePng(png: Buffer): { width: number; height: number; rgb: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.deepEqual([body[8], body[9], body[10], body[11], body[12]], [8, 2, 0, 0, 0], 'IHDR: 8-bit RGB, no interlace');
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const rgb = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 3 ? rgb[y * stride + x - 3]! : 0;
      const b = y > 0 ? rgb[(y - 1) * stride + x]! : 0;
      const c = x >= 3 && y > 0 ? rgb[(y - 1) * stride + x - 3]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f];
      assert.ok(pred !== undefined, `filter type ${f}`);
      rgb[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, rgb };
}

function videoBody(keys: Record<string, string> = {}): string {
  return JSON.stringify({ key: ['video', ...Object.keys(keys)], value: [clip.toString('base64'), ...Object.values(keys)] });
}

test('GET /, /ui and /ui/ serve the page; its script and style come from the server with a strict CSP', async () => {
  for (const url of ['/', '/ui', '/ui/']) {
    const r = await fetch(base() + url);
    assert.equal(r.status, 200, url);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    assert.match(r.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'/);
    const html = await r.text();
    assert.match(html, /<script type="module" src="\/ui\/app\.js"><\/script>/);
    assert.doesNotMatch(html, /https?:\/\/(?!127)/, 'no other origin (no CDN)');
  }
  const js = await fetch(`${base()}/ui/app.js`);
  assert.match(js.headers.get('content-type')!, /^text\/javascript/);
  assert.match(await js.text(), /XMLHttpRequest/);
  const css = await fetch(`${base()}/ui/style.css`);
  assert.match(css.headers.get('content-type')!, /^text\/css/);
  // Revalidation: an unchanged asset answers 304.
  const again = await fetch(`${base()}/ui/style.css`, { headers: { 'if-none-match': css.headers.get('etag')! } });
  assert.equal(again.status, 304);
});

test('the page script type-checks against the DOM (src/web/tsconfig.json: JSDoc types, strict)', async () => {
  const r = await run(process.execPath, [TSC, '-p', path.join(REPO_ROOT, 'src', 'web', 'tsconfig.json')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('GET /ui/status describes the model, its input, the provider, the labels and the warm-up diagnosis', async () => {
  const r = await fetch(`${base()}/ui/status`);
  assert.equal(r.status, 200);
  const s = (await r.json()) as Record<string, any>;
  assert.equal(s.status, 'ok');
  assert.equal(s.op, 'video');
  assert.equal(s.predict_path, '/video/prediction');
  assert.equal(s.pipeline, 'tiny');
  assert.deepEqual(s.model.input.shape, [1, 2, 3, 16, 16]);
  assert.equal(s.model.classes, TINY_LABELS.length);
  assert.equal(s.provider, 'cpu');
  assert.deepEqual({ loaded: s.labels.loaded, count: s.labels.count }, { loaded: true, count: TINY_LABELS.length });
  assert.equal(s.warmup_warning, server.warmupWarning);
  assert.equal(s.max_body_bytes, 512 * 1024 * 1024);
  assert.equal(s.topk, 1);
});

test('without timings/frames_seen the answer is the seed\'s; with them it adds the stage timings and the frames', async () => {
  const plain = await postJson(server.httpPort!, videoBody({ topk: '3' }));
  assert.equal(plain.json.err_no, 0, plain.json.err_msg);
  assert.deepEqual(plain.json.key, ['label', 'prob']);
  assert.deepEqual(plain.json.tensors, []);

  const rich = await postJson(server.httpPort!, videoBody({ topk: '3', timings: '1', frames_seen: 'true' }));
  assert.equal(rich.json.err_no, 0, rich.json.err_msg);
  assert.deepEqual(rich.json.key, ['label', 'prob', 'timings']);
  assert.deepEqual(rich.json.value.slice(0, 2), plain.json.value, 'same prediction');
  const t = JSON.parse(rich.json.value[2]!) as Record<string, number>;
  for (const k of [...STAGE_NAMES, 'frames_seen', 'total']) assert.equal(typeof t[k], 'number', `timings.${k}`);
  assert.deepEqual(Object.keys(t), [...STAGE_NAMES, 'frames_seen', 'total']);
  const stages = STAGE_NAMES.reduce((n, k) => n + t[k]!, 0);
  assert.ok(stages <= t.total! + 0.5, `stages ${stages} ms fit in total ${t.total} ms`);

  // The frames are exactly the model's uint8 input before Normalization ([T,3,H,W] → T images of [H,W,3]).
  const want = await preprocessVideo(TINY_PIPELINE, clip, { stage: 'uint8' });
  const [T, , H, W] = want.dims as [number, number, number, number];
  assert.equal(rich.json.tensors.length, T);
  rich.json.tensors.forEach((tensor, t) => {
    assert.equal(tensor.name, 'frames_seen');
    assert.equal(tensor.elem_type, ElemType.BYTES);
    assert.deepEqual(tensor.shape, [H, W, 3]);
    const png = decodePng(Buffer.from(tensor.byte_data as string, 'base64'));
    assert.deepEqual([png.width, png.height], [W, H]);
    const expected = new Uint8Array(H * W * 3);
    for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) expected[p * 3 + c] = want.data[((t * 3 + c) * H * W) + p]!;
    assert.deepEqual(png.rgb, expected, `frame ${t} pixels`);
  });
});

test('gRPC carries the frames as raw PNG bytes; a bad flag value is a 5000 naming the key', async () => {
  const c = grpcClient(server.rpcPort!);
  try {
    const r = await c.call({ key: ['video', 'frames_seen'], value: [clip.toString('base64'), '1'] });
    assert.equal(r.err_no, 0, r.err_msg);
    assert.deepEqual(r.key, ['label', 'prob']);
    assert.equal(r.tensors.length, 2, 'the tiny pipeline samples 2 segments');
    const png = Buffer.from(r.tensors[0]!.byte_data as Uint8Array);
    assert.equal(png.toString('latin1', 1, 4), 'PNG');
  } finally {
    c.close();
  }
  const bad = await postJson(server.httpPort!, videoBody({ timings: 'yes' }));
  assert.equal(bad.json.err_no, 5000);
  assert.match(bad.json.err_msg, /"timings" must be "1"\/"true" or "0"\/"false"/);
});

test('web_ui: false serves no page and no status; the API is unchanged', async () => {
  const { parseServingConfig } = await import('../src/serving/config.ts');
  assert.equal(parseServingConfig({ http_port: 0, web_ui: false, op: { video: { local_service_conf: { model_config: 'x' } } } }, 'c.yml').webUi, false);
  assert.equal(parseServingConfig({ http_port: 0, op: { video: { local_service_conf: { model_config: 'x' } } } }, 'c.yml').webUi, true);
  assert.throws(() => parseServingConfig({ http_port: 0, web_ui: 'no', op: { video: { local_service_conf: { model_config: 'x' } } } }, 'c.yml'), /web_ui: must be true or false/);

  const off = await startTestServer(await servingDir('tiny'), { webUi: false });
  try {
    for (const url of ['/', '/ui', '/ui/app.js', '/ui/status']) {
      const r = await fetch(`http://127.0.0.1:${off.httpPort}${url}`);
      assert.equal(r.status, 404, url);
      assert.equal(((await r.json()) as { err_no: number }).err_no, 3002);
    }
    const p = await postJson(off.httpPort!, videoBody());
    assert.equal(p.json.err_no, 0, p.json.err_msg);
  } finally {
    await off.close();
  }
});
