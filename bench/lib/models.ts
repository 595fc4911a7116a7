// The bench's models: the demo's full-size PP-TSM with seeded synthetic weights (built once through the real CLI,
// `vidserve make-model` + `vidserve convert`, and cached under models/ by src/cli/demo.ts), and the same program
// translated with the plain temporal shift for comparison, cached under models/bench/ and keyed by the same
// fingerprint of the builder and translator sources.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { builderFingerprint, DEMO_DIRS, ensureDemoModel } from '../../src/cli/demo.ts';

export interface BenchModels {
  /** Serving dir from `vidserve convert` (model.onnx with the default, fast temporal shift). */
  servingDir: string;
  fastOnnx: string;
  plainOnnx: string;
  /** Whether this run built the plain translation (false: reused from the cache). */
  built: boolean;
  buildMs: number;
}

export async function ensureBenchModels(log: (l: string) => void): Promise<BenchModels> {
  await ensureDemoModel((l) => log(`models: ${l}`));
  const servingDir = DEMO_DIRS.server;
  const fastOnnx = path.join(servingDir, 'model.onnx');
  const plainOnnx = path.join(DEMO_DIRS.root, 'bench', 'plain', 'model.onnx');
  const stampFile = path.join(path.dirname(plainOnnx), 'stamp');
  const stamp = await builderFingerprint();
  if (existsSync(plainOnnx) && (await readFile(stampFile, 'utf8').catch(() => '')) === stamp) {
    log(`models: plain translation cached in ${path.relative(process.cwd(), plainOnnx)}`);
    return { servingDir, fastOnnx, plainOnnx, built: false, buildMs: 0 };
  }
  // The comparison model: same program and weights, plain Pad/Slice/Concat temporal shift.
  const t0 = performance.now();
  log('models: plain temporal-shift translation for comparison');
  const { loadPaddleModel } = await import('../../src/paddle/convert.ts');
  const { translateProgram } = await import('../../src/paddle/onnx/index.ts');
  const m = await loadPaddleModel(DEMO_DIRS.inference, 'ppTSM.pdmodel', 'ppTSM.pdiparams');
  const plain = translateProgram(m.program, m.params, { temporalShift: 'plain' });
  await mkdir(path.dirname(plainOnnx), { recursive: true });
  await writeFile(plainOnnx, plain.bytes);
  await writeFile(stampFile, stamp);
  return { servingDir, fastOnnx, plainOnnx, built: true, buildMs: performance.now() - t0 };
}
