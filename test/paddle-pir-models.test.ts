// PP-TSM and PP-TSN written in both formats by make-model with the same seeded parameters: `vidserve convert`
// of the PIR program (ppTSM.json) and of the ProgramDesc (ppTSM.pdmodel) give ONNX models with the same outputs,
// and servers on the two serving dirs — one a Paddle-Serving-style dir holding only the PIR program, translated when
// the server loads it — give identical answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { convertModel, ONNX_FILE } from '../src/paddle/convert.ts';
import { parseModelFile } from '../src/paddle/model_file.ts';
import { buildModel, buildPPTSN, makeParams, writeModel, type ModelFormat } from '../src/paddle/models/index.ts';
import { translateProgram } from '../src/paddle/onnx/index.ts';
import { writePirProgram } from '../src/paddle/pir/writer.ts';
import { loadServingModel } from '../src/paddle/serving_model.ts';
import { createSession } from '../src/runtime/session.ts';
import { REPO_ROOT } from '../src/cli/demo.ts';
import { framesBody, postJson, startTestServer, syntheticFrames, tempDir } from './serving-fixtures.ts';
import { run } from './support/run.ts';
import { cliArgs } from '../src/cli/self.ts';
import { imageLikeInput } from './support/inputs.ts';

let root: string;
before(() => {
  root = tempDir('pir-models');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const cache = new Map<string, Promise<{ server: string; modelFile: string }>>();
/** make-model <name> --format <format> --seed 0, then convert with --fetch_alias outputs (once per process). */
function converted(name: 'pptsm' | 'pptsn', format: ModelFormat): Promise<{ server: string; modelFile: string }> {
  const key = `${name}-${format}`;
  if (!cache.has(key)) cache.set(key, convertOnce(name, format));
  return cache.get(key)!;
}

async function convertOnce(name: 'pptsm' | 'pptsn', format: ModelFormat): Promise<{ server: string; modelFile: string }> {
  const src = path.join(root, `${name}-${format}`, 'inference');
  const { modelFile, paramsFile } = await writeModel(name, src, 0, { format });
  const server = path.join(root, `${name}-${format}`, 'serving_server');
  await convertModel({
    dirname: src,
    modelFilename: path.basename(modelFile),
    paramsFilename: path.basename(paramsFile),
    servingServer: server,
    servingClient: path.join(root, `${name}-${format}`, 'serving_client'),
    fetchAlias: ['outputs'],
  });
  return { server, modelFile };
}

async function outputs(onnx: Uint8Array, dims: number[]): Promise<Float32Array> {
  const s = await createSession(onnx);
  try {
    const x = { data: imageLikeInput(dims.reduce((a, b) => a * b, 1), 11), dims };
    const out = await s.run({ [s.inputNames[0]!]: x });
    return out[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

const onnxModel = new protobuf.Root()
  .loadSync(fileURLToPath(new URL('../src/paddle/onnx/onnx.proto', import.meta.url)), { keepCase: true })
  .lookupType('onnx.ModelProto');
const digest = (b: Uint8Array | undefined): string => createHash('sha1').update(b ?? new Uint8Array()).digest('hex');

/**
 * An ONNX graph with its value names replaced by what they are: graph inputs by position, initializers by their
 * content, node outputs by node and position. Two models with the same canonical form compute the same function.
 */
function canonical(bytes: Uint8Array): unknown[] {
   
  const g = (onnxModel.decode(bytes) as any).graph;
  const tensor = (t: { data_type: number; dims: unknown[]; raw_data?: Uint8Array }): string => `${t.data_type}:${t.dims.join('x')}:${digest(t.raw_data)}`;
  const init = new Map<string, string>(g.initializer.map((t: { name: string }) => [t.name, tensor(t as never)]));
  const ids = new Map<string, string>();
  g.input.filter((v: { name: string }) => !init.has(v.name)).forEach((v: { name: string }, i: number) => ids.set(v.name, `input${i}`));
  const id = (n: string): string => (n === '' ? '' : (ids.get(n) ?? init.get(n) ?? `undefined ${n}`));
  const nodes = g.node.map((n: { op_type: string; input: string[]; output: string[]; attribute: Record<string, any>[] }, k: number) => {
    const entry = {
      op: n.op_type,
      inputs: n.input.map(id),
      attrs: n.attribute.map((a) => [a.name, a.type, a.f, String(a.i), Buffer.from(a.s ?? []).toString(), (a.ints ?? []).map(String), a.floats, a.t ? tensor(a.t) : '']),
    };
    n.output.forEach((o, j) => ids.set(o, `node${k}.${j}`));
    return entry;
  });
  return [...nodes, g.output.map((v: { name: string }) => id(v.name))];
}

function assertAgree(pir: Float32Array, pd: Float32Array, what: string): void {
  assert.equal(pir.length, pd.length);
  const range = Math.max(...pd) - Math.min(...pd);
  assert.ok(range > 1e-3, `${what}: outputs vary (range ${range})`);
  let worst = 0;
  for (let i = 0; i < pd.length; i++) worst = Math.max(worst, Math.abs(pir[i]! - pd[i]!) / range);
  assert.ok(worst <= 1e-6, `${what}: max difference ${worst} of the output range`);
}

test('PP-TSM: ppTSM.json and ppTSM.pdmodel convert to serving dirs with the same feeds, and the same outputs', async () => {
  const pd = await converted('pptsm', 'pdmodel');
  const pir = await converted('pptsm', 'pir');
  assert.equal(path.basename(pir.modelFile), 'ppTSM.json');
  assert.deepEqual((await readdir(pir.server)).sort(), [
    'model.onnx', 'ppTSM.json', 'ppTSM.pdiparams', 'serving_server_conf.prototxt', 'serving_server_conf.stream.prototxt',
  ]);
  const a = await loadServingModel(pd.server);
  const b = await loadServingModel(pir.server);
  assert.deepEqual(b.feeds, a.feeds);
  assert.deepEqual(b.fetches.map((f) => [f.alias, f.feedType, f.shape]), a.fetches.map((f) => [f.alias, f.feedType, f.shape]));
  assert.equal(b.fetches[0]!.name, 'fetch_name_0', 'Paddle 3 names the fetch of an unnamed value fetch_name_<col>');
  assert.deepEqual(canonical(b.onnx), canonical(a.onnx), 'the same ONNX graph up to value names');
  assertAgree(await outputs(b.onnx, [1, 8, 3, 224, 224]), await outputs(a.onnx, [1, 8, 3, 224, 224]), 'PP-TSM');
});

test('PP-TSN (25 segments x 10 crops): the same ONNX graph and the same outputs from both formats', async () => {
  // In memory (the files are PP-TSM's test above): the PIR text make-model writes, read back, same seeded parameters.
  const program = buildPPTSN();
  const pir = parseModelFile(new TextEncoder().encode(writePirProgram(program)), 'ppTSN.json');
  assert.equal(pir.format, 'pir');
  const params = new Map(makeParams(program, 0).map((p) => [p.name, p]));
  assert.deepEqual(makeParams(pir.program, 0), [...params.values()], 'the seeded parameters depend on the network, not its format');
  const a = translateProgram(program, params).bytes;
  const b = translateProgram(pir.program, params).bytes;
  assert.deepEqual(canonical(b), canonical(a), 'the same ONNX graph up to value names');
  assertAgree(await outputs(b, [1, 250, 3, 224, 224]), await outputs(a, [1, 250, 3, 224, 224]), 'PP-TSN');
});

test('served answers are identical: a Paddle-Serving-style dir holding only ppTSM.json (translated on load) vs ppTSM.pdmodel', async () => {
  const pd = await converted('pptsm', 'pdmodel');
  const pir = await converted('pptsm', 'pir');
  await rm(path.join(pir.server, ONNX_FILE));
  const a = await startTestServer(pd.server, { pipeline: 'PPTSM' });
  const b = await startTestServer(pir.server, { pipeline: 'PPTSM' });
  try {
    const body = framesBody(syntheticFrames(12, 64, 80, 5), [12, 64, 80, 3], { topk: 3 });
    const ra = await postJson(a.httpPort!, body);
    const rb = await postJson(b.httpPort!, body);
    assert.equal(ra.status, 200);
    assert.equal(ra.json.err_no, 0, ra.json.err_msg);
    assert.deepEqual(rb, ra);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('zoo networks (PP-TSMv2, TSM, TSN) written as PIR read back with the same seeded parameters; PP-TSMv2 and TSM give the same outputs', async () => {
  for (const name of ['pptsmv2', 'tsm', 'tsn'] as const) {
    const program = buildModel(name);
    const pir = parseModelFile(new TextEncoder().encode(writePirProgram(program)), `${name}.json`);
    const params = new Map(makeParams(program, 2).map((p) => [p.name, p]));
    assert.deepEqual(makeParams(pir.program, 2), [...params.values()], `${name}: make-params on the .json gives the .pdmodel's parameters`);
    if (name === 'tsn') continue; // 250 frames: the PP-TSN test above runs that backbone and head size
    const frames = program.blocks[0]!.vars.find((v) => v.name === program.blocks[0]!.ops[0]!.outputs.Out![0])!.shape![1]!;
    const dims = [1, frames, 3, 224, 224];
    const a = translateProgram(program, params).bytes;
    const b = translateProgram(pir.program, params).bytes;
    assertAgree(await outputs(b, dims), await outputs(a, dims), name);
  }
});

test("README 'Paddle 3 exports': its convert command, run as written on a PIR export, gives a serving dir vidserve loads", async () => {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Paddle 3 exports'), readme.indexOf('## Checking preprocessing'));
  const convert = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('npx vidserve convert'));
  assert.ok(convert?.includes('--model_filename ppTSM.json'), 'the section converts ppTSM.json');
  // What export_model.py leaves under Paddle 3 (our PP-TSM graph, synthetic weights), and a 400-line label list.
  const dir = path.join(root, 'readme');
  await writeModel('pptsm', path.join(dir, 'inference', 'ppTSM'), 0, { format: 'pir' });
  await writeFile(path.join(dir, 'Kinetics-400_label_list.txt'), Array.from({ length: 400 }, (_, i) => `${i} class_${i}`).join('\n') + '\n');
  const node = [process.execPath, ...cliArgs([])].map((a) => JSON.stringify(a)).join(' ');
  const prelude = `npx() { if [ "$1" = vidserve ]; then shift; ${node} "$@"; else command npx "$@"; fi; }\n`;
  const r = await run('bash', ['-eo', 'pipefail', '-c', prelude + convert], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const m = await loadServingModel(path.join(dir, 'ppTSM_serving_server'));
  assert.equal(m.source, 'onnx');
  assert.deepEqual(m.fetches.map((f) => [f.name, f.alias, f.shape]), [['fetch_name_0', 'outputs', [400]]]);
  assert.ok(m.labelListPath, 'the label list is in the serving dir');
});
