// The bench's models, built once and cached under <repo>/models/bench/ (gitignored): the full-size PP-TSM with
// seeded synthetic weights through the real CLI (`vidserve make-model` + `vidserve convert`, fast temporal shift,
// the form the server runs), and the same program translated with the plain temporal shift for comparison.
// The cache is keyed by a hash of the translator and builder sources, so a changed translation is rebuilt.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface BenchModels {
  /** Serving dir from `vidserve convert` (model.onnx with the default, fast temporal shift). */
  servingDir: string;
  fastOnnx: string;
  plainOnnx: string;
  /** Whether this run built them (false: reused from the cache). */
  built: boolean;
  buildMs: number;
}

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listTs(p)));
    else if (/\.(ts|proto)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Hash of everything that decides the model bytes: builders, params, translator, converter, the two CLI commands. */
async function sourceStamp(repo: string): Promise<string> {
  const h = createHash('sha256');
  const files = [
    ...(await listTs(path.join(repo, 'src/paddle'))),
    path.join(repo, 'src/cli/make-model.ts'),
    path.join(repo, 'src/cli/convert.ts'),
    new URL(import.meta.url).pathname,
  ];
  for (const f of files) {
    h.update(path.relative(repo, f));
    h.update(await readFile(f));
  }
  return h.digest('hex').slice(0, 16);
}

function runCli(repo: string, args: string[], log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/vidserve.js'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.on('data', () => {});
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) {
        const last = err.trim().split('\n').pop();
        if (last) log(last);
        resolve();
      } else reject(new Error(`vidserve ${args.join(' ')} exited with ${code}:\n${err.trim()}`));
    });
  });
}

export async function ensureBenchModels(repo: string, opts: { labelList?: string; log: (l: string) => void }): Promise<BenchModels> {
  const root = path.join(repo, 'models', 'bench');
  const inference = path.join(root, 'inference');
  const servingDir = path.join(root, 'ppTSM_serving_server');
  const fastOnnx = path.join(servingDir, 'model.onnx');
  const plainOnnx = path.join(root, 'plain', 'model.onnx');
  const stampFile = path.join(root, 'stamp');
  const stamp = `${await sourceStamp(repo)} labels=${opts.labelList ?? ''}`;
  if (existsSync(stampFile) && existsSync(fastOnnx) && existsSync(plainOnnx) && (await readFile(stampFile, 'utf8')) === stamp) {
    opts.log(`models: cached in ${path.relative(repo, root)} (sources unchanged)`);
    return { servingDir, fastOnnx, plainOnnx, built: false, buildMs: 0 };
  }
  const t0 = performance.now();
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  opts.log('models: vidserve make-model pptsm (full size, synthetic weights, seed 0)');
  await runCli(repo, ['make-model', 'pptsm', '--out', inference, '--seed', '0'], opts.log);
  opts.log('models: vidserve convert (fast temporal shift: the form the server runs)');
  await runCli(
    repo,
    [
      'convert',
      '--dirname', inference,
      '--model_filename', 'ppTSM.pdmodel',
      '--params_filename', 'ppTSM.pdiparams',
      '--serving_server', servingDir,
      '--serving_client', path.join(root, 'ppTSM_serving_client'),
      '--fetch_alias', 'outputs',
      ...(opts.labelList ? ['--label_list', opts.labelList] : []),
    ],
    opts.log,
  );
  // The comparison model: same program and weights, plain Pad/Slice/Concat temporal shift.
  opts.log('models: plain temporal-shift translation for comparison');
  const { loadPaddleModel } = await import('../../src/paddle/convert.ts');
  const { translateProgram } = await import('../../src/paddle/onnx/index.ts');
  const m = await loadPaddleModel(inference, 'ppTSM.pdmodel', 'ppTSM.pdiparams');
  const plain = translateProgram(m.program, m.params, { temporalShift: 'plain' });
  await mkdir(path.dirname(plainOnnx), { recursive: true });
  await writeFile(plainOnnx, plain.bytes);
  await writeFile(stampFile, stamp);
  return { servingDir, fastOnnx, plainOnnx, built: true, buildMs: performance.now() - t0 };
}
