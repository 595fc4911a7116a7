// `vidserve predict` takes every flag of PaddleVideo's tools/predict.py, so the commands of PaddleVideo's docs
// (`--use_gpu=True --use_tensorrt=False`, `--enable_mkldnn=True`) run unchanged. Paddle-engine options that
// onnxruntime has no counterpart for say so on stderr; stdout keeps tools/predict.py's lines.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderTestClip } from '../src/cli/demo.ts';
import { vidserve } from './support/run.ts';

let tmp: string;
let base: string[];
before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-predict-'));
  const mk = await vidserve(['make-model', 'tiny', '--out', path.join(tmp, 'tiny'), '--seed', '3']);
  assert.equal(mk.code, 0, mk.stderr);
  const clip = path.join(tmp, 'clip.mp4');
  await renderTestClip(clip, 1);
  // The tiny model's preprocessing as a PaddleVideo config: 2 segments, 16² crops.
  const cfg = path.join(tmp, 'tiny.yaml');
  await writeFile(cfg, "INFERENCE:\n    name: 'ppTSM_Inference_helper'\n    num_seg: 2\n    short_size: 16\n    target_size: 16\nmodel_name: \"tiny\"\n");
  base = ['predict', '--input_file', clip, '--config', cfg, '--model_file', path.join(tmp, 'tiny', 'tiny.pdmodel'), '--params_file', path.join(tmp, 'tiny', 'tiny.pdiparams')];
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const LINES = /^Inference model\(tiny\)\.\.\.\nCurrent video file: .*clip\.mp4\n\ttop-1 class: \[\d\]\n\ttop-1 score: \[0\.\d+\]\n$/;

test("PaddleVideo's documented command line (--use_gpu=True --use_tensorrt=False) runs and prints tools/predict.py's lines", async () => {
  const r = await vidserve([...base, '--use_gpu=True', '--use_tensorrt=False', '--precision', 'fp32', '--gpu_mem', '8000']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, LINES);
  const plain = await vidserve([...base, '--use_gpu', 'False']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(r.stdout, plain.stdout, 'the compatibility flags change nothing in the answer');
});

test('Paddle-engine options onnxruntime does not have are named on stderr; the answer is unchanged', async () => {
  const plain = await vidserve([...base, '--use_gpu', 'False']);
  const r = await vidserve([...base, '--use_gpu=False', '--enable_mkldnn=True', '--precision=fp16', '--use_tensorrt', 'true', '--cpu_threads', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.match(r.stderr, /--enable_mkldnn: .*onnxruntime/);
  assert.match(r.stderr, /--precision fp16: .*float32/);
  assert.match(r.stderr, /--use_tensorrt: .*TensorRT/);
});

test('--enable_benchmark True and bad values are refused with one line', async () => {
  const bench = await vidserve([...base, '--use_gpu=False', '--enable_benchmark=True']);
  assert.equal(bench.code, 1);
  assert.equal(bench.stdout, '');
  assert.match(bench.stderr, /--enable_benchmark True is not supported.*bench/);
  const prec = await vidserve([...base, '--precision', 'fp8']);
  assert.notEqual(prec.code, 0);
  assert.match(prec.stderr, /--precision must be one of fp32, fp16, int8, got "fp8"/);
  const mem = await vidserve([...base, '--gpu_mem', 'lots']);
  assert.notEqual(mem.code, 0);
  assert.match(mem.stderr, /--gpu_mem must be a positive integer/);
});
