// End to end for each zoo model: `vidserve make-model` → `vidserve convert` → the server (preprocessing from the
// model's PaddleVideo config or -n) → HTTP and gRPC answers equal to a direct run. Full-size networks with synthetic
// weights; TSN with num_seg 1 (its 10 crops) to keep the suite quick. Then `vidserve predict` on one of them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderTestClip } from '../src/cli/demo.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { createSession } from '../src/runtime/session.ts';
import { parseServingConfig } from '../src/serving/config.ts';
import { LabelMap, formatPrediction, parseLabelList, predict } from '../src/serving/postprocess.ts';
import { startServer } from '../src/serving/server.ts';
import { loadPaddleVideoConfig } from '../src/video/paddlevideo-config.ts';
import { getPipeline, preprocessVideo, type PipelineSpec } from '../src/video/pipelines.ts';
import { grpcClient, postJson, removeDir, tempDir } from './serving-fixtures.ts';
import { vidserve } from './support/run.ts';
import { SHARED } from './support/shared.ts';

const root = tempDir('zoo-serving');
after(() => removeDir(root));

const EXAMPLE = SHARED.exampleAvi;
let clipPromise: Promise<string> | undefined;
/** example.avi when ../shared is there, else a 2 s testsrc clip (the answers are compared with a direct run either way). */
const clip = (): Promise<string> =>
  (clipPromise ??= (async () => {
    if (existsSync(EXAMPLE)) return EXAMPLE;
    const f = path.join(root, 'testsrc.mp4');
    await renderTestClip(f);
    return f;
  })());

function file(name: string, text: string): string {
  const f = path.join(root, name);
  writeFileSync(f, text);
  return f;
}

const inference = (helper: string, modelName: string, args: Record<string, number>): string =>
  `INFERENCE:\n    name: '${helper}'\n${Object.entries(args).map(([k, v]) => `    ${k}: ${v}\n`).join('')}model_name: "${modelName}"\n`;

interface Case {
  name: string;
  makeModel: string[];
  stem: string;
  /** The model's PaddleVideo config (served through op.video.paddlevideo_config), or a -n name. */
  paddlevideoConfig?: string;
  n?: string;
  labels?: string[];
}

const CASES: Case[] = [
  { name: 'pptsmv2 (16 frames, temporal attention)', makeModel: ['pptsmv2'], stem: 'ppTSMv2', paddlevideoConfig: inference('ppTSM_Inference_helper', 'ppTSMv2', { num_seg: 16, target_size: 224 }) },
  { name: 'pptsmv2 (8 frames)', makeModel: ['pptsmv2', '--num_seg', '8', '--no-temporal_attention'], stem: 'ppTSMv2', n: undefined, paddlevideoConfig: inference('ppTSM_Inference_helper', 'ppTSMv2', { num_seg: 8, target_size: 224 }) },
  { name: 'tsm', makeModel: ['tsm'], stem: 'TSM', n: 'TSM' },
  { name: 'tsn (num_seg 1 × 10 crops)', makeModel: ['tsn', '--num_seg', '1'], stem: 'TSN', paddlevideoConfig: inference('ppTSN_Inference_helper', 'TSN', { num_seg: 1, target_size: 224 }) },
  {
    name: "FightRecognition's 2-class PP-TSM (8 × 320², short_size 340)",
    makeModel: ['pptsm', '--num_classes', '2', '--image_size', '320'],
    stem: 'ppTSM',
    paddlevideoConfig: inference('ppTSM_Inference_helper', 'ppTSM', { num_seg: 8, short_size: 340, target_size: 320 }),
    labels: ['nofight', 'fight'],
  },
];

async function expected(serverDir: string, spec: PipelineSpec, video: Buffer, labels: LabelMap): Promise<string[]> {
  const model = await loadServingModel(serverDir);
  const session = await createSession(model.onnx);
  try {
    const x = await preprocessVideo(spec, video);
    const out = await session.run({ [model.feeds[0]!.name]: { data: x.data, dims: [1, ...x.dims] } });
    const scores = out[model.fetches[0]!.name]!;
    return formatPrediction(predict(scores.data as Float32Array, scores.dims, labels, 1)).value;
  } finally {
    await session.release();
  }
}

CASES.forEach((c, i) => {
  test(`${c.name}: make-model → convert → serve → HTTP and gRPC answers`, async () => {
    const dir = path.join(root, `case${i}`);
    const made = await vidserve(['make-model', ...c.makeModel, '--out', path.join(dir, 'inference'), '--seed', '3']);
    assert.equal(made.code, 0, made.stderr);
    const labelFile = c.labels ? file(`labels${i}.txt`, c.labels.map((l, k) => `${k} ${l}`).join('\n') + '\n') : undefined;
    const serverDir = path.join(dir, 'serving_server');
    const conv = await vidserve([
      'convert', '--dirname', path.join(dir, 'inference'), '--model_filename', `${c.stem}.pdmodel`, '--params_filename', `${c.stem}.pdiparams`,
      '--serving_server', serverDir, '--serving_client', path.join(dir, 'serving_client'), '--fetch_alias', 'outputs',
      ...(labelFile ? ['--label_list', labelFile] : []),
    ]);
    assert.equal(conv.code, 0, conv.stderr);

    const pvConfig = c.paddlevideoConfig ? file(`paddlevideo${i}.yaml`, c.paddlevideoConfig) : undefined;
    const config = parseServingConfig(
      {
        http_port: 0,
        rpc_port: 0,
        op: {
          video: {
            concurrency: 1,
            preprocess_workers: 1,
            ...(pvConfig ? { paddlevideo_config: pvConfig } : {}),
            local_service_conf: { model_config: serverDir, device_type: 0, devices: '', fetch_list: ['outputs'] },
          },
        },
      },
      path.join(dir, 'config.yml'),
    );
    const lines: string[] = [];
    const server = await startServer({ config, pipeline: c.n, host: '127.0.0.1', logDir: path.join(dir, 'logs'), onLine: (l) => lines.push(l) });
    try {
      assert.equal(server.warmupWarning, null, 'synthetic weights give a non-uniform softmax');
      assert.ok(lines.some((l) => l.includes(pvConfig ? `ppT${c.stem === 'TSN' ? 'SN' : 'SM'}_Inference_helper` : `preprocessing ${c.n}`)), lines.join('\n'));
      const video = readFileSync(await clip());
      const spec = pvConfig ? loadPaddleVideoConfig(pvConfig).pipeline : getPipeline(c.n!);
      const labels = labelFile ? new LabelMap(parseLabelList(readFileSync(labelFile, 'utf8'), labelFile), labelFile) : new LabelMap(null, null);
      const want = await expected(serverDir, spec, video, labels);
      if (c.labels) assert.match(want[0]!, /^\['(nofight|fight)'\]$/);

      const body = JSON.stringify({ key: ['video'], value: [video.toString('base64')] });
      const http = await postJson(server.httpPort!, body);
      assert.equal(http.json.err_no, 0, http.json.err_msg);
      assert.deepEqual(http.json.key, ['label', 'prob']);
      assert.deepEqual(http.json.value, want);
      const g = grpcClient(server.rpcPort!);
      try {
        const r = await g.call({ key: ['video'], value: [video.toString('base64')], logid: 7 });
        assert.equal(r.err_no, 0, r.err_msg);
        assert.deepEqual(r.value, want);
      } finally {
        g.close();
      }
    } finally {
      await server.close();
    }
  });
});

test('a model and a pipeline that do not fit: the server refuses to start, naming both shapes', async () => {
  const serverDir = path.join(root, 'case1', 'serving_server'); // the 8-frame PP-TSMv2 from above
  const config = parseServingConfig(
    { http_port: 0, op: { video: { local_service_conf: { model_config: serverDir, device_type: 0, fetch_list: ['outputs'] } } } },
    path.join(root, 'config.yml'),
  );
  await assert.rejects(
    startServer({ config, pipeline: 'PPTSMv2', host: '127.0.0.1', logDir: path.join(root, 'logs-mismatch') }),
    /the PPTSMv2 preprocessing makes \[16, 3, 224, 224\] per video, but the model's feed is \[(-1, )?8, 3, 224, 224\]/,
  );
});

test("vidserve predict prints tools/predict.py's lines (and --json), a file or a folder, no server", async () => {
  const dir = path.join(root, 'case1'); // the 8-frame PP-TSMv2
  const cfg = file('predict.yaml', inference('ppTSM_Inference_helper', 'ppTSMv2', { num_seg: 8, target_size: 224 }));
  const video = await clip();
  const model = ['--model_file', path.join(dir, 'inference', 'ppTSMv2.pdmodel'), '--params_file', path.join(dir, 'inference', 'ppTSMv2.pdiparams')];
  const r = await vidserve(['predict', '--input_file', video, '--config', cfg, ...model, '--use_gpu', 'False']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4, r.stdout);
  assert.equal(lines[0], 'Inference model(ppTSMv2)...');
  assert.equal(lines[1], `Current video file: ${video}`);
  const m1 = /^\ttop-1 class: \[(\d+)\]$/.exec(lines[2]!);
  const m2 = /^\ttop-1 score: \[(\d\.\d{1,8})\]$/.exec(lines[3]!);
  assert.ok(m1 && m2, r.stdout);
  // The same class and probability the server answers (the serving dir holds the same model).
  const spec = loadPaddleVideoConfig(cfg).pipeline;
  const want = await expected(path.join(dir, 'serving_server'), spec, readFileSync(video), new LabelMap(null, null));
  assert.equal(`['${m1[1]}']`, want[0]);
  // NumPy prints at most 8 decimals (precision 8): the printed score is the probability rounded there.
  const prob = Number(/^\[(.*)\]$/.exec(want[1]!)![1]);
  assert.ok(Math.abs(Number(m2[1]) - prob) <= 5e-9 * (1 + 1e-6), `${m2[1]} vs ${prob}`);

  // A folder: every .avi/.mp4 in it; --json; a file that is no video is reported, the rest still run, exit code 1.
  const folder = path.join(root, 'videos');
  const { mkdirSync, copyFileSync } = await import('node:fs');
  mkdirSync(folder, { recursive: true });
  copyFileSync(video, path.join(folder, `a${path.extname(video)}`));
  writeFileSync(path.join(folder, 'b.mp4'), 'not a video');
  writeFileSync(path.join(folder, 'notes.txt'), 'ignored');
  const j = await vidserve(['predict', '-i', folder, '-c', cfg, ...model, '--use_gpu', 'false', '--json', '-b', '2']);
  assert.equal(j.code, 1, j.stderr);
  const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(rows.length, 2);
  assert.equal(rows.find((x) => x.error)!.video_file, path.join(folder, 'b.mp4'));
  const ok = rows.find((x) => !x.error)!;
  assert.deepEqual(ok.topk_class, [Number(m1[1])]);
  assert.equal((ok.topk_scores as number[])[0], prob);
});
