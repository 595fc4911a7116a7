// Preprocessing from PaddleVideo configs: the INFERENCE section → the helper's operators (tools/utils.py), the
// built-in PPTSMv2/TSM/TSN names, the serving config's paddlevideo_config key, and golden checks on example.avi
// where the transforms coincide with PaddleVideo's own PP-TSM outputs (../shared/golden).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseServingConfig } from '../src/serving/config.ts';
import { choosePipeline, pipelineMismatch } from '../src/serving/pipeline-choice.ts';
import { decodeAllFrames, type Frames } from '../src/video/decode.ts';
import { readNpy } from '../src/video/npy.ts';
import { loadPaddleVideoConfig, parsePaddleVideoConfig } from '../src/video/paddlevideo-config.ts';
import { getPipeline, PIPELINES, pipelineOutputDims, preprocessFrames, sampleIndices } from '../src/video/pipelines.ts';
import { vidserve } from './support/run.ts';

const GOLDEN = fileURLToPath(new URL('../../shared/golden/', import.meta.url));
const VIDEO = fileURLToPath(new URL('../../shared/data/example.avi', import.meta.url));
const needsShared = existsSync(GOLDEN) && existsSync(VIDEO) ? false : `needs ${existsSync(GOLDEN) ? VIDEO : GOLDEN}`;
const ROW = 3 * 224 * 224;
const sha256 = (a: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

const tmp = mkdtempSync(path.join(tmpdir(), 'vidserve-zoo-pipelines-'));
function yamlFile(name: string, text: string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
}

// The INFERENCE sections of PaddleVideo's configs (values as in configs/recognition/** and FightRecognition).
const PPTSMV2_16 = "INFERENCE:\n    name: 'ppTSM_Inference_helper'\n    num_seg: 16\n    target_size: 224\nmodel_name: \"ppTSMv2\"\n";
const PPTSMV2_8 = PPTSMV2_16.replace('num_seg: 16', 'num_seg: 8');
const TSN = "INFERENCE:\n    name: 'ppTSN_Inference_helper'\n    num_seg: 25\n    target_size: 224\nmodel_name: \"TSN\"\n";
const FIGHT = "INFERENCE:\n    name: 'ppTSM_Inference_helper'\n    num_seg: 8\n    short_size: 340\n    target_size: 320 #224\nmodel_name: \"ppTSM\"\n";

test('an INFERENCE section gives its helper with the constructor defaults for unset arguments', () => {
  const c = loadPaddleVideoConfig(yamlFile('pptsmv2.yaml', PPTSMV2_16));
  assert.equal(c.modelName, 'ppTSMv2');
  assert.equal(c.helper, 'ppTSM_Inference_helper');
  assert.deepEqual(c.args, { num_seg: 16, seg_len: 1, short_size: 256, target_size: 224, top_k: 1 });
  assert.deepEqual(c.pipeline.ops, PIPELINES.PPTSMv2!.ops);
  assert.deepEqual(pipelineOutputDims(c.pipeline), [16, 3, 224, 224]);

  const fight = loadPaddleVideoConfig(yamlFile('fight.yaml', FIGHT)).pipeline;
  assert.deepEqual(fight.ops.slice(1, 3), [
    { op: 'Scale', args: { short_size: 340 } },
    { op: 'CenterCrop', args: { target_size: 320 } },
  ]);
  assert.deepEqual(pipelineOutputDims(fight), [8, 3, 320, 320]);

  const tsn = loadPaddleVideoConfig(yamlFile('tsn.yaml', TSN)).pipeline;
  assert.deepEqual(tsn.ops, PIPELINES.PPTSN!.ops);
  assert.deepEqual(pipelineOutputDims(tsn), [250, 3, 224, 224]);
});

test('the built-in names are their released configs: PPTSMv2 = 16 segments of PP-TSM; TSM = PPTSM; TSN = PPTSN', () => {
  assert.deepEqual(PIPELINES.PPTSMv2!.ops[0], { op: 'Sampler', args: { num_seg: 16, seg_len: 1, valid_mode: true } });
  assert.deepEqual(PIPELINES.PPTSMv2!.ops.slice(1), PIPELINES.PPTSM!.ops.slice(1));
  assert.deepEqual(PIPELINES.TSM!.ops, PIPELINES.PPTSM!.ops);
  assert.deepEqual(PIPELINES.TSN!.ops, PIPELINES.PPTSN!.ops);
  assert.equal(getPipeline('pptsmv2').name, 'PPTSMv2'); // -n is case-insensitive
  // Sampler(16, valid_mode) on 131 frames: average_dur 8, picks (8-1)//2 + 8i.
  assert.deepEqual(sampleIndices(PIPELINES.PPTSMv2!, 131), Array.from({ length: 16 }, (_, i) => 3 + 8 * i));
});

test('unknown or unsupported helpers, missing sections and bad values fail with what to fix', () => {
  const parse = (doc: unknown) => () => parsePaddleVideoConfig(doc, 'x.yaml');
  assert.throws(parse({ INFERENCE: { name: 'BMN_Inference_helper', feat_dim: 400 } }), (e: Error) => {
    assert.match(e.message, /x\.yaml: inference helper 'BMN_Inference_helper' is not supported; supported helpers: ppTSM_Inference_helper, ppTSN_Inference_helper/);
    return true;
  });
  assert.throws(parse({ INFERENCE: { name: 'TimeSformer_Inference_helper', num_seg: 8, mean: [0.45, 0.45, 0.45] } }), /TimeSformer_Inference_helper' is not supported \(its pyav decoding.*\); supported helpers: ppTSM_Inference_helper, ppTSN_Inference_helper/);
  assert.throws(parse({ MODEL: {} }), /x\.yaml: has no INFERENCE section/);
  assert.throws(parse({ INFERENCE: { num_seg: 8 } }), /INFERENCE\.name must name an inference helper/);
  assert.throws(parse({ INFERENCE: { name: 'ppTSM_Inference_helper', num_seg: 0 } }), /INFERENCE\.num_seg must be a positive integer, got 0/);
  assert.throws(parse({ INFERENCE: { name: 'ppTSM_Inference_helper', num_seg: '8' } }), /INFERENCE\.num_seg must be a positive integer, got "8"/);
  assert.throws(parse({ INFERENCE: { name: 'ppTSM_Inference_helper', mean: [1] } }), /INFERENCE\.mean: ppTSM_Inference_helper takes no argument 'mean'/);
  assert.throws(() => loadPaddleVideoConfig(path.join(tmp, 'missing.yaml')), /cannot read PaddleVideo config .*missing\.yaml: ENOENT/);
});

test('serving config: op paddlevideo_config picks the pipeline unless -n names one; a pipeline the model cannot take is named', () => {
  const cfgFile = yamlFile('pptsmv2-serving.yaml', PPTSMV2_16);
  const doc = (extra: Record<string, unknown>) => ({
    http_port: 0,
    op: { video: { ...extra, local_service_conf: { model_config: tmp, device_type: 0 } } },
  });
  const op = parseServingConfig(doc({ paddlevideo_config: 'pptsmv2-serving.yaml' }), path.join(tmp, 'config.yml'), { cwd: '/' }).ops[0]!;
  assert.equal(op.paddlevideoConfig, cfgFile); // resolved against the config's folder
  const fromConfig = choosePipeline(undefined, op);
  assert.deepEqual(fromConfig.spec.ops, PIPELINES.PPTSMv2!.ops);
  assert.match(fromConfig.source, /^ppTSM_Inference_helper \(num_seg 16, seg_len 1, short_size 256, target_size 224, top_k 1\) from .*pptsmv2-serving\.yaml$/);
  const named = choosePipeline('tsm', op);
  assert.equal(named.spec.name, 'TSM');
  assert.match(named.note!, /-n TSM given: op\.video\.paddlevideo_config .* is not used/);
  const plain = parseServingConfig(doc({}), path.join(tmp, 'config.yml')).ops[0]!;
  assert.equal(choosePipeline(undefined, plain).spec.name, 'PPTSM');

  assert.equal(pipelineMismatch(PIPELINES.PPTSMv2!, [-1, 16, 3, 224, 224]), null);
  assert.equal(pipelineMismatch(PIPELINES.PPTSMv2!, [16, 3, 224, 224]), null);
  assert.match(pipelineMismatch(PIPELINES.PPTSMv2!, [-1, 8, 3, 224, 224])!, /PPTSMv2 preprocessing makes \[16, 3, 224, 224\] per video, but the model's feed is \[-1, 8, 3, 224, 224\]/);
  assert.match(pipelineMismatch(PIPELINES.TSN!, [-1, 8, 3, 224, 224])!, /\[250, 3, 224, 224\]/);
});

let framesPromise: Promise<Frames> | undefined;
const frames = (): Promise<Frames> => (framesPromise ??= decodeAllFrames(VIDEO));

test('PP-TSMv2 8-frame config on example.avi: PaddleVideo\'s PP-TSM tensor, bit for bit', { skip: needsShared }, async () => {
  const meta = JSON.parse(readFileSync(GOLDEN + 'pptsm_example_meta.json', 'utf8'));
  const spec = loadPaddleVideoConfig(yamlFile('v2-8.yaml', PPTSMV2_8)).pipeline;
  const x = preprocessFrames(spec, await frames());
  assert.deepEqual(x.dims, [8, 3, 224, 224]);
  assert.equal(sha256(x.data), meta.sha256_float32);
});

test('PP-TSMv2 16 segments: where its picks are golden frames, its rows are PaddleVideo\'s rows', { skip: needsShared }, async () => {
  // Frames laid out so that Sampler(16) picks (3 + 8i) land on the golden PP-TSM frames 7 + 16⌊i/2⌋: every golden
  // row must then appear twice, in order — the 16-segment sampling, Scale, CenterCrop and Normalization checked.
  const meta = JSON.parse(readFileSync(GOLDEN + 'pptsm_example_meta.json', 'utf8'));
  const f = await frames();
  const size = f.H * f.W * 3;
  const data = new Uint8Array(f.T * size);
  for (let j = 0; j < f.T; j++) data.set(f.data.subarray((7 + 16 * Math.floor(j / 16)) * size, (8 + 16 * Math.floor(j / 16)) * size), j * size);
  const x = preprocessFrames(PIPELINES.PPTSMv2!, { ...f, data });
  assert.deepEqual(x.dims, [16, 3, 224, 224]);
  for (let t = 0; t < 16; t++) assert.equal(sha256(x.data.subarray(t * ROW, (t + 1) * ROW)), meta.row_sha256_float32[t >> 1], `row ${t}`);
  const g = readNpy(readFileSync(GOLDEN + 'pptsm_example.npy'));
  assert.deepEqual(Array.from(x.data.subarray(15 * ROW, 15 * ROW + 8)), Array.from(g.data.subarray(7 * ROW, 7 * ROW + 8)));
});

test('vidserve preprocess -c <PaddleVideo config> writes the helper\'s tensor', { skip: needsShared }, async () => {
  const out = path.join(tmp, 'x.npy');
  const r = await vidserve(['preprocess', '-c', yamlFile('v2-8-cli.yaml', PPTSMV2_8), '-i', VIDEO, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ppTSMv2 float32 \[1, 8, 3, 224, 224\]/);
  const meta = JSON.parse(readFileSync(GOLDEN + 'pptsm_example_meta.json', 'utf8'));
  assert.equal(sha256(readNpy(readFileSync(out)).data), meta.sha256_float32);
  const bad = await vidserve(['preprocess', '-c', yamlFile('bmn.yaml', 'INFERENCE:\n  name: BMN_Inference_helper\n'), '-i', VIDEO, '--out', out]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^vidserve: .*bmn\.yaml: inference helper 'BMN_Inference_helper' is not supported; supported helpers: ppTSM_Inference_helper, ppTSN_Inference_helper$/m);
});
