// The model commands as a user runs them: `vidserve make-model tiny` then `vidserve convert`, and their errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { vidserve } from './support/run.ts';

const run = (args: string[], cwd: string) => vidserve(args, { cwd });

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vidserve-cli-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test('make-model tiny + convert (default dir names) give a serving dir vidserve loads', async () => {
  const mk = await run(['make-model', 'tiny', '--out', 'tiny', '--seed', '3'], tmp);
  assert.equal(mk.code, 0, mk.stderr);
  assert.deepEqual((await readdir(path.join(tmp, 'tiny'))).sort(), ['tiny.pdiparams', 'tiny.pdmodel']);
  const cv = await run(['convert', '--dirname', 'tiny', '--model_filename', 'tiny.pdmodel', '--params_filename', 'tiny.pdiparams', '--fetch_alias_names', 'outputs'], tmp);
  assert.equal(cv.code, 0, cv.stderr);
  assert.match(cv.stderr, /reading 57 parameters/);
  assert.match(cv.stderr, /fetch save_infer_model\/scale_0\.tmp_1 \(alias outputs\) type 1 shape \[5\]/);
  const m = await loadServingModel(path.join(tmp, 'serving_server'));
  assert.equal(m.source, 'onnx');
  assert.equal(m.fetches[0]!.alias, 'outputs');
  assert.match(await readFile(path.join(tmp, 'serving_client', 'serving_client_conf.prototxt'), 'utf8'), /alias_name: "outputs"/);
});

test('CLI errors are one line without a stack trace', async () => {
  const bad = await run(['make-model', 'resnet', '--out', 'x'], tmp);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /vidserve: unknown model "resnet" \(expected one of: pptsm, pptsn, pptsmv2, tsm, tsn, tiny\)/);
  const seed = await run(['make-model', 'tiny', '--out', 'x', '--seed', '-1'], tmp);
  assert.match(seed.stderr, /--seed must be an integer/);
  const missing = await run(['convert', '--dirname', 'nowhere', '--model_filename', 'm.pdmodel', '--params_filename', 'm.pdiparams'], tmp);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /vidserve: nowhere\/m\.pdmodel: model file not found/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});
