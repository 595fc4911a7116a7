// Synthetic weights keep the PP-TSM graph (make-model pptsm: the real export op for op) healthy: every residual block's output is finite, neither exploding
// nor dying, and the logits depend on the input. Runs the translated graph once on onnxruntime (~1 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../src/paddle/models/index.ts';
import { makeParams, Rng } from '../src/paddle/models/synthetic_params.ts';
import { translateProgram } from '../src/paddle/onnx/index.ts';
import { createSession } from '../src/runtime/session.ts';

test('PP-TSM graph + make-params weights: the stem and all 16 block outputs stay finite and alive', async () => {
  const p = buildModel('pptsm');
  const b = p.blocks[0]!;
  // Also fetch the stem output and each bottleneck's output (the relu after each residual add).
  const probes = b.ops
    .filter((o, i) => o.type === 'relu' && (b.ops[i - 1]?.type === 'elementwise_add' || b.ops[i + 1]?.type === 'pool2d'))
    .map((o) => o.outputs.Out![0]!);
  assert.equal(probes.length, 17);
  const fetch = b.ops.at(-1)!;
  probes.forEach((name, k) => b.ops.push({ ...fetch, inputs: { X: [name] }, attrs: { ...fetch.attrs, col: { kind: 'int', value: k + 1 } } }));
  const params = new Map(makeParams(p, 0).map((t) => [t.name, t]));
  const session = await createSession(translateProgram(p, params).bytes);
  try {
    const dims = [1, 8, 3, 224, 224];
    const input = (f: (i: number, r: Rng) => number): Float32Array => {
      const r = new Rng(11);
      const x = new Float32Array(8 * 3 * 224 * 224);
      for (let i = 0; i < x.length; i++) x[i] = f(i, r);
      return x;
    };
    const noise = await session.run({ data_batch_0: { data: input((_i, r) => r.normal()), dims } });
    for (const name of probes) {
      const y = noise[name]!.data as Float32Array;
      let sq = 0;
      let zeros = 0;
      for (const v of y) {
        assert.ok(Number.isFinite(v), `${name} has a non-finite value`);
        sq += v * v;
        if (v === 0) zeros++;
      }
      const rms = Math.sqrt(sq / y.length);
      assert.ok(rms > 0.5 && rms < 20, `${name}: rms ${rms}`);
      assert.ok(zeros / y.length < 0.7, `${name}: ${((100 * zeros) / y.length).toFixed(0)}% zeros`);
    }
    const logits = noise['save_infer_model/scale_0.tmp_1']!;
    assert.deepEqual(logits.dims, [1, 400]);
    const a = logits.data as Float32Array;
    assert.ok(a.every(Number.isFinite));
    // A structured input moves the logits by an amount comparable to their spread.
    const stripes = (await session.run({ data_batch_0: { data: input((i) => ((i / 224 / 16) | 0) % 2 ? 1.5 : -1.5), dims } }))[
      'save_infer_model/scale_0.tmp_1'
    ]!.data as Float32Array;
    const rmsOf = (x: Float32Array, y?: Float32Array): number => Math.sqrt(x.reduce((s, v, i) => s + (v - (y?.[i] ?? 0)) ** 2, 0) / x.length);
    assert.ok(rmsOf(a) > 0.1, `logit spread ${rmsOf(a)}`);
    assert.ok(rmsOf(a, stripes) > 0.1 * rmsOf(a), `logits barely depend on the input: ${rmsOf(a, stripes)}`);
  } finally {
    await session.release();
  }
});
