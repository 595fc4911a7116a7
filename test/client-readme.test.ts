// The README's "Serving the real PP-TSM model" steps, run as written after the download step: the real PP-TSM graph
// from ../shared (weights: synthetic, via make-params, standing in for ppTSM.zip's) in a temp dir laid out as the
// README leaves it, then the README's convert, serve (on free ports) and client commands.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, startServer, REPO_ROOT, type ServerProcess } from '../src/cli/demo.ts';
import { run, VIDSERVE, type Run } from './support/run.ts';
import { needsShared, SHARED } from './support/shared.ts';

const PDMODEL = SHARED.ppTSMModel;
const LABELS = SHARED.k400Labels;
const EXAMPLE = SHARED.exampleAvi;

let dir: string;
let readme: string;
let server: ServerProcess | undefined;

function shBlocks(): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Runs a README shell block verbatim with bash, `npx vidserve` meaning this checkout's CLI. */
function bash(script: string, extraArgs = ''): Promise<Run> {
  const prelude = `npx() { if [ "$1" = vidserve ]; then shift; node ${JSON.stringify(VIDSERVE)} "$@" ${extraArgs}; else command npx "$@"; fi; }\n`;
  return run('bash', ['-eo', 'pipefail', '-c', prelude + script], { cwd: dir });
}

describe('README workflow on the real PP-TSM graph', needsShared(PDMODEL, LABELS, EXAMPLE), () => {
  before(async () => {
    readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    dir = await mkdtemp(path.join(tmpdir(), 'vidserve-readme-'));
    // What the download step leaves (weights synthetic here), and the repo's configs/ as in a clone.
    await mkdir(path.join(dir, 'inference', 'ppTSM'), { recursive: true });
    await symlink(PDMODEL, path.join(dir, 'inference', 'ppTSM', 'ppTSM.pdmodel'));
    await symlink(LABELS, path.join(dir, 'Kinetics-400_label_list.txt'));
    await symlink(EXAMPLE, path.join(dir, 'example.avi'));
    await symlink(path.join(REPO_ROOT, 'configs'), path.join(dir, 'configs'));
    const inf = path.join(dir, 'inference', 'ppTSM');
    await runCli(['make-params', '--model_file', path.join(inf, 'ppTSM.pdmodel'), '--params_file', path.join(inf, 'ppTSM.pdiparams')], { quiet: true });
  });

  after(async () => {
    if (server) await server.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('README: convert, serve and both clients work as written', async () => {
    const convert = shBlocks().find((b) => b.includes('npx vidserve convert'));
    assert.ok(convert, 'README has the convert block');
    const c = await bash(convert);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(existsSync(path.join(dir, 'ppTSM_serving_server', 'serving_server_conf.prototxt')));
    assert.ok(existsSync(path.join(dir, 'ppTSM_serving_client', 'serving_client_conf.prototxt')));

    // The serve command as written, on free ports instead of 18080/9993 (which the machine may be using).
    assert.match(readme, /^ {3}npx vidserve serve -n PPTSM -c configs\/PP-TSM\.yaml$/m);
    server = await startServer({ name: 'PPTSM', config: 'configs/PP-TSM.yaml', cwd: dir });
    assert.match(server.output(), /labels: .*ppTSM_serving_server\/label_list\.txt/);

    const clients = shBlocks().find((b) => b.includes('npx vidserve client http'));
    assert.ok(clients, 'README has the client block');
    const lines = clients.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    assert.deepEqual(lines, ['npx vidserve client http -i example.avi', 'npx vidserve client rpc -i example.avi']);
    const h = await bash(lines[0]!, `-ptn ${server.httpPort}`);
    assert.equal(h.code, 0, h.stderr);
    // A Kinetics-400 class name (meaningless with synthetic weights), in the seed's printed form.
    assert.match(h.stdout, /^\{'err_no': 0, 'err_msg': '', 'key': \['label', 'prob'\], 'value': \[("\['[^']+'\]"|'\["[^"]+"\]'), '\[[0-9.e-]+\]'\], 'tensors': \[\]\}\n$/);
    const g = await bash(lines[1]!, `-ptn ${server.rpcPort}`);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /^key: "label"\nkey: "prob"\nvalue: "\[(\\'[^"]+\\'|\\"[^"]+\\")\]"\nvalue: "\[[0-9.e-]+\]"\n\n$/);
    assert.equal(await server.stop(), 0);
    server = undefined;
  });
});
