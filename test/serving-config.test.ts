// Config parsing (the seed's YAML unchanged) and startup failures that must be one clear message.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadServingConfig, parseServingConfig } from '../src/serving/config.ts';
import { StartupError, startServer } from '../src/serving/server.ts';
import { parseProgram, serializeProgram } from '../src/paddle/program.ts';
import { loadProgramParams, writeParams } from '../src/paddle/params.ts';
import { TINY_PIPELINE, readLogLines, servingDir, startTestServer, tempDir } from './serving-fixtures.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

// The seed's deploy/python_serving/configs/PP-TSM.yaml keys and values (its comments are not needed here).
const SEED_YAML = `worker_num: 1
http_port: 18080
rpc_port: 9993
dag:
    is_thread_op: True
op:
    video:
        concurrency: 1
        local_service_conf:
            model_config: ./ppTSM_serving_server
            device_type: 1
            devices: "0" # "0,1"
            client_type: local_predictor
            fetch_list: ["outputs"]
`;

let tinyDir: string;
before(async () => {
  tinyDir = await servingDir('tiny');
});

function writeYaml(text: string): string {
  const f = path.join(tempDir('cfg'), 'config.yaml');
  writeFileSync(f, text);
  return f;
}

test("the seed's YAML parses unchanged into typed options", () => {
  const cwd = tempDir('cwd');
  const c = loadServingConfig(writeYaml(SEED_YAML), { cwd });
  assert.equal(c.workerNum, 1);
  assert.equal(c.httpPort, 18080);
  assert.equal(c.rpcPort, 9993);
  assert.equal(c.isThreadOp, true);
  assert.equal(c.ops.length, 1);
  const op = c.ops[0]!;
  assert.equal(op.name, 'video');
  assert.equal(op.concurrency, 1);
  assert.equal(op.timeoutMs, -1);
  assert.equal(op.batchSize, 1);
  assert.equal(op.localServiceConf.modelConfig, path.join(cwd, 'ppTSM_serving_server'));
  assert.equal(op.localServiceConf.deviceType, 1);
  assert.deepEqual(op.localServiceConf.devices, [0]);
  assert.equal(op.localServiceConf.device, 'gpu');
  assert.equal(op.localServiceConf.clientType, 'local_predictor');
  assert.deepEqual(op.localServiceConf.fetchList, ['outputs']);
  assert.deepEqual(c.notes, []);
});

test('shipped configs/PP-TSM.yaml and PP-TSN.yaml carry the seed values', () => {
  for (const [file, dir] of [['PP-TSM.yaml', 'ppTSM_serving_server'], ['PP-TSN.yaml', 'ppTSN_serving_server']] as const) {
    const c = loadServingConfig(path.join(REPO, 'configs', file), { cwd: REPO });
    assert.equal(c.httpPort, 18080, file);
    assert.equal(c.rpcPort, 9993, file);
    assert.equal(c.ops[0]!.name, 'video');
    assert.equal(path.basename(c.ops[0]!.localServiceConf.modelConfig), dir);
    assert.deepEqual(c.ops[0]!.localServiceConf.fetchList, ['outputs']);
    assert.deepEqual(c.notes, [], file);
  }
});

test('device rules follow Paddle Serving: device_type decides, else devices', () => {
  const dev = (lsc: Record<string, unknown>) =>
    parseServingConfig({ http_port: 1, op: { video: { local_service_conf: { model_config: 'm', ...lsc } } } }, 'x').ops[0]!.localServiceConf.device;
  assert.equal(dev({ device_type: 0, devices: '0' }), 'cpu');
  assert.equal(dev({ device_type: 1, devices: '' }), 'gpu');
  assert.equal(dev({ devices: '0,1' }), 'gpu');
  assert.equal(dev({ devices: '' }), 'cpu');
  assert.equal(dev({}), 'cpu');
});

test('unknown keys warn and Paddle keys we do not use are noted, never fatal', () => {
  const c = parseServingConfig(
    {
      http_port: 18080, build_dag_each_worker: false, colour: 'blue',
      dag: { is_thread_op: true, tracer: { interval_s: 10 } },
      op: { video: { concurrency: 2, retry: 1, speed: 'fast', local_service_conf: { model_config: 'm', mem_optim: true, gpu_mem: 3 } } },
    },
    'cfg.yaml',
  );
  const warn = c.notes.filter((n) => n.level === 'warn').map((n) => n.msg);
  const info = c.notes.filter((n) => n.level === 'info').map((n) => n.msg);
  assert.ok(warn.some((m) => m.includes('unknown config key colour')));
  assert.ok(warn.some((m) => m.includes('unknown config key op.video.speed')));
  assert.ok(warn.some((m) => m.includes('unknown config key op.video.local_service_conf.gpu_mem')));
  assert.ok(info.some((m) => m.includes('op.video.retry')));
  assert.ok(info.some((m) => m.includes('op.video.local_service_conf.mem_optim')));
  assert.ok(info.some((m) => m.includes('dag.tracer')));
  assert.equal(c.ops[0]!.concurrency, 2);
});

test('wrong types are errors naming the file and key path', () => {
  const bad: Array<[string, RegExp]> = [
    [SEED_YAML.replace('http_port: 18080', 'http_port: "eighteen"'), /config\.yaml: http_port: must be an integer/],
    [SEED_YAML.replace('concurrency: 1', 'concurrency: "2"'), /op\.video\.concurrency: must be an integer, got string "2"/],
    [SEED_YAML.replace('concurrency: 1', 'concurrency: 0'), /op\.video\.concurrency: must be >= 1/],
    [SEED_YAML.replace('fetch_list: ["outputs"]', 'fetch_list: outputs'), /op\.video\.local_service_conf\.fetch_list: must be a list of strings/],
    [SEED_YAML.replace('devices: "0" # "0,1"', 'devices: [0]'), /op\.video\.local_service_conf\.devices: must be a string of device ids/],
    [SEED_YAML.replace('is_thread_op: True', 'is_thread_op: maybe'), /dag\.is_thread_op: must be true or false/],
    [SEED_YAML.replace('model_config: ./ppTSM_serving_server', 'model_config: 3'), /op\.video\.local_service_conf\.model_config: must be a string/],
    [SEED_YAML.replace('            model_config: ./ppTSM_serving_server\n', ''), /model_config: is required/],
    [SEED_YAML.replace(/^op:[\s\S]*$/m, 'op: {}\n'), /op: no op configured/],
    ['http_port: [1\n', /not valid YAML/],
    [SEED_YAML.replace('http_port: 18080\nrpc_port: 9993\n', ''), /http_port and rpc_port cannot both be missing/],
  ];
  for (const [text, re] of bad) assert.throws(() => loadServingConfig(writeYaml(text)), (e: Error) => e instanceof ConfigError && re.test(e.message), String(re));
  assert.throws(() => loadServingConfig('/nonexistent/x.yaml'), /cannot read config \/nonexistent\/x\.yaml: ENOENT/);
});

async function expectStartupError(modelConfig: string, re: RegExp, extra: { fetch?: string[]; labelList?: string } = {}) {
  const config = parseServingConfig(
    { http_port: 0, rpc_port: 0, op: { video: { local_service_conf: { model_config: modelConfig, device_type: 0, fetch_list: extra.fetch ?? ['outputs'] } } } },
    'test.yaml',
  );
  await assert.rejects(
    startServer({ config, pipeline: TINY_PIPELINE, host: '127.0.0.1', logDir: tempDir('logs'), labelList: extra.labelList }),
    (e: Error) => {
      assert.ok(e instanceof StartupError, `${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    },
  );
}

test('startup fails fast with one clear message: missing, corrupt or untranslatable model; wrong fetch alias; bad label list', async () => {
  await expectStartupError('/nonexistent/ppTSM_serving_server', /model_config \/nonexistent\/ppTSM_serving_server does not exist; create it with: vidserve convert/);

  const corrupt = path.join(tempDir('corrupt'), 'serving_server');
  cpSync(tinyDir, corrupt, { recursive: true });
  writeFileSync(path.join(corrupt, 'model.onnx'), Buffer.from('definitely not onnx'));
  await expectStartupError(corrupt, /cannot load the serving model in .*serving_server/);

  // A Paddle Serving dir (no model.onnx) whose program has an op vidserve cannot translate.
  const untranslatable = path.join(tempDir('untranslatable'), 'serving_server');
  cpSync(tinyDir, untranslatable, { recursive: true });
  rmSync(path.join(untranslatable, 'model.onnx'));
  const pdmodel = path.join(untranslatable, 'tiny.pdmodel');
  const program = parseProgram(readFileSync(pdmodel));
  const relu = program.blocks[0]!.ops.find((o) => o.type === 'relu')!;
  relu.type = 'fancy_new_activation';
  writeFileSync(pdmodel, serializeProgram(program));
  await expectStartupError(untranslatable, /cannot load the serving model in [^:]*: cannot translate[\s\S]*fancy_new_activation/);

  await expectStartupError(tinyDir, /fetch_list names "scores", but the serving model .* fetches save_infer_model\/scale_0\.tmp_1 \(alias outputs\)/, { fetch: ['scores'] });
  await expectStartupError(tinyDir, /label list \/nonexistent\/labels\.txt does not exist/, { labelList: '/nonexistent/labels.txt' });
  const badLabels = path.join(tempDir('labels'), 'l.txt');
  writeFileSync(badLabels, '0 abseiling\nnot a label line\n');
  await expectStartupError(tinyDir, /l\.txt:2: expected "<index> <label>"/, { labelList: badLabels });
});

test('a port already in use fails startup with a message naming it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    for (const key of ['http_port', 'rpc_port'] as const) {
      const config = parseServingConfig(
        { http_port: key === 'http_port' ? port : 0, rpc_port: key === 'rpc_port' ? port : 0, op: { video: { local_service_conf: { model_config: tinyDir, device_type: 0 } } } },
        'test.yaml',
      );
      await assert.rejects(
        startServer({ config, pipeline: TINY_PIPELINE, host: '127.0.0.1', logDir: tempDir('logs') }),
        new RegExp(`${key} ${port} is already in use`),
      );
    }
  } finally {
    blocker.close();
  }
});

test('warm-up warns loudly when the weights look untrained (uniform softmax)', async () => {
  // Same graph with every weight zeroed: the logits are constant, the softmax is exactly 1/5 everywhere.
  const zero = path.join(tempDir('zero'), 'serving_server');
  cpSync(tinyDir, zero, { recursive: true });
  rmSync(path.join(zero, 'model.onnx'));
  const program = parseProgram(readFileSync(path.join(zero, 'tiny.pdmodel')));
  const params = loadProgramParams(program, readFileSync(path.join(zero, 'tiny.pdiparams')));
  writeFileSync(path.join(zero, 'tiny.pdiparams'), writeParams([...params.values()].map((t) => ({ ...t, data: new Uint8Array(t.data.length) }))));
  const s = await startTestServer(zero);
  try {
    assert.match(s.warmupWarning ?? '', /softmax is uniform \(every class ≈ 1\/5/);
    const wf = readLogLines(s.logDir, 'pipeline.log.wf').map((l) => String(l.msg));
    assert.ok(wf.some((m) => m.includes('WARNING') && m.includes('weights look missing or untrained')), wf.join('\n'));
  } finally {
    await s.close();
  }
  // the normal tiny model does not trigger it
  const ok = await startTestServer(tinyDir);
  try {
    assert.equal(ok.warmupWarning, null);
  } finally {
    await ok.close();
  }
});

test('a GPU request without CUDA: warning and CPU, or with --strict-device a startup error', async () => {
  const gpuConfig = () =>
    parseServingConfig(
      { http_port: 0, rpc_port: 0, op: { video: { local_service_conf: { model_config: tinyDir, device_type: 1, devices: '0', fetch_list: ['outputs'] } } } },
      'gpu.yaml',
    );
  const lines: string[] = [];
  const s = await startServer({ config: gpuConfig(), pipeline: TINY_PIPELINE, host: '127.0.0.1', logDir: tempDir('logs'), onLine: (l) => lines.push(l) });
  try {
    if (s.provider === 'cpu') {
      assert.ok(lines.some((l) => /warning: GPU requested but unavailable/.test(l)), lines.join('\n'));
      assert.ok(readLogLines(s.logDir, 'pipeline.log.wf').some((l) => /GPU requested but unavailable/.test(String(l.msg))));
    }
  } finally {
    await s.close();
  }
  if (s.provider === 'cpu') {
    await assert.rejects(
      startServer({ config: gpuConfig(), pipeline: TINY_PIPELINE, host: '127.0.0.1', logDir: tempDir('logs'), strictDevice: true }),
      (e: Error) => e instanceof StartupError && /cannot start the model in .*GPU requested but unavailable/.test(e.message),
    );
  }
});
