// A tiny synthetic model whose label depends on what the video shows. The seeded weights of `make-model tiny` give
// every input nearly the same scores (fc weights N(0, 0.01²), and the pooled features of any input point much the
// same way), so the class biases decide and every clip gets the same label. Here the classifier is calibrated on
// the test patterns instead: its weights are amplified, and its biases set to minus the mean logits over the
// patterns, so each pattern is labelled by how it differs from the others.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildTiny, makeParams } from '../../src/paddle/models/index.ts';
import { writeParams } from '../../src/paddle/params.ts';
import { serializeProgram } from '../../src/paddle/program.ts';
import { convertModel } from '../../src/paddle/convert.ts';
import { loadServingModel } from '../../src/paddle/serving_model.ts';
import type { ParamTensor } from '../../src/paddle/types.ts';
import { createSession } from '../../src/runtime/session.ts';
import { forEachWindow } from '../../src/video/windows.ts';
import type { FloatTensor } from '../../src/tensor.ts';
import { TINY_LABELS, TINY_PIPELINE } from '../serving-fixtures.ts';
import { PATTERNS, renderLongClip } from './long-clip.ts';

/** How much the classifier's weights are amplified. */
const FC_GAIN = 100;

let cached: Promise<{ servingDir: string; labelFile: string }> | undefined;

const f32 = (t: ParamTensor): Float32Array => new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));

async function writeServingDir(root: string, name: string, params: ParamTensor[], labelFile: string): Promise<string> {
  const src = path.join(root, `${name}_inference`);
  await mkdir(src, { recursive: true });
  await writeFile(path.join(src, 'tiny.pdmodel'), serializeProgram(buildTiny()));
  await writeFile(path.join(src, 'tiny.pdiparams'), writeParams(params));
  const servingDir = path.join(root, `${name}_serving_server`);
  await convertModel({
    dirname: src,
    modelFilename: 'tiny.pdmodel',
    paramsFilename: 'tiny.pdiparams',
    servingServer: servingDir,
    servingClient: path.join(root, `${name}_serving_client`),
    fetchAlias: ['outputs'],
    labelList: labelFile,
  });
  return servingDir;
}

/** Serving dir (converted by vidserve) and label file of the content-sensitive tiny model; built once per process. */
export function contentModel(): Promise<{ servingDir: string; labelFile: string }> {
  cached ??= (async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'vidserve-content-model-'));
    const labelFile = path.join(root, 'labels.txt');
    writeFileSync(labelFile, TINY_LABELS.map((n, i) => `${i} ${n}`).join('\n') + '\n');
    const amplified = makeParams(buildTiny(), 0).map((t) => {
      if (t.name === 'fc_0.w_0') {
        const w = f32(t).map((v) => v * FC_GAIN);
        return { ...t, data: new Uint8Array(w.buffer) };
      }
      if (t.name === 'fc_0.b_0') return { ...t, data: new Uint8Array(t.data.length) };
      return t;
    });
    // The logits of every pattern with zero biases.
    const probeDir = await writeServingDir(root, 'probe', amplified, labelFile);
    const model = await loadServingModel(probeDir);
    const session = await createSession(model.onnxFile ?? model.onnx);
    const clip = path.join(root, 'patterns.avi');
    await renderLongClip(clip, { patterns: PATTERNS, seconds: 1, rate: 10, size: '96x64' });
    const logits: Float32Array[] = [];
    const inputs: FloatTensor[] = [];
    await forEachWindow(TINY_PIPELINE, clip, { window: 1, stride: 1, onWindow: (w) => void inputs.push(w.tensor as FloatTensor) });
    for (const t of inputs) {
      const out = await session.run({ [session.inputNames[0]!]: { data: t.data, dims: [1, ...t.dims] } });
      logits.push(Float32Array.from(out[session.outputNames[0]!]!.data as Float32Array));
    }
    await session.release();
    const classes = logits[0]!.length;
    const bias = new Float32Array(classes);
    for (let c = 0; c < classes; c++) bias[c] = -logits.reduce((s, l) => s + l[c]!, 0) / logits.length;
    const calibrated = amplified.map((t) => (t.name === 'fc_0.b_0' ? { ...t, data: new Uint8Array(bias.buffer) } : t));
    return { servingDir: await writeServingDir(root, 'content', calibrated, labelFile), labelFile };
  })();
  return cached;
}
